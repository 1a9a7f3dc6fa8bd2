import FlexJSON

extension SymbolFile {
    /// Reads `PREFIX-symbol.json`.
    public init(contentsOf path: String) throws(MXNetFormatError) {
        let data = try FileAccess.read(path)
        try self.init(jsonData: data, file: path)
    }

    /// Parses NNVM graph JSON as MXNet 0.8 … 1.9 write it. `file` only names the source in errors.
    ///
    /// Per node: `op`, `name` and `inputs` are required; attributes come from `"attrs"` and `"attr"`
    /// (MXNet 0.9–1.x) and `"param"` (0.8, filling only keys not already set, as NNVM merges them);
    /// `backward_source_id` (0.x) is ignored; non-string attribute values are rendered as MXNet's
    /// Python front end would (`str(value)`: `3`, `0.5`, `True`, `None`). Inputs, heads, `arg_nodes`
    /// and `control_deps` must name existing nodes, and `arg_nodes` must be variables. A missing
    /// `arg_nodes` is derived from the `"null"` nodes. Unknown keys are ignored.
    public init(jsonData: some Collection<UInt8>, file: String = "<data>") throws(MXNetFormatError) {
        let parsed = jsonData.withContiguousBytes { bytes in
            Result { () throws(JSONSyntaxError) in try JSONValue.parse(bytes) }
        }
        let document: JSONValue
        switch parsed {
        case .success(let value): document = value
        case .failure(let syntax):
            throw MXNetFormatError(file: file, message: "malformed JSON at line \(syntax.line), column \(syntax.column): \(syntax.message)")
        }
        self = try SymbolJSONReader(file: file).graph(document, path: "")
    }
}

/// Turns a parsed document into a `SymbolFile`, with errors that say where in the graph (`node 3
/// 'fc1'`, `subgraph 0 of node 2 'loop'`) the problem is.
private struct SymbolJSONReader {
    let file: String

    func graph(_ value: JSONValue, path: String) throws(MXNetFormatError) -> SymbolFile {
        let members = try object(value, what: path.isEmpty ? "the document" : path)
        let nodesValue = try required("nodes", in: members, of: path)
        let nodeValues = try array(nodesValue, what: qualified(path, "\"nodes\""))
        var nodes: [SymbolFile.Node] = []
        nodes.reserveCapacity(nodeValues.count)
        for (index, nodeValue) in nodeValues.enumerated() {
            nodes.append(try node(nodeValue, index: index, path: path))
        }
        /// `what` names the reference with its full path ("node 3 'fc1': input 0", "heads[1]").
        func checkNode(_ id: Int, _ what: @autoclosure () -> String) throws(MXNetFormatError) {
            guard id < nodes.count else {
                throw fail(nil, "\(what()) refers to node \(id), but the graph has \(nodes.count) nodes")
            }
        }
        for (index, node) in nodes.enumerated() {
            let label = nodeLabel(index, node.name, path)
            for (position, input) in node.inputs.enumerated() {
                try checkNode(input.node, "\(label): input \(position)")
            }
            for (position, dependency) in node.controlDependencies.enumerated() {
                try checkNode(dependency, "\(label): control dependency \(position)")
            }
        }

        let heads = try entries(try required("heads", in: members, of: path), what: qualified(path, "\"heads\""))
        for (position, head) in heads.enumerated() { try checkNode(head.node, qualified(path, "heads[\(position)]")) }

        let argNodes: [Int]
        if let value = member("arg_nodes", in: members) {
            argNodes = try integers(value, what: qualified(path, "\"arg_nodes\""))
            for (position, id) in argNodes.enumerated() {
                try checkNode(id, qualified(path, "arg_nodes[\(position)]"))
                guard nodes[id].op == "null" else {
                    throw fail(path, "arg_nodes[\(position)] is node \(id) '\(nodes[id].name)', which is a '\(nodes[id].op)' operator, not a variable")
                }
            }
        } else {
            argNodes = nodes.indices.filter { nodes[$0].op == "null" }
        }

        let nodeRowPtr = try member("node_row_ptr", in: members).map { value throws(MXNetFormatError) in
            try integers(value, what: qualified(path, "\"node_row_ptr\""))
        }

        var mxnetVersion: Int?
        if let attrs = member("attrs", in: members) {
            let graphAttributes = try object(attrs, what: qualified(path, "graph \"attrs\""))
            if let version = member("mxnet_version", in: graphAttributes) {
                // NNVM stores typed values as ["type", value]: ["int", 10901].
                guard case .array(let pair) = version, pair.count == 2, case .string("int") = pair[0],
                      case .number(let text) = pair[1], let number = Int(text) else {
                    throw fail(path, "graph attribute \"mxnet_version\" must be [\"int\", <version>], e.g. [\"int\", 10901]")
                }
                mxnetVersion = number
            }
        }
        return SymbolFile(nodes: nodes, argNodes: argNodes, nodeRowPtr: nodeRowPtr, heads: heads, mxnetVersion: mxnetVersion)
    }

    private func node(_ value: JSONValue, index: Int, path: String) throws(MXNetFormatError) -> SymbolFile.Node {
        let unnamed = nodeLabel(index, nil, path)
        let members = try object(value, what: unnamed)
        guard case .string(let name)? = member("name", in: members) else {
            throw fail(nil, "\(unnamed) has no string \"name\"")
        }
        let label = nodeLabel(index, name, path)
        guard case .string(let op)? = member("op", in: members) else {
            throw fail(nil, "\(label) has no string \"op\" (variables use \"null\")")
        }
        guard let inputsValue = member("inputs", in: members) else { throw fail(nil, "\(label) has no \"inputs\"") }
        let inputs = try entries(inputsValue, what: "\(label): \"inputs\"")

        var attributes: [String: String] = [:]
        for (key, value) in members where key == "attrs" || key == "attr" {
            for (attribute, text) in try attributeStrings(value, label: label, key: key) { attributes[attribute] = text }
        }
        if let param = member("param", in: members) {
            for (attribute, text) in try attributeStrings(param, label: label, key: "param") where attributes[attribute] == nil {
                attributes[attribute] = text
            }
        }
        let controlDependencies = try member("control_deps", in: members).map { value throws(MXNetFormatError) in
            try integers(value, what: "\(label): \"control_deps\"")
        } ?? []
        var subgraphs: [SymbolFile] = []
        if let value = member("subgraphs", in: members) {
            for (position, subgraph) in try array(value, what: "\(label): \"subgraphs\"").enumerated() {
                subgraphs.append(try graph(subgraph, path: "subgraph \(position) of \(label)"))
            }
        }
        return SymbolFile.Node(op: op, name: name, attributes: attributes, inputs: inputs,
                               controlDependencies: controlDependencies, subgraphs: subgraphs)
    }

    /// An attribute object as strings. Old files may hold numbers, booleans or null; they become what
    /// Python's `str()` gives, which is what MXNet's front end stores.
    private func attributeStrings(_ value: JSONValue, label: String, key: String) throws(MXNetFormatError) -> [(String, String)] {
        try object(value, what: "\(label): \"\(key)\"").map { (attribute, value) throws(MXNetFormatError) in
            switch value {
            case .string(let text): return (attribute, text)
            case .bool(let flag): return (attribute, flag ? "True" : "False")
            case .null: return (attribute, "None")
            case .number(let text):
                if let integer = Int(text) { return (attribute, String(integer)) }
                if let double = Double(text) { return (attribute, double.description) }
                return (attribute, text)
            case .array, .object:
                throw fail(nil, "\(label): attribute \"\(attribute)\" is \(value.kindDescription); MXNet attributes are strings")
            }
        }
    }

    /// `[[node, index], ...]` or `[[node, index, version], ...]`.
    private func entries(_ value: JSONValue, what: String) throws(MXNetFormatError) -> [SymbolFile.Entry] {
        try array(value, what: what).enumerated().map { (position, item) throws(MXNetFormatError) in
            let parts = try integers(item, what: "\(what)[\(position)]")
            guard parts.count == 2 || parts.count == 3 else {
                throw fail(nil, "\(what)[\(position)] has \(parts.count) numbers; expected [node, index] or [node, index, version]")
            }
            return SymbolFile.Entry(node: parts[0], index: parts[1], version: parts.count == 3 ? parts[2] : 0)
        }
    }

    /// An array of unsigned 32-bit integers (NNVM's node ids and indexes are `uint32_t`).
    private func integers(_ value: JSONValue, what: String) throws(MXNetFormatError) -> [Int] {
        try array(value, what: what).enumerated().map { (position, item) throws(MXNetFormatError) in
            guard case .number(let text) = item, let number = Int(text), number >= 0, number <= Int(UInt32.max) else {
                let shown: String = if case .number(let text) = item { text } else { item.kindDescription }
                throw fail(nil, "\(what)[\(position)] is \(shown); expected a non-negative integer")
            }
            return number
        }
    }

    private func required(_ key: String, in members: [(key: String, value: JSONValue)], of path: String) throws(MXNetFormatError) -> JSONValue {
        guard let value = member(key, in: members) else {
            throw fail(nil, "\(path.isEmpty ? "the document" : path) has no \"\(key)\"; an MXNet symbol file needs \"nodes\", \"arg_nodes\" and \"heads\"")
        }
        return value
    }

    /// The last value for `key` (a repeated key replaces the earlier one, as in MXNet's reader).
    private func member(_ key: String, in members: [(key: String, value: JSONValue)]) -> JSONValue? {
        members.last { $0.key == key }?.value
    }

    private func object(_ value: JSONValue, what: String) throws(MXNetFormatError) -> [(key: String, value: JSONValue)] {
        guard case .object(let members) = value else { throw fail(nil, "\(what) is \(value.kindDescription); expected an object") }
        return members
    }

    private func array(_ value: JSONValue, what: String) throws(MXNetFormatError) -> [JSONValue] {
        guard case .array(let elements) = value else { throw fail(nil, "\(what) is \(value.kindDescription); expected an array") }
        return elements
    }

    private func nodeLabel(_ index: Int, _ name: String?, _ path: String) -> String {
        let node = name.map { "node \(index) '\($0)'" } ?? "node \(index)"
        return path.isEmpty ? node : "\(path), \(node)"
    }

    /// `key` prefixed with the subgraph path, if any.
    private func qualified(_ path: String, _ key: String) -> String { path.isEmpty ? key : "\(path): \(key)" }

    private func fail(_ path: String?, _ message: String) -> MXNetFormatError {
        guard let path, !path.isEmpty else { return MXNetFormatError(file: file, message: message) }
        return MXNetFormatError(file: file, message: "\(path): \(message)")
    }
}
