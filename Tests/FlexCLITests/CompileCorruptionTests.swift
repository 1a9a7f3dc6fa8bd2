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

/// A damaged compiled checkpoint, through `flexeg infer` and `flexeg inspect`: one clear line on
/// stderr naming the subgraph and what is wrong, a non-zero exit, no crash.
@Suite("flexeg on corrupt compiled checkpoints")
struct CompileCorruptionTests {
    enum Damage: String, CaseIterable, Sendable {
        /// The `_neuronbin` array loses its last 100 bytes.
        case truncated
        /// One payload byte flipped: only the checksum can tell.
        case alteredByte
        /// The header's format version field rewritten to one newer than FlexEG knows.
        case newerFormatVersion

        var fragments: [String] {
            switch self {
            case .truncated: ["_neuron_subgraph_op0", "truncated"]
            case .alteredByte: ["_neuron_subgraph_op0", "checksum", "corrupt"]
            case .newerFormatVersion: ["_neuron_subgraph_op0", "format version \(CompiledArtifact.formatVersion + 1) is newer", "recompile"]
            }
        }

        func apply(to bytes: inout [UInt8]) {
            switch self {
            case .truncated:
                bytes.removeLast(100)
            case .alteredByte:
                bytes[bytes.count / 2] ^= 0x10
            case .newerFormatVersion:
                // Little-endian u32 after the 8-byte magic.
                let version = CompiledArtifact.formatVersion + 1
                for offset in 0..<4 { bytes[8 + offset] = UInt8(truncatingIfNeeded: version >> (8 * UInt32(offset))) }
            }
        }
    }

    static let cases: [(Damage, String)] = Damage.allCases.flatMap { damage in ["infer", "inspect"].map { (damage, $0) } }

    @Test(arguments: cases)
    func damagedArtifact(damage: Damage, command: String) throws {
        let fixture = try Fixture.named("zoo_resnet18_v1")
        let scratch = try TemporaryDirectory(prefix: "compile-corrupt")
        let prefix = scratch.path + "/model"
        try CompileCLI.compile(fixture, cores: 2, output: prefix).check()

        var checkpoint = try Checkpoint.load(prefix: prefix, epoch: 0)
        let name = "_neuron_subgraph_op0_neuronbin"
        var bytes = TestTensors.bytes(try #require(checkpoint.argParams[name]))
        damage.apply(to: &bytes)
        checkpoint.argParams[name] = bytes.withUnsafeBytes { Tensor(shape: [bytes.count], dtype: .uint8, bytes: $0) }
        try checkpoint.save(prefix: prefix, epoch: 0)

        let arguments = command == "infer"
            ? ["infer", prefix] + CompileCLI.fileArguments(fixture) + ["--output-dir", scratch.path + "/out"]
            : ["inspect", prefix, "--json"]
        let result = try CLIRunner.run(arguments)
        CompileCLI.expectOneLineError(result, mentioning: damage.fragments)
        #expect(result.stdout.isEmpty, "nothing on stdout: \(result.stdout)")
    }
}
