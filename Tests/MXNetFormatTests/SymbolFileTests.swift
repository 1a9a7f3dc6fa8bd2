import FlexTestSupport
import Foundation
import MXNetFormat
import Testing

@Suite("SymbolFile: symbol JSON reading and writing")
struct SymbolFileTests {
    @Test("MXNet 1.9.1's JSON is read and written back byte for byte", arguments: ["model-symbol.json", "foreach-symbol.json"])
    func byteExactRewrite(file: String) throws {
        let path = Resources.path(file)
        let original = try Data(contentsOf: URL(fileURLWithPath: path))
        let symbol = try SymbolFile(contentsOf: path)
        #expect(symbol.mxnetVersion == 10901)
        #expect(symbol.jsonData() == original)
    }

    @Test("nodes, attributes, inputs, row pointers, heads and subgraphs are read")
    func structure() throws {
        let symbol = try SymbolFile(contentsOf: Resources.path("model-symbol.json"))
        let conv = try #require(symbol.nodes.first { $0.name == "conv0" })
        #expect(conv.op == "Convolution")
        #expect(conv.attributes == ["kernel": "(3, 3)", "num_filter": "4", "pad": "(1, 1)"])
        #expect(conv.inputs == [.init(node: 0), .init(node: 1), .init(node: 2)])
        let bn = try #require(symbol.nodes.first { $0.name == "bn0" })
        // Aux inputs carry version 1 in MXNet's JSON.
        #expect(bn.inputs.suffix(2).map(\.version) == [1, 1])
        let prob = try #require(symbol.nodes.first { $0.name == "prob" })
        #expect(prob.attributes == ["__ctx_group__": "stage1"])
        let split = try #require(symbol.nodes.firstIndex { $0.op == "SliceChannel" })
        #expect(symbol.heads == [.init(node: symbol.nodes.count - 1), .init(node: split, index: 0)])
        #expect(symbol.argNodes == symbol.nodes.indices.filter { symbol.nodes[$0].op == "null" })
        let rowPtr = try #require(symbol.nodeRowPtr)
        #expect(rowPtr.count == symbol.nodes.count + 1)
        #expect(rowPtr[split + 1] - rowPtr[split] == 2)

        let loop = try SymbolFile(contentsOf: Resources.path("foreach-symbol.json"))
        let foreach = try #require(loop.nodes.first { $0.op == "_foreach" })
        #expect(foreach.subgraphs.count == 1)
        #expect(foreach.subgraphs[0].nodes.map(\.op) == ["null", "_mul_scalar", "null", "elemwise_add"])
        #expect(foreach.subgraphs[0].mxnetVersion == nil)
        #expect(foreach.subgraphs[0].heads == [.init(node: 1), .init(node: 3)])
    }

    @Test("every fixture symbol reads, and writing then reading gives the same SymbolFile")
    func fixtures() throws {
        let root = RepositoryPaths.fixtures()
        let structures = ((try? FileManager.default.contentsOfDirectory(atPath: root + "/structures")) ?? [])
            .filter { $0.hasSuffix("-symbol.json") }.map { root + "/structures/" + $0 }
        let models = RepositoryPaths.fixtureModels().map { $0 + "/model-symbol.json" }
        try #require(!models.isEmpty, "no fixtures under \(root)")
        var mxnetWritten = 0
        for path in models + structures {
            let symbol = try SymbolFile(contentsOf: path)
            #expect(!symbol.nodes.isEmpty && !symbol.heads.isEmpty, "\(path)")
            let reread = try SymbolFile(jsonData: symbol.jsonData(), file: path)
            #expect(reread == symbol, "\(path)")
            // Files MXNet 1.9.1 wrote itself (dmlc's writer leaves ", " before each line break; a few
            // fixtures were edited and rewritten by Python's json module) come back byte for byte.
            let original = try Data(contentsOf: URL(fileURLWithPath: path))
            if symbol.mxnetVersion == 10901 && String(decoding: original, as: UTF8.self).contains(", \n") {
                #expect(symbol.jsonData() == original, "\(path)")
                mxnetWritten += 1
            }
        }
        #expect(mxnetWritten >= 30, "only \(mxnetWritten) fixture symbols look MXNet-written")
    }

    @Test("the three JSON generations of one network read to the same graph")
    func legacyFixtures() throws {
        let models = RepositoryPaths.fixtures() + "/models/"
        let current = try SymbolFile(contentsOf: models + "format_current/model-symbol.json")
        let attr = try SymbolFile(contentsOf: models + "format_legacy_attr/model-symbol.json")
        let param = try SymbolFile(contentsOf: models + "format_legacy_param/model-symbol.json")
        #expect(attr.mxnetVersion == 904)
        #expect(param.mxnetVersion == nil)
        #expect(attr.nodes.map(\.attributes) == current.nodes.map(\.attributes))
        #expect(attr.nodes.map(\.name) == current.nodes.map(\.name))
        // 0.8 files write inputs as [node, index]: version 0.
        #expect(param.nodes.flatMap(\.inputs).allSatisfy { $0.version == 0 })
        let conv = try #require(param.nodes.first { $0.op == "Convolution" })
        #expect(conv.attributes["num_filter"] == "8")
    }

    @Test("old files: attr and param merge (param only fills gaps), non-string values render like Python")
    func oldAttributes() throws {
        let json = """
            {"nodes": [
              {"op": "null", "name": "x", "inputs": [], "backward_source_id": -1},
              {"op": "Activation", "name": "a", "inputs": [[0, 0]],
               "attr": {"act_type": "relu", "lr_mult": "2"},
               "param": {"act_type": "tanh", "num": 3, "eps": 1e-05, "half": 0.50, "flag": true, "off": false, "none": null}}
            ],
            "arg_nodes": [0], "heads": [[1, 0]]}
            """
        let symbol = try SymbolFile(jsonData: Array(json.utf8))
        #expect(symbol.nodes[1].attributes == [
            "act_type": "relu", "lr_mult": "2", "num": "3", "eps": "1e-05", "half": "0.5",
            "flag": "True", "off": "False", "none": "None",
        ])
        #expect(symbol.nodes[1].inputs == [.init(node: 0, index: 0, version: 0)])
        #expect(symbol.nodeRowPtr == nil && symbol.mxnetVersion == nil)
        // No node_row_ptr in, none out; everything else survives.
        #expect(try SymbolFile(jsonData: symbol.jsonData()) == symbol)
    }

    @Test("a missing arg_nodes is derived from the variables")
    func derivedArgNodes() throws {
        let json = #"{"nodes": [{"op": "null", "name": "x", "inputs": []}, {"op": "relu", "name": "r", "inputs": [[0, 0, 0]]}], "heads": [[1, 0, 0]]}"#
        #expect(try SymbolFile(jsonData: Array(json.utf8)).argNodes == [0])
    }

    @Test("malformed or inconsistent JSON gives one-line errors naming the file and the problem", arguments: [
        (#"{"nodes": [}"#, "bad.json: malformed JSON at line 1, column 12: unexpected '}', expected a value"),
        ("{\"nodes\": [],\n \"heads\": [[0, 0]]\n", "bad.json: malformed JSON at line 3, column 1: unexpected end of input, expected ',' or '}' in an object"),
        ("", "bad.json: malformed JSON at line 1, column 1: unexpected end of input, expected a value"),
        (#"{"nodes": [], "heads": []} x"#, "bad.json: malformed JSON at line 1, column 28: unexpected 'x' after the end of the document"),
        (#"{"nodes": [], "heads": [], "arg_nodes": "a\u12"}"#, "bad.json: malformed JSON at line 1, column 43: expected four hexadecimal digits in a \\u escape"),
        (#"[1, 2]"#, "bad.json: the document is an array; expected an object"),
        (#"{"heads": []}"#, "bad.json: the document has no \"nodes\"; an MXNet symbol file needs \"nodes\", \"arg_nodes\" and \"heads\""),
        (#"{"nodes": []}"#, "bad.json: the document has no \"heads\"; an MXNet symbol file needs \"nodes\", \"arg_nodes\" and \"heads\""),
        (#"{"nodes": [{"op": "null", "inputs": []}], "heads": []}"#, "bad.json: node 0 has no string \"name\""),
        (#"{"nodes": [{"name": "x", "inputs": []}], "heads": []}"#, "bad.json: node 0 'x' has no string \"op\" (variables use \"null\")"),
        (#"{"nodes": [{"op": "relu", "name": "r", "inputs": [[3, 0, 0]]}], "heads": [[0, 0, 0]]}"#, "bad.json: node 0 'r': input 0 refers to node 3, but the graph has 1 nodes"),
        (#"{"nodes": [{"op": "null", "name": "x", "inputs": []}], "heads": [[1, 0]]}"#, "bad.json: heads[0] refers to node 1, but the graph has 1 nodes"),
        (#"{"nodes": [{"op": "null", "name": "x", "inputs": []}], "heads": [[0]]}"#, "bad.json: \"heads\"[0] has 1 numbers; expected [node, index] or [node, index, version]"),
        (#"{"nodes": [{"op": "null", "name": "x", "inputs": []}], "heads": [[-1, 0]]}"#, "bad.json: \"heads\"[0][0] is -1; expected a non-negative integer"),
        (#"{"nodes": [{"op": "null", "name": "x", "inputs": [], "attrs": {"a": [1]}}], "heads": [[0, 0]]}"#, "bad.json: node 0 'x': attribute \"a\" is an array; MXNet attributes are strings"),
        (#"{"nodes": [{"op": "relu", "name": "r", "inputs": []}], "arg_nodes": [0], "heads": [[0, 0]]}"#, "bad.json: arg_nodes[0] is node 0 'r', which is a 'relu' operator, not a variable"),
        (#"{"nodes": [], "heads": [], "attrs": {"mxnet_version": 10901}}"#, "bad.json: graph attribute \"mxnet_version\" must be [\"int\", <version>], e.g. [\"int\", 10901]"),
    ])
    func errors(json: String, expected: String) throws {
        let error = try #require(throws: MXNetFormatError.self) { try SymbolFile(jsonData: Array(json.utf8), file: "bad.json") }
        #expect(error.description == expected)
        #expect(!error.description.contains("\n"))
    }

    @Test("errors inside a subgraph say which subgraph")
    func subgraphError() throws {
        let json = #"{"nodes": [{"op": "_foreach", "name": "loop", "inputs": [], "subgraphs": [{"nodes": [], "heads": [[2, 0, 0]]}]}], "heads": [[0, 0, 0]]}"#
        let error = try #require(throws: MXNetFormatError.self) { try SymbolFile(jsonData: Array(json.utf8), file: "s.json") }
        #expect(error.description == "s.json: subgraph 0 of node 0 'loop': heads[0] refers to node 2, but the graph has 0 nodes")
    }

    @Test("deeply nested JSON is rejected without exhausting the stack")
    func deepNesting() throws {
        let json = String(repeating: "[", count: 100_000)
        let error = try #require(throws: MXNetFormatError.self) { try SymbolFile(jsonData: Array(json.utf8)) }
        #expect(error.message.contains("nesting deeper than 512 levels"))
    }

    @Test("strings with escapes and non-ASCII round-trip")
    func escapes() throws {
        let node = SymbolFile.Node(op: "null", name: "w\u{e9}ight \"q\"\n\\\t\u{1}", attributes: ["k": "\u{1F600} \r"])
        let symbol = SymbolFile(nodes: [node], argNodes: [0], nodeRowPtr: [0, 1], heads: [.init(node: 0)], mxnetVersion: 10901)
        #expect(try SymbolFile(jsonData: symbol.jsonData()) == symbol)
        let surrogates = #"{"nodes": [{"op": "null", "name": "\ud83d\ude00\u00e9\/", "inputs": []}], "heads": [[0, 0]]}"#
        #expect(try SymbolFile(jsonData: Array(surrogates.utf8)).nodes[0].name == "\u{1F600}\u{e9}/")
    }

    @Test("random corruption of a real symbol file never crashes")
    func randomCorruption() throws {
        let original = [UInt8](try Data(contentsOf: URL(fileURLWithPath: Resources.path("model-symbol.json"))))
        var generator = SplitMix64(seed: 42)
        for _ in 0..<500 {
            var bytes = original
            for _ in 0..<(1 + Int(generator.next() % 3)) {
                bytes[Int(generator.next() % UInt64(bytes.count))] = UInt8(truncatingIfNeeded: generator.next())
            }
            _ = try? SymbolFile(jsonData: bytes)
        }
        for length in stride(from: 0, to: original.count, by: 7) {
            #expect(throws: MXNetFormatError.self) { try SymbolFile(jsonData: original[0..<length]) }
        }
    }
}
