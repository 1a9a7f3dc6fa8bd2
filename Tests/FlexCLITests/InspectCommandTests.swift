import FlexArtifact
import FlexCompiler
import FlexEG
import FlexExecution
import FlexGraph
import FlexKernels
import FlexRuntime
import FlexTestSupport
import Foundation
import MXNetFormat
import Testing

@Suite("flexeg inspect")
struct InspectCommandTests {
    @Test func jsonSummaryOfAZooModel() throws {
        let fixture = try Fixture.named("zoo_resnet18_v1")
        let result = try CLIRunner.run(["inspect", fixture.prefix, "--json"])
        #expect(result.status == 0, "\(result.stderr)")
        let json = try #require(try JSONSerialization.jsonObject(with: Data(result.stdout.utf8)) as? [String: Any])
        #expect(json["compiled"] as? Bool == false)
        let inputs = try #require(json["inputs"] as? [[String: Any]])
        #expect(inputs.map { $0["name"] as? String } == ["data"])
        #expect((inputs.first?["shape"] as? [Int]) == [0, 3, 0, 0])
        let operators = try #require(json["operators"] as? [String: Int])
        #expect(operators["Convolution"] ?? 0 > 10)
        #expect((json["unsupported"] as? [Any])?.isEmpty == true)
        #expect(json["parameter_count"] as? Int ?? 0 > 0)
    }

    @Test func listsEveryNodeItCannotRun() throws {
        let fixture = try Fixture.named("zoo_resnet18_v1")
        let scratch = try TemporaryDirectory(prefix: "inspect-cli")
        let prefix = scratch.path + "/model"
        let symbol = try String(contentsOfFile: fixture.prefix + "-symbol.json", encoding: .utf8)
            .replacingOccurrences(of: "\"op\": \"elemwise_add\"", with: "\"op\": \"MysteryAdd\"")
        try symbol.write(toFile: prefix + "-symbol.json", atomically: true, encoding: .utf8)
        try FileManager.default.copyItem(atPath: fixture.prefix + "-0000.params", toPath: prefix + "-0000.params")
        let result = try CLIRunner.run(["inspect", prefix])
        #expect(result.status != 0)
        let mentions = result.stdout.components(separatedBy: "MysteryAdd").count - 1
        #expect(mentions >= 4, "every residual add should be listed: \(result.stdout)")
    }

    @Test func compiledCheckpointAsJSON() throws {
        let fixture = try Fixture.named("zoo_resnet18_v1")
        let scratch = try TemporaryDirectory(prefix: "inspect-cli")
        let prefix = scratch.path + "/model"
        try CompileCLI.compile(fixture, cores: 4, output: prefix, extra: ["--exclude", "resnetv10_dense0_fwd"]).check()
        let result = try CLIRunner.run(["inspect", prefix, "--json"])
        #expect(result.status == 0, "\(result.stderr)")
        let json = try #require(try JSONSerialization.jsonObject(with: Data(result.stdout.utf8)) as? [String: Any])
        #expect(json["compiled"] as? Bool == true)
        #expect(json["cores"] as? Int == 4)
        #expect(json["formatVersion"] as? Int == Int(CompiledArtifact.formatVersion))
        #expect(json["hostNodes"] as? [String] == ["resnetv10_dense0_fwd"])
        let stages = try #require(json["stages"] as? [[String: Any]])
        #expect(stages.map { $0["index"] as? Int } == [0, 1, 2, 3])
        for stage in stages {
            #expect((stage["flops"] as? Double ?? 0) > 0)
            #expect((stage["bytes"] as? Double ?? 0) > 0)
            #expect((stage["nodes"] as? Int ?? 0) > 0)
        }
        // Every compiled step is in exactly one stage; the excluded node runs in the last one.
        let subgraphs = try #require(json["subgraphs"] as? [[String: Any]])
        let steps = subgraphs.reduce(0) { $0 + ($1["steps"] as? Int ?? 0) }
        #expect(stages.reduce(0) { $0 + ($1["nodes"] as? Int ?? 0) } == steps + 1)
        #expect((stages[3]["operatorCounts"] as? [String: Int])?["FullyConnected on host"] == 1)
        // Stage 0 receives the model input; the last stage sends the model output.
        let received = try #require((stages[0]["receives"] as? [[String: Any]])?.first)
        #expect(received["name"] as? String == "data")
    }

    @Test func compiledCheckpointAsText() throws {
        let fixture = try Fixture.named("zoo_resnet18_v1")
        let scratch = try TemporaryDirectory(prefix: "inspect-cli")
        let prefix = scratch.path + "/model"
        try CompileCLI.compile(fixture, cores: 2, output: prefix, extra: ["--exclude", "resnetv10_dense0_fwd"]).check()
        let result = try CLIRunner.run(["inspect", prefix])
        #expect(result.status == 0, "\(result.stderr)")
        let text = result.stdout
        for fragment in ["Compiled for 2 NeuronCores, target \(Fast.InstructionSet.active.rawValue) (artifact format version \(CompiledArtifact.formatVersion))",
                         "kernel scratch", "batch: parts run 2 samples one at a time",
                         "data (2,3,32,32) float32", "resnetv10_dense0_fwd_output (2,10) float32",
                         "Stage 0:", "Stage 1:", "Convolution ×", "FullyConnected on host ×1", "estimated",
                         "receives: data (2,3,32,32) float32", "Balance: the costliest stage is", "Peak memory:",
                         "weights", "_neuron_subgraph_op0:", "Host nodes (excluded, run on the CPU): resnetv10_dense0_fwd"] {
            #expect(text.contains(fragment), "inspect should show '\(fragment)':\n\(text)")
        }
        #expect(!text.contains("Stage 2:"))
    }
}
