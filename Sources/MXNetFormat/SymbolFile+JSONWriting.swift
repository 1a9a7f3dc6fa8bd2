import FlexJSON
import Foundation

extension SymbolFile {
    /// The JSON MXNet 1.9.1 writes for this graph (`sym.save` / `sym.tojson()`), byte for byte: dmlc's
    /// layout (two-space indentation, `", "` before line breaks, arrays of more than ten numbers and
    /// objects of more than one key spread over lines), node keys in NNVM's order (`op`, `name`,
    /// `attrs` sorted by key and omitted when empty, `inputs` as `[node, index, version]`,
    /// `control_deps` and `subgraphs` when present), then `arg_nodes`, `node_row_ptr` (omitted when
    /// nil), `heads` and `attrs: {"mxnet_version": ["int", N]}` when `mxnetVersion` is set.
    public func jsonData() -> Data {
        var writer = DMLCJSONWriter()
        writer.write(self)
        return Data(writer.output.utf8)
    }

    /// Writes `jsonData()` to `path`.
    public func write(to path: String) throws(MXNetFormatError) {
        try FileAccess.write(jsonData(), to: path)
    }
}

/// Reproduces `dmlc::JSONWriter`'s output for the NNVM graph structures MXNet serializes.
private struct DMLCJSONWriter {
    var output = ""
    /// Open arrays and objects: whether each spreads over lines, and how many items it has so far.
    private var scopes: [(multiLine: Bool, count: Int)] = []

    mutating func write(_ graph: SymbolFile) {
        beginObject(multiLine: true)
        key("nodes")
        beginArray(multiLine: true)
        for node in graph.nodes {
            arrayItem()
            write(node)
        }
        endArray()
        key("arg_nodes")
        integers(graph.argNodes)
        if let rowPtr = graph.nodeRowPtr {
            key("node_row_ptr")
            integers(rowPtr)
        }
        key("heads")
        entries(graph.heads)
        if let version = graph.mxnetVersion {
            key("attrs")
            beginObject(multiLine: false)
            key("mxnet_version")
            beginArray(multiLine: false)
            arrayItem()
            string("int")
            arrayItem()
            output += String(version)
            endArray()
            endObject()
        }
        endObject()
    }

    private mutating func write(_ node: SymbolFile.Node) {
        beginObject(multiLine: true)
        key("op")
        string(node.op)
        key("name")
        string(node.name)
        if !node.attributes.isEmpty {
            key("attrs")
            beginObject(multiLine: node.attributes.count > 1)
            // std::map order: bytewise by key.
            for (attribute, value) in node.attributes.sorted(by: { $0.key.utf8.lexicographicallyPrecedes($1.key.utf8) }) {
                key(attribute)
                string(value)
            }
            endObject()
        }
        key("inputs")
        entries(node.inputs)
        if !node.controlDependencies.isEmpty {
            key("control_deps")
            integers(node.controlDependencies)
        }
        if !node.subgraphs.isEmpty {
            key("subgraphs")
            beginArray(multiLine: true)
            for subgraph in node.subgraphs {
                arrayItem()
                write(subgraph)
            }
            endArray()
        }
        endObject()
    }

    /// A vector of plain values: on one line unless it has more than ten.
    private mutating func integers(_ values: [Int]) {
        beginArray(multiLine: values.count > 10)
        for value in values {
            arrayItem()
            output += String(value)
        }
        endArray()
    }

    private mutating func entries(_ values: [SymbolFile.Entry]) {
        beginArray(multiLine: values.count > 10)
        for entry in values {
            arrayItem()
            beginArray(multiLine: false)
            for part in [entry.node, entry.index, entry.version] {
                arrayItem()
                output += String(part)
            }
            endArray()
        }
        endArray()
    }

    /// dmlc escapes `\r \n \\ \t "` only; FlexJSON escapes those the same way and the other control
    /// characters as `\u00XX`, so the output stays valid JSON (MXNet names never contain them).
    private mutating func string(_ text: String) {
        JSONValue.writeString(text, to: &output)
    }

    private mutating func beginObject(multiLine: Bool) {
        output += "{"
        scopes.append((multiLine, 0))
    }

    private mutating func endObject() { closeScope("}") }

    private mutating func beginArray(multiLine: Bool) {
        output += "["
        scopes.append((multiLine, 0))
    }

    private mutating func endArray() { closeScope("]") }

    private mutating func closeScope(_ bracket: String) {
        let scope = scopes.removeLast()
        if scope.multiLine && scope.count != 0 { separator() }
        output += bracket
    }

    /// `"key": ` with the separator before it (`WriteObjectKeyValue`).
    private mutating func key(_ name: String) {
        if scopes[scopes.count - 1].count > 0 { output += ", " }
        separator()
        string(name)
        output += ": "
        scopes[scopes.count - 1].count += 1
    }

    /// The separator before an array element (`WriteArraySeperator`).
    private mutating func arrayItem() {
        if scopes[scopes.count - 1].count != 0 { output += ", " }
        scopes[scopes.count - 1].count += 1
        separator()
    }

    /// A line break indented two spaces per open scope, inside multi-line scopes only.
    private mutating func separator() {
        guard scopes.last?.multiLine ?? true else { return }
        output += "\n" + String(repeating: " ", count: scopes.count * 2)
    }
}
