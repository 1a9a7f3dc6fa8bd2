@testable import FlexServer
import FlexJSON
import FlexTestSupport
import Foundation
import Testing

/// Model configs in protobuf text format and JSON, and the repository's name confinement.
struct ConfigTests {
    @Test func parsesTheExampleRepositorysTextFormat() throws {
        let path = RepositoryPaths.root() + "/Examples/model-repository/B/config.pbtxt"
        let text = try String(contentsOfFile: path, encoding: .utf8)
        let config = try ModelConfig(ConfigNode.parseText(text, what: path), what: path)
        #expect(config.name == "B")
        #expect(config.maxBatchSize == 0)
        #expect(config.inputs == [.init(name: "data", dataType: .fp32, dims: [1, 3, 32, 32])])
        #expect(config.startIndex == 2)
        #expect(config.coreCount == 4)
    }

    @Test func textFormatVariants() throws {
        let text = """
            name: 'm'  # a comment
            instance_group [ { kind: KIND_MODEL, count: 3 } ]
            input { name: "x" data_type: TYPE_INT64 dims: 4 dims: -1 }
            input: { name: "y", data_type: TYPE_STRING, dims: [ 2 ] }
            parameters: { key: "NEURON_CORE_START_INDEX", value: { string_value: "5" } }
            parameters { key: "OTHER" value { string_value: "a" "b" } }
            """
        let config = try ModelConfig(ConfigNode.parseText(text, what: "t"), what: "t")
        #expect(config.name == "m")
        #expect(config.instanceCount == 3)
        #expect(config.inputs?.map(\.name) == ["x", "y"])
        #expect(config.inputs?.first?.dims == [4, -1])
        #expect(config.inputs?.last?.dataType == .bytes)
        #expect(config.parameters == ["NEURON_CORE_START_INDEX": "5", "OTHER": "ab"])
    }

    @Test func textFormatErrorsNameTheLine() throws {
        #expect(throws: ServerError.self) { try ConfigNode.parseText("name: \"m\"\ninput {\n name: \"x\"\n", what: "cfg") }
        do {
            _ = try ConfigNode.parseText("name: \"m\"\n\ninput [ { name: \"x\" ", what: "cfg")
            Issue.record("an unclosed list parsed")
        } catch {
            #expect(error.message.contains("cfg line 3"), "\(error.message)")
        }
        do {
            _ = try ModelConfig(ConfigNode.parseText(#"input [{ name: "x", data_type: TYPE_FLOAT }]"#, what: "cfg"), what: "cfg")
            Issue.record("a bad data_type parsed")
        } catch {
            #expect(error.message.contains("TYPE_FP32"), "\(error.message)")
        }
        do {
            _ = try ModelConfig(ConfigNode.parseText(#"parameters { key: "NEURON_CORE_START_INDEX" value { string_value: "six" } }"#, what: "cfg"), what: "cfg")
            Issue.record("a non-numeric start index parsed")
        } catch {
            #expect(error.message.contains("must be a whole number"), "\(error.message)")
        }
    }

    /// Values no model can take are refused where the config is read, with what to write instead.
    @Test func impossibleValuesAreRefusedNamingTheField() throws {
        func refusal(_ text: String) -> String? {
            do {
                let config = try ModelConfig(ConfigNode.parseText(text, what: "cfg"), what: "cfg")
                try config.checkConsistent(what: "cfg")
                return nil
            } catch { return error.message }
        }
        let input = #"input [ { name: "data", data_type: TYPE_FP32, dims: [ 3, 32, 32 ] } ]"#
        for (text, expected) in [
            (#"parameters { key: "NEURON_CORE_START_INDEX" value { string_value: "-1" } }"#, "NEURON_CORE_START_INDEX (the mx.neuron(i) index) must be a whole number >= 0, not '-1'"),
            (#"parameters { key: "NEURON_CORES" value { string_value: "0" } }"#, "NEURON_CORES (the NeuronCores to compile for) must be a whole number >= 1, not '0'"),
            (#"input [ { name: "data", dims: [ 1, 3, 0, 32 ] } ]"#, "input 'data' has dim '0'; each dim is a whole number >= 1, or -1 for any size"),
            (#"input [ { name: "data" }, { name: "data" } ]"#, "input 'data' is listed twice"),
            (#"output [ { name: "p" }, { name: "p" } ]"#, "output 'p' is listed twice"),
            (input + "\ndynamic_batching { }", "dynamic_batching needs max_batch_size >= 1 (the batch the model is compiled at); this config's is 0"),
            ("max_batch_size: 4\n" + input + "\ndynamic_batching { preferred_batch_size: [ 2, 8 ] }", "preferred_batch_size 8 is over max_batch_size 4"),
        ] {
            let message = refusal(text)
            #expect(message?.contains(expected) == true, "\(text): \(message ?? "accepted")")
        }
        #expect(refusal("max_batch_size: 8\n" + input + "\ndynamic_batching { preferred_batch_size: [ 4, 8 ] }") == nil)
        #expect(refusal(#"input [ { name: "x", dims: [ -1, 4 ] } ] parameters { key: "NEURON_CORE_START_INDEX" value { string_value: "0" } }"#) == nil)
    }

    /// The cross-field rules hold for the config in force, so a load's override cannot switch dynamic
    /// batching on for a model the file compiles unbatched.
    @Test func anOverrideIsCheckedWithTheFileItMergesInto() throws {
        let directory = try TemporaryDirectory(prefix: "flexeg-override")
        try FileManager.default.createDirectory(atPath: directory.path + "/m/1", withIntermediateDirectories: true)
        try #"input [ { name: "data", dims: [ 1, 3, 8, 8 ] } ]"#.write(toFile: directory.path + "/m/config.pbtxt", atomically: true, encoding: .utf8)
        let repository = try ModelRepository(path: directory.path)
        #expect(throws: Never.self) { try repository.files(of: "m", override: nil) }
        let override = try ModelConfig(ConfigNode.parseJSON(Array(#"{"dynamic_batching": {}}"#.utf8), what: "o"), what: "o")
        do {
            _ = try repository.files(of: "m", override: override)
            Issue.record("dynamic batching on an unbatched model was accepted")
        } catch {
            #expect(error.message.contains("model 'm' (its config with the load's override): dynamic_batching needs max_batch_size >= 1"), "\(error.message)")
        }
    }

    @Test func jsonOverrideMergesParametersKeyByKey() throws {
        var file = ModelConfig()
        file.inputs = [.init(name: "data", dataType: .fp32, dims: [1, 3, 32, 32])]
        file.parameters = ["NEURON_CORES": "2", "NEURON_CORE_START_INDEX": "0"]
        let override = try ModelConfig(ConfigNode.parseJSON(Array(#"{"parameters": {"NEURON_CORE_START_INDEX": {"string_value": "6"}}}"#.utf8), what: "o"), what: "o")
        let merged = file.merged(with: override)
        #expect(merged.parameters == ["NEURON_CORES": "2", "NEURON_CORE_START_INDEX": "6"])
        #expect(merged.inputs == file.inputs)
        #expect(throws: ServerError.self) { try ConfigNode.parseJSON(Array("{\"a\": ".utf8), what: "o") }
    }

    @Test func jsonValueRoundTripsAndReportsOffsets() throws {
        let value = try JSONValue.parse(Array(#"{"a":[1,-2.5e3,true,null],"b":"x\"\u00e9\n","c":{}}"#.utf8))
        #expect(value["a"]?.array?.count == 4)
        #expect(value["b"]?.string == "x\"é\n")
        #expect(try JSONValue.parse(Array(value.serialized.utf8)) == value)
        #expect(value["a"]?.array?.first?.int == 1)
        do {
            _ = try JSONValue.parse(Array(#"{"a": [1, 2,]}"#.utf8))
            Issue.record("a trailing comma parsed")
        } catch {
            #expect(error.offset == 12, "\(error)")
            #expect("\(error)" == "unexpected ']', expected a value at byte 12 (line 1, column 13)", "\(error)")
        }
        // The server's depth limit: 64 levels parse, 65 are refused (whatever the closing brackets).
        let nested = { (depth: Int) in Array((String(repeating: "[", count: depth) + String(repeating: "]", count: depth)).utf8) }
        #expect(try JSONValue.parse(nested(JSONLimits.depth), maximumDepth: JSONLimits.depth).array != nil)
        #expect(throws: JSONSyntaxError.self) { try JSONValue.parse(nested(JSONLimits.depth + 1), maximumDepth: JSONLimits.depth) }
    }

    @Test func repositoryConfinesModelNames() throws {
        let directory = try TemporaryDirectory(prefix: "flexeg-confine")
        let outside = try TemporaryDirectory(prefix: "flexeg-outside")
        try FileManager.default.createDirectory(atPath: directory.path + "/good/1", withIntermediateDirectories: true)
        try FileManager.default.createDirectory(atPath: outside.path + "/1", withIntermediateDirectories: true)
        try FileManager.default.createSymbolicLink(atPath: directory.path + "/escape", withDestinationPath: outside.path)
        let repository = try ModelRepository(path: directory.path)
        #expect(repository.modelNames() == ["good"])
        #expect(throws: Never.self) { try repository.directory(of: "good") }
        for name in ["..", ".", "../x", "/etc", "a/b", ".hidden", "escape", "missing"] {
            #expect(throws: ServerError.self, "\(name)") { try repository.directory(of: name) }
        }
        let files = try repository.files(of: "good", override: nil)
        #expect(files.version == 1)
        #expect(files.config == ModelConfig())
    }

    @Test func coreRanges() {
        #expect(CoreRanges.format([2, 3, 4, 5]) == "2-5")
        #expect(CoreRanges.format([9, 0, 1, 5]) == "0-1,5,9")
        #expect(CoreRanges.format([]) == "")
    }
}
