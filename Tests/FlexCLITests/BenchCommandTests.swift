import FlexTensor
import FlexTestSupport
import Foundation
import Testing

@Suite("flexeg bench")
struct BenchCommandTests {
    /// Runs `flexeg bench` on the small ResNet bottleneck fixture with a private runtime directory, so
    /// other processes' NeuronCore locks cannot interfere.
    static func bench(_ arguments: [String]) throws -> ProcessRunner.Result {
        let fixture = try Fixture.named("zoo_resnet_bottleneck_v1")
        let runtime = try TemporaryDirectory(prefix: "bench-cli")
        return try CLIRunner.run(["bench", fixture.prefix, "--input", "data=1,3,32,32"] + arguments,
                                 environment: ["FLEXEG_RUNTIME_DIR": runtime.path])
    }

    static func json(_ result: ProcessRunner.Result) throws -> [String: Any] {
        try #require(try JSONSerialization.jsonObject(with: Data(result.stdout.utf8)) as? [String: Any], "\(result.stdout)")
    }

    @Test func jsonReportsThroughputLatencyAndGFLOPs() throws {
        let result = try Self.bench(["--iterations", "6", "--warmup", "1", "--json"])
        #expect(result.status == 0, "\(result.stderr)")
        let json = try Self.json(result)
        let throughput = try #require(json["throughput"] as? Double)
        let gflops = try #require(json["gflops"] as? Double)
        let latency = try #require(json["latency_ms"] as? [String: Double])
        let (p50, p90, p99) = (try #require(latency["p50"]), try #require(latency["p90"]), try #require(latency["p99"]))
        #expect(throughput > 0 && throughput.isFinite)
        #expect(gflops > 0 && gflops.isFinite)
        #expect(0 < p50 && p50 <= p90 && p90 <= p99)
        #expect(json["requests"] as? Int == 6)
        #expect(json["cores"] as? Int == 1 && json["copies"] as? Int == 1 && json["batch"] as? Int == 1)
        // The bottleneck fixture's FLOPs per image (direct convolutions, dense layer and elementwise work).
        let flops = try #require(json["flops_per_inference"] as? Double)
        #expect(flops > 1e6 && flops < 1e7)
        // Throughput × FLOPs per inference is the GFLOP/s reported.
        #expect(abs(throughput * flops / 1e9 - gflops) <= 1e-6 * gflops)
        let busy = try #require(json["core_busy"] as? [Double])
        #expect(busy.count == 1 && busy.allSatisfy { (0...1).contains($0) })
    }

    @Test func copiesOfAMultiCoreModelUseConsecutiveCoreRanges() throws {
        let result = try Self.bench(["--cores", "2", "--copies", "2", "--concurrency", "3", "--iterations", "12", "--warmup", "1", "--json"])
        #expect(result.status == 0, "\(result.stderr)")
        let json = try Self.json(result)
        #expect(json["cores"] as? Int == 2 && json["copies"] as? Int == 2 && json["concurrency"] as? Int == 3)
        #expect(json["requests"] as? Int == 12)
        #expect((json["core_busy"] as? [Double])?.count == 4)
        #expect((json["throughput"] as? Double ?? 0) > 0)
    }

    @Test func profileListsEveryStep() throws {
        let result = try Self.bench(["--iterations", "2", "--warmup", "0", "--profile", "2", "--json"])
        #expect(result.status == 0, "\(result.stderr)")
        let steps = try #require(try Self.json(result)["steps"] as? [[String: Any]])
        #expect(steps.count >= 10)
        #expect(steps.contains { $0["kernel"] as? String == "winograd" || $0["kernel"] as? String == "gemm" })
        #expect(steps.allSatisfy { ($0["ms"] as? Double ?? -1) >= 0 })
    }

    /// The outputs of the compiled model on NeuronCores, written after timing, match MXNet's.
    @Test(arguments: [1, 2])
    func outputDirHoldsMXNetsOutputs(cores: Int) throws {
        let fixture = try Fixture.named("zoo_mobilenet_v2")
        let scratch = try TemporaryDirectory(prefix: "bench-cli-out")
        let input = fixture.directory + "/" + fixture.manifest.inputs[0].file
        let result = try CLIRunner.run(["bench", fixture.prefix, "--input", "data=\(input)", "--cores", String(cores),
                                        "--iterations", "2", "--warmup", "0", "--output-dir", scratch.path],
                                       environment: ["FLEXEG_RUNTIME_DIR": scratch.path + "/runtime"])
        #expect(result.status == 0, "\(result.stderr)")
        let actual = try Tensor(npyFile: scratch.path + "/out_0.npy")
        let expected = try fixture.expectedOutputs()[0]
        #expect(actual.shape == expected.shape)
        #expect(relativeL2Error(actual, expected) <= 1e-3)
    }

    @Test func textOutputNamesTheMeasurements() throws {
        let result = try Self.bench(["--iterations", "3", "--warmup", "0"])
        #expect(result.status == 0, "\(result.stderr)")
        for word in ["throughput", "latency", "p99", "GFLOP/s"] { #expect(result.stdout.contains(word), "\(result.stdout)") }
    }

    @Test(arguments: [
        (["--cores", "0"], "--cores must be at least 1"),
        (["--iterations", "3", "--duration", "1"], "either --iterations or --duration"),
        (["--concurrency", "0"], "--concurrency must be at least 1"),
        (["--input", "label=1,2"], "label"),
        (["--input", "data=1,3,32,32"], "given twice"),
    ])
    func badArgumentsFailWithOneLine(arguments: [String], message: String) throws {
        let result = try Self.bench(arguments + ["--iterations", "1"].filter { _ in !arguments.contains("--iterations") })
        #expect(result.status != 0)
        let lines = result.stderr.split(separator: "\n")
        #expect(lines.count == 1 && lines[0].hasPrefix("flexeg: error:") && lines[0].contains(message), "\(result.stderr)")
    }

    @Test func missingShapeIsNamed() throws {
        let fixture = try Fixture.named("zoo_resnet_bottleneck_v1")
        let result = try CLIRunner.run(["bench", fixture.prefix, "--input", "data=1,3,x"])
        #expect(result.status != 0)
        #expect(result.stderr.contains("expected a shape of positive sizes"), "\(result.stderr)")
    }
}
