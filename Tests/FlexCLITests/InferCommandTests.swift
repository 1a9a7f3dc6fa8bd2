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

/// `flexeg infer` end to end: real fixtures in, MXNet's outputs out; every kind of bad input gives
/// one clear line on stderr and a non-zero exit.
@Suite("flexeg infer")
struct InferCommandTests {
    let fixture: Fixture
    let scratch: TemporaryDirectory

    init() throws {
        fixture = try Fixture.named("zoo_resnet18_v1")
        scratch = try TemporaryDirectory(prefix: "infer-cli")
    }

    var inputArgument: String { "data=" + fixture.directory + "/in_data.npy" }

    /// A copy of the fixture's checkpoint under `scratch`, so a test can damage it.
    func copiedPrefix() throws -> String {
        let prefix = scratch.path + "/model"
        for suffix in ["-symbol.json", "-0000.params"] {
            try FileManager.default.copyItem(atPath: fixture.prefix + suffix, toPath: prefix + suffix)
        }
        return prefix
    }

    func expectOneLineError(_ result: ProcessRunner.Result, mentioning fragments: [String]) {
        #expect(result.status != 0)
        let lines = result.stderr.split(separator: "\n")
        #expect(lines.count == 1, "expected one line on stderr, got: \(result.stderr)")
        for fragment in fragments {
            #expect(result.stderr.contains(fragment), "stderr should mention '\(fragment)': \(result.stderr)")
        }
    }

    @Test func writesMXNetsOutputs() throws {
        let out = scratch.path + "/out"
        let result = try CLIRunner.run(["infer", fixture.prefix, "--input", inputArgument, "--output-dir", out])
        #expect(result.status == 0, "\(result.stderr)")
        let written = try Tensor(npyFile: out + "/out_0.npy")
        let expected = try fixture.expectedOutputs()[0]
        #expect(written.shape == expected.shape)
        #expect(relativeL2Error(written, expected) <= 1e-4)
    }

    @Test func truncatedParamsFile() throws {
        let prefix = try copiedPrefix()
        let path = prefix + "-0000.params"
        let data = try Data(contentsOf: URL(fileURLWithPath: path))
        try data.prefix(data.count / 2).write(to: URL(fileURLWithPath: path))
        let result = try CLIRunner.run(["infer", prefix, "--input", inputArgument, "--output-dir", scratch.path])
        expectOneLineError(result, mentioning: ["model-0000.params", "byte"])
    }

    @Test func malformedSymbolJSON() throws {
        let prefix = try copiedPrefix()
        try Data("{\"nodes\": [".utf8).write(to: URL(fileURLWithPath: prefix + "-symbol.json"))
        let result = try CLIRunner.run(["infer", prefix, "--input", inputArgument, "--output-dir", scratch.path])
        expectOneLineError(result, mentioning: ["model-symbol.json"])
    }

    @Test func unknownOperator() throws {
        let prefix = try copiedPrefix()
        try rewriteSymbol(prefix) { $0.replacingOccurrences(of: "\"op\": \"Pooling\"", with: "\"op\": \"FancyPooling\"") }
        let result = try CLIRunner.run(["infer", prefix, "--input", inputArgument, "--output-dir", scratch.path])
        expectOneLineError(result, mentioning: ["FancyPooling", "not supported"])
    }

    @Test func attributeMXNetWouldReject() throws {
        let prefix = try copiedPrefix()
        try rewriteSymbol(prefix) { $0.replacingOccurrences(of: "\"act_type\": \"relu\"", with: "\"act_type\": \"swish\"") }
        let result = try CLIRunner.run(["infer", prefix, "--input", inputArgument, "--output-dir", scratch.path])
        expectOneLineError(result, mentioning: ["act_type", "swish", "relu"])
    }

    @Test func missingInputNamesTheExpectedShape() throws {
        let result = try CLIRunner.run(["infer", fixture.prefix, "--output-dir", scratch.path])
        expectOneLineError(result, mentioning: ["missing input 'data'", "(?,3,?,?)"])
    }

    @Test func inputOfTheWrongShape() throws {
        let wrong = scratch.path + "/wrong.npy"
        try Tensor(zeros: [2, 4, 32, 32]).writeNPY(to: wrong)
        let result = try CLIRunner.run(["infer", fixture.prefix, "--input", "data=" + wrong, "--output-dir", scratch.path])
        expectOneLineError(result, mentioning: ["input 'data'", "(2,4,32,32)", "(?,3,?,?)"])
    }

    @Test func unknownInputName() throws {
        let result = try CLIRunner.run(["infer", fixture.prefix, "--input", inputArgument, "--input", "label=" + fixture.directory + "/in_data.npy", "--output-dir", scratch.path])
        expectOneLineError(result, mentioning: ["'label'", "data"])
    }

    @Test func missingCheckpoint() throws {
        let result = try CLIRunner.run(["infer", scratch.path + "/nothing", "--output-dir", scratch.path])
        expectOneLineError(result, mentioning: ["nothing-symbol.json"])
    }

    func rewriteSymbol(_ prefix: String, _ edit: (String) -> String) throws {
        let path = prefix + "-symbol.json"
        let text = try String(contentsOfFile: path, encoding: .utf8)
        let edited = edit(text)
        try #require(edited != text, "the edit must change the symbol file")
        try edited.write(toFile: path, atomically: true, encoding: .utf8)
    }
}
