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

/// Real MXNet 1.9.1 reads the params file `flexeg compile` writes (`mx.nd.load`): the artifact is an
/// ordinary uint8 array, next to the float32 parameters of the nodes left on the host.
@Suite("flexeg compile output read by MXNet")
struct CompileMXNetReadbackTests {
    @Test(.enabled(if: MXNetPython.path() != nil, "needs the MXNet venv (.venv-mxnet)"))
    func mxnetLoadsTheCompiledParams() throws {
        let fixture = try Fixture.named("zoo_resnet18_v1")
        let scratch = try TemporaryDirectory(prefix: "compile-readback")
        let prefix = scratch.path + "/model"
        try CompileCLI.compile(fixture, cores: 2, output: prefix, extra: ["--exclude", "resnetv10_dense0_fwd"]).check()

        let readback = try MXNetPython.readback(["--nd", prefix + "-0000.params"])
        let arrays = try #require(readback["arrays"] as? [String: [String: Any]])
        let binary = try #require(arrays["arg:_neuron_subgraph_op0_neuronbin"], "arrays: \(arrays.keys.sorted())")
        #expect(binary["dtype"] as? String == "uint8")

        // The right length: the artifact's own header says 32 header bytes + its payload length.
        let stored = try #require(try Checkpoint.load(prefix: prefix, epoch: 0).argParams["_neuron_subgraph_op0_neuronbin"])
        let bytes = TestTensors.bytes(stored)
        let payload = bytes[16..<24].reversed().reduce(0) { $0 << 8 | Int($1) }
        #expect(binary["shape"] as? [Int] == [32 + payload])
        #expect(bytes.count == 32 + payload)
        #expect(binary["sum"] as? Double == Double(bytes.reduce(0) { $0 + Int($1) }), "MXNet reads the same bytes")

        let weight = try #require(arrays["arg:resnetv10_dense0_weight"], "the excluded node keeps its weight")
        #expect(weight["dtype"] as? String == "float32")
    }
}
