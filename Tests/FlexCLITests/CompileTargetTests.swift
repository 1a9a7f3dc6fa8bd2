import FlexKernels
import FlexTensor
import FlexTestSupport
import Foundation
import MXNetFormat
import Testing

/// `flexeg compile --target`: the artifact records the instruction set its kernels were chosen for,
/// `flexeg inspect` shows it, a process whose CPU (or `FLEXEG_MAX_ISA`) lacks it refuses the model
/// with the ISAs and the flag to recompile, and a model compiled for a lower target runs there and
/// matches MXNet.
@Suite("flexeg compile --target")
struct CompileTargetTests {
    let scratch: TemporaryDirectory

    init() throws {
        scratch = try TemporaryDirectory(prefix: "compile-target")
    }

    /// The depthwise CNN: it has a 3-channel stem (the direct kernel's case at AVX-512).
    static let fixtureName = "zoo_mobilenet_v2"

    func inspectJSON(_ prefix: String, environment: [String: String] = [:]) throws -> [String: Any] {
        let result = try CLIRunner.run(["inspect", prefix, "--json"], environment: environment)
        try #require(result.status == 0, "inspect: \(result.stderr)")
        return try #require(try JSONSerialization.jsonObject(with: Data(result.stdout.utf8)) as? [String: Any])
    }

    @Test(arguments: ["avx2", "portable"])
    func aLowerTargetIsRecordedAndRunsCappedAtIt(target: String) throws {
        let fixture = try Fixture.named(Self.fixtureName)
        let output = scratch.path + "/\(target)"
        let compiled = try CompileCLI.compile(fixture, cores: 2, output: output, extra: ["--target", target])
        try #require(compiled.status == 0, "\(compiled.stderr)")
        #expect(compiled.stdout.contains("(target \(target))"), "\(compiled.stdout)")
        let summary = try inspectJSON(output)
        #expect(summary["target"] as? String == target)
        // The portable target gives no layer an algorithm whose pieces only AVX2 and AVX-512 vectorise.
        let operators = (summary["stages"] as? [[String: Any]] ?? []).flatMap { $0["operators"] as? [String] ?? [] }
        #expect(!operators.isEmpty)
        if target == "portable" {
            for algorithm in ["direct", "gemm-transposed", "winograd22"] {
                #expect(!operators.contains { $0.contains("{\(algorithm)}") }, "\(algorithm) runs portable pieces at the portable target")
            }
        }
        let text = try CLIRunner.run(["inspect", output])
        #expect(text.stdout.contains("target \(target)"), "\(text.stdout)")

        let outputs = scratch.path + "/\(target)-out"
        let run = try CLIRunner.run(["infer", output] + CompileCLI.fileArguments(fixture) + ["--output-dir", outputs],
                                    environment: ["FLEXEG_MAX_ISA": target])
        try #require(run.status == 0, "infer capped at \(target): \(run.stderr)")
        for (index, expected) in try fixture.expectedOutputs().enumerated() {
            let actual = try Tensor(npyFile: outputs + "/out_\(index).npy")
            #expect(relativeL2Error(actual, expected) <= 1e-3, "output \(index) at \(target) against MXNet")
        }
    }

    /// At AVX2 every compiled step runs AVX2 code: the profile names each step's instruction set.
    @Test func anAVX2ModelRunsNoPortableLayersAtAVX2() throws {
        let fixture = try Fixture.named(Self.fixtureName)
        try #require(Fast.InstructionSet.host >= .avx2, "the CPU has no AVX2")
        let output = scratch.path + "/avx2-bench"
        let compiled = try CompileCLI.compile(fixture, cores: 1, output: output, extra: ["--target", "avx2"])
        try #require(compiled.status == 0, "\(compiled.stderr)")
        let input = fixture.directory + "/" + fixture.manifest.inputs[0].file
        let bench = try CLIRunner.run(["bench", output, "--input", "data=\(input)", "--iterations", "1", "--warmup", "0",
                                       "--profile", "1", "--json"],
                                      environment: ["FLEXEG_MAX_ISA": "avx2", "FLEXEG_RUNTIME_DIR": scratch.path + "/runtime"])
        try #require(bench.status == 0, "\(bench.stderr)")
        let json = try #require(try JSONSerialization.jsonObject(with: Data(bench.stdout.utf8)) as? [String: Any])
        let steps = try #require(json["steps"] as? [[String: Any]])
        let isas = Set(steps.compactMap { $0["isa"] as? String })
        #expect(isas.contains("avx2"), "\(isas)")
        #expect(isas.isSubset(of: ["avx2", "-"]), "steps at \(isas)")
        let convolutions = steps.filter { $0["op"] as? String == "Convolution" && $0["kernel"] as? String != "fused" }
        #expect(!convolutions.isEmpty && convolutions.allSatisfy { $0["isa"] as? String == "avx2" })
    }

    @Test func aTargetAboveTheProcessCapIsRefusedWithTheFlagToRecompile() throws {
        let fixture = try Fixture.named(Self.fixtureName)
        let host = Fast.InstructionSet.host
        let cap = Fast.InstructionSet.allCases.filter { $0 < host }.max() ?? .portable
        try #require(cap < host, "the CPU has no instruction set above portable")
        let output = scratch.path + "/host"
        let compiled = try CompileCLI.compile(fixture, cores: 1, output: output, extra: ["--target", host.rawValue])
        try #require(compiled.status == 0, "\(compiled.stderr)")
        // Inspecting works under any cap: it describes the model, it does not run it.
        #expect(try inspectJSON(output, environment: ["FLEXEG_MAX_ISA": cap.rawValue])["target"] as? String == host.rawValue)

        let run = try CLIRunner.run(["infer", output] + CompileCLI.fileArguments(fixture) + ["--output-dir", scratch.path + "/refused"],
                                    environment: ["FLEXEG_MAX_ISA": cap.rawValue])
        CompileCLI.expectOneLineError(run, mentioning: ["compiled for \(host.rawValue)", "runs at most \(cap.rawValue)",
                                                        "FLEXEG_MAX_ISA", "flexeg compile --target \(cap.rawValue)"])
    }

    @Test func badTargetsAndCapsNameTheValidValues() throws {
        let fixture = try Fixture.named(Self.fixtureName)
        let badTarget = try CompileCLI.compile(fixture, cores: 1, output: scratch.path + "/bad", extra: ["--target", "sse4"])
        CompileCLI.expectOneLineError(badTarget, mentioning: ["--target 'sse4'", "native, avx512, avx2 or portable"])
        let badCap = try CLIRunner.run(["inspect", fixture.prefix], environment: ["FLEXEG_MAX_ISA": "avx1024"])
        CompileCLI.expectOneLineError(badCap, mentioning: ["FLEXEG_MAX_ISA=avx1024", "avx512, avx2, portable"])
        #expect(!FileManager.default.fileExists(atPath: scratch.path + "/bad-symbol.json"))
    }
}
