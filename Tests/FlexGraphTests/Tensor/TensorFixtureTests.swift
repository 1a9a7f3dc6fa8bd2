import FlexGraph
import FlexTensor
import FlexTestSupport
import MXNetFormat
import Testing

/// The MXNet 1.9.1 fixture models built for the tensor operators (`Tests/Fixtures/models/ops_*`), run
/// by `GraphExecutor` and compared output by output with MXNet's `out_<i>.npy` (relative L2 error
/// within the manifest's tolerance, 1e-4). `ops_misc` also needs `Dropout`.
@Suite struct TensorFixtureTests {
    static let names = ["ops_elemwise", "ops_embedding", "ops_matmul", "ops_misc", "ops_reduce", "ops_scalar", "ops_shape", "ops_unary"]

    @Test(arguments: names)
    func matchesMXNet(_ name: String) throws {
        let fixture = try Fixture.named(name)
        let unregistered = fixture.manifest.operators.filter { OperatorRegistry.byName[$0] == nil }
        try #require(unregistered.isEmpty, "\(name) uses unregistered operators \(unregistered)")
        let checkpoint = try Checkpoint.load(prefix: fixture.prefix, epoch: 0)
        let graph = try Graph(symbol: checkpoint.symbol)
        let parameters = checkpoint.argParams.merging(checkpoint.auxParams) { first, _ in first }
        let outputs = try GraphExecutor(graph: graph, parameters: parameters).forward(try fixture.inputs())
        let expected = try fixture.expectedOutputs()
        try #require(outputs.count == expected.count)
        for (index, (actual, reference)) in zip(outputs, expected).enumerated() {
            let output = graph.outputNames[index]
            #expect(actual.shape == reference.shape, "\(output): shape")
            let error = relativeL2Error(actual, reference)
            #expect(error <= fixture.manifest.tolerance, "\(output): relative L2 error \(error)")
        }
    }
}
