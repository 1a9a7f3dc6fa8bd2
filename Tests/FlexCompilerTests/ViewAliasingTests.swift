import FlexArtifact
import FlexCompiler
import FlexExecution
import FlexGraph
import FlexKernels
import FlexRuntime
import FlexTensor
import FlexTestSupport
import MXNetFormat
import Testing

/// A Flatten or Reshape of an arena value only it reads shares that value's bytes instead of copying it.
@Suite struct ViewAliasingTests {
    @Test(arguments: ["Flatten", "Reshape"])
    func viewsShareTheirInputsArenaBytes(view: String) throws {
        var generator = SplitMix64(seed: 41)
        var builder = GraphBuilder()
        let data = builder.variable("data")
        let conv = try builder.node("conv", "Convolution", ["kernel": "(3, 3)", "pad": "(1, 1)", "num_filter": "8"], data,
                                    builder.variable("conv_weight"), builder.variable("conv_bias"))
        let flat = try builder.node("flat", view, view == "Reshape" ? ["shape": "(1, -1)"] : [:], conv)
        let fc = try builder.node("fc", "FullyConnected", ["num_hidden": "3"], flat, builder.variable("fc_weight"), builder.variable("fc_bias"))
        let graph = builder.graph(fc)
        let parameters = [
            "conv_weight": Tensor.random([8, 4, 3, 3], using: &generator), "conv_bias": Tensor.random([8], using: &generator),
            "fc_weight": Tensor.random([3, 512], using: &generator), "fc_bias": Tensor.random([3], using: &generator),
        ]
        let input = Tensor.random([1, 4, 8, 8], using: &generator)
        let model = try compileModel(graph: graph, parameters: parameters, inputShapes: ["data": input.shape], cores: 1)
        let runner = model.makeStageRunner(stage: 0)
        // The convolution's 2 KiB output and its view overlap in time; shared, they need 2 KiB, not 4.
        #expect(runner.arenaBytes == 8 * 64 * 4)
        let expected = try referenceOutputs(graph, parameters: parameters, inputs: ["data": input])
        for _ in 0..<2 { #expect(relativeL2(runner.run([input])[0], expected[0]) <= 1e-5) }
    }
}
