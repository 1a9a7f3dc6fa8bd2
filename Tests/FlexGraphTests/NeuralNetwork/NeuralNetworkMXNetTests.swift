import FlexGraph
import FlexTensor
import FlexTestSupport
import Testing

/// Every neural-network operator against MXNet 1.9.1's own outputs (`MXNetCase.all`), through the
/// whole path a model takes: symbol → `Graph` (attribute parsing) → `GraphExecutor` (shape inference,
/// kernels).
@Suite struct NeuralNetworkMXNetTests {
    @Test(arguments: MXNetCase.all)
    func matchesMXNet(_ testCase: MXNetCase) throws {
        let graph = try Graph(symbol: testCase.symbol)
        var parameters: [String: Tensor] = [:]
        for input in testCase.inputs.dropFirst() { parameters[input.name] = input.tensor }
        let executor = GraphExecutor(graph: graph, parameters: parameters)
        let first = testCase.inputs[0]
        let outputs = try executor.forward([first.name: first.tensor])
        #expect(outputs.count == testCase.outputs.count)
        for (index, (actual, expected)) in zip(outputs, testCase.outputs).enumerated() {
            #expect(actual.shape == Shape(expected.shape), "output \(index) shape")
            guard actual.shape == Shape(expected.shape), let values = expected.floats else { continue }
            let error = relativeL2Error(actual.toFloatArray(), values)
            #expect(error <= 1e-4, "output \(index): relative L2 error \(error)")
        }
    }

    @Test func coversEveryNeuralNetworkOperator() {
        let covered = Set(MXNetCase.all.map(\.op))
        let primaryNames = ["Activation", "BatchNorm", "Convolution", "Deconvolution", "Dropout", "FullyConnected", "InstanceNorm",
                            "LayerNorm", "LeakyReLU", "LRN", "Pooling", "SoftmaxActivation", "softmax", "log_softmax", "softmin",
                            "SoftmaxOutput", "UpSampling"]
        #expect(covered.isSuperset(of: primaryNames), "missing: \(Set(primaryNames).subtracting(covered).sorted())")
    }
}
