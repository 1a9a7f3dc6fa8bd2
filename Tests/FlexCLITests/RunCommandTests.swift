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

/// `flexeg run` end to end on compiled demo models: the placement the JSON reports (cores, switches,
/// mode), the text report's core map and warnings, and loads that must fail.
@Suite("flexeg run")
struct RunCommandTests {
    let scratch: TemporaryDirectory
    let runtimeDirectory: TemporaryDirectory

    init() throws {
        scratch = try TemporaryDirectory(prefix: "run-cli")
        runtimeDirectory = try TemporaryDirectory(prefix: "run-cli-cores")
    }

    func run(_ arguments: [String], environment: [String: String] = [:]) throws -> ProcessRunner.Result {
        try CLIRunner.run(["run"] + arguments, environment: RunTestSupport.environment(runtimeDirectory: runtimeDirectory.path, environment))
    }

    /// The report's models and cores by name and index.
    struct Report {
        let device: [String: Any]
        let models: [String: [String: Any]]
        let cores: [[String: Any]]

        init?(_ text: String) {
            guard let object = RunTestSupport.jsonObject(text),
                  let device = object["device"] as? [String: Any],
                  let models = object["models"] as? [[String: Any]],
                  let cores = object["cores"] as? [[String: Any]] else { return nil }
            self.device = device
            self.models = Dictionary(uniqueKeysWithValues: models.map { ($0["name"] as? String ?? "?", $0) })
            self.cores = cores
        }

        func cores(of model: String) -> [Int]? { models[model]?["cores"] as? [Int] }
        func switches(_ core: Int) -> Int? { cores.first { $0["index"] as? Int == core }?["switches"] as? Int }
        func executions(_ core: Int) -> Int? { cores.first { $0["index"] as? Int == core }?["executions"] as? Int }
        func models(on core: Int) -> [String]? { cores.first { $0["index"] as? Int == core }?["models"] as? [String] }
    }

    @Test func disjointPlacementReportsItsCoresAndNoSwitches() throws {
        let a = try RunTestSupport.compiledCheckpoint("model_a", cores: 2, in: scratch.path)
        let c = try RunTestSupport.compiledCheckpoint("model_c", cores: 3, in: scratch.path)
        let result = try run(["--cores", "8", "--model", "A=\(a)@0", "--model", "C=\(c)@3", "--requests", "10", "--concurrency", "2", "--json"])
        try #require(result.status == 0, "\(result.stderr)")
        let report = try #require(Report(result.stdout))
        #expect(report.device["cores"] as? Int == 8)
        #expect(report.device["mode"] as? String == "flexeg")
        #expect(report.cores(of: "A") == [0, 1])
        #expect(report.cores(of: "C") == [3, 4, 5])
        #expect(report.models["A"]?["context"] as? Int == 0)
        #expect(report.models["C"]?["context"] as? Int == 3)
        for name in ["A", "C"] {
            let model = try #require(report.models[name])
            #expect(model["inferences"] as? Int == 10)
            #expect((model["throughput"] as? Double ?? 0) > 0)
            let latency = try #require(model["latency_ms"] as? [String: Any])
            let p50 = try #require(latency["p50"] as? Double)
            let p99 = try #require(latency["p99"] as? Double)
            #expect(p50 > 0 && p50 <= p99)
        }
        #expect(report.cores.count == 8)
        for core in 0..<8 {
            #expect(report.switches(core) == 0)
            let expected = [0, 1].contains(core) ? ["A"] : (3...5).contains(core) ? ["C"] : []
            #expect(report.models(on: core) == expected, "core \(core)")
            #expect(report.executions(core) == (expected.isEmpty ? 0 : 10), "core \(core)")
            let busy = try #require(report.cores[core]["busy"] as? Double)
            #expect((0...1).contains(busy))
        }
    }

    @Test func sharedCoreSwitchesOnlyThere() throws {
        let b = try RunTestSupport.compiledCheckpoint("model_b", cores: 4, in: scratch.path)
        let c = try RunTestSupport.compiledCheckpoint("model_c", cores: 3, in: scratch.path)
        // The seed's bad placement, B at 2 (cores 2-5) and C at 5 (cores 5-7): they share core 5.
        let result = try run(["--cores", "16", "--model", "B=\(b)@2", "--model", "C=\(c)@5", "--requests", "16", "--json"])
        try #require(result.status == 0, "\(result.stderr)")
        let report = try #require(Report(result.stdout))
        #expect(report.cores(of: "B") == [2, 3, 4, 5])
        #expect(report.cores(of: "C") == [5, 6, 7])
        #expect(report.models(on: 5) == ["B", "C"])
        #expect(report.executions(5) == 32)
        #expect((report.switches(5) ?? 0) > 0, "B and C take turns on core 5")
        for core in 0..<16 where core != 5 { #expect(report.switches(core) == 0, "core \(core)") }
        let warnings = try #require(RunTestSupport.jsonObject(result.stdout)?["warnings"] as? [String])
        #expect(warnings.contains { $0.contains("share NeuronCore 5") })
    }

    @Test func neuronCoreGroupsNameGroups() throws {
        let a = try RunTestSupport.compiledCheckpoint("model_a", cores: 2, in: scratch.path)
        let b = try RunTestSupport.compiledCheckpoint("model_b", cores: 4, in: scratch.path)
        let result = try run(["--cores", "8", "--model", "A=\(a)@0", "--model", "B=\(b)@1", "--requests", "6", "--json"],
                             environment: ["NEURONCORE_GROUP_SIZES": "2,4"])
        try #require(result.status == 0, "\(result.stderr)")
        let report = try #require(Report(result.stdout))
        #expect(report.device["mode"] as? String == "ncg")
        #expect(report.device["cores"] as? Int == 8)
        #expect(report.device["groups"] as? [[Int]] == [[0, 1], [2, 3, 4, 5]])
        #expect(report.cores(of: "A") == [0, 1])
        #expect(report.cores(of: "B") == [2, 3, 4, 5])
        #expect(report.models["B"]?["context"] as? Int == 1)
        #expect(report.cores.allSatisfy { $0["switches"] as? Int == 0 })
    }

    @Test func textReportDrawsTheCoreMapAndWarns() throws {
        let a = try RunTestSupport.compiledCheckpoint("model_a", cores: 2, in: scratch.path)
        let c = try RunTestSupport.compiledCheckpoint("model_c", cores: 3, in: scratch.path)
        let result = try run(["--cores", "6", "--model", "A=\(a)@0", "--model", "C=\(c)@1", "--requests", "4"])
        try #require(result.status == 0, "\(result.stderr)")
        let lines = result.stdout.split(separator: "\n", omittingEmptySubsequences: false).map(String.init)
        #expect(lines.contains("models      [─ A ─]"))
        #expect(lines.contains("                [─── C ───]"))
        #expect(lines.contains("NeuronCore    0   1   2   3   4   5"))
        #expect(lines.contains("shared            ^"))
        #expect(lines.contains("^ NeuronCore 1 is shared by A and C: they take turns (model switching)"))
        #expect(result.stdout.contains("warning: models \"A\" (NeuronCores 0-1) and \"C\" (NeuronCores 1-3) share NeuronCore 1"))
        #expect(lines.contains { $0.hasPrefix("A ") && $0.contains("neuron(0)") && $0.contains("0-1") })
    }

    @Test func modelThatDoesNotFitFailsWithTheValidStarts() throws {
        let a = try RunTestSupport.compiledCheckpoint("model_a", cores: 2, in: scratch.path)
        let result = try run(["--cores", "4", "--model", "A=\(a)@3", "--requests", "2"])
        #expect(result.status != 0)
        #expect(result.stdout.isEmpty)
        #expect(result.stderr.split(separator: "\n").count == 1, "one line: \(result.stderr)")
        #expect(result.stderr.contains("NRT_LOAD_NOT_ENOUGH_NC"))
        #expect(result.stderr.contains("valid start indexes: 0, 1, 2"))
    }

    @Test func uncompiledCheckpointSaysToCompileFirst() throws {
        let plain = RunTestSupport.demoModelDirectory("model_a") + "/model_a"
        let result = try run(["--cores", "4", "--model", "A=\(plain)@0"])
        #expect(result.status != 0)
        #expect(result.stderr.split(separator: "\n").count == 1, "one line: \(result.stderr)")
        #expect(result.stderr.contains("not compiled for NeuronCores; compile it first"))
        #expect(result.stderr.contains("'A'"))
    }

    @Test func badArgumentsAreRejected() throws {
        let a = try RunTestSupport.compiledCheckpoint("model_a", cores: 2, in: scratch.path)
        for arguments in [
            ["--cores", "4"],
            ["--cores", "4", "--model", "A=\(a)"],
            ["--cores", "4", "--model", "A=\(a)@-1"],
            ["--cores", "4", "--instance", "inf1.xlarge", "--model", "A=\(a)@0"],
            ["--cores", "4", "--model", "A=\(a)@0", "--model", "A=\(a)@2"],
            ["--cores", "4", "--model", "A=\(a)@0", "--requests", "0"],
        ] {
            let result = try run(arguments)
            #expect(result.status != 0, "\(arguments)")
            #expect(!result.stderr.isEmpty, "\(arguments)")
        }
        let unknown = try run(["--instance", "inf9.huge", "--model", "A=\(a)@0"])
        #expect(unknown.status != 0)
        #expect(unknown.stderr.contains("unknown instance type \"inf9.huge\""))
        #expect(unknown.stderr.contains("inf1.6xlarge"))
    }

    @Test func instanceTypeSetsTheDevice() throws {
        let a = try RunTestSupport.compiledCheckpoint("model_a", cores: 2, in: scratch.path)
        let result = try run(["--instance", "inf1.xlarge", "--model", "A=\(a)@2", "--requests", "3", "--json"])
        try #require(result.status == 0, "\(result.stderr)")
        let report = try #require(Report(result.stdout))
        #expect(report.device["cores"] as? Int == 4)
        #expect(report.cores(of: "A") == [2, 3])
    }
}
