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

/// A part whose steps treat batch samples independently runs one sample at a time through all its
/// steps; results must equal the reference executor's for the whole batch, split or not.
@Suite struct SampleSplitTests {
    /// `FullyConnected(flatten(pool(relu(conv(data) + conv'(data)))))` with `hidden` outputs, then a
    /// softmax when `softmax`.
    static func model(hidden: Int, batch: Int, softmax: Bool = false) throws -> (Graph, [String: Tensor], Tensor) {
        var generator = SplitMix64(seed: 21)
        var builder = GraphBuilder()
        let data = builder.variable("data")
        let conv = ["kernel": "(3, 3)", "pad": "(1, 1)", "num_filter": "6"]
        let a = try builder.node("a", "Convolution", conv, data, builder.variable("a_weight"), builder.variable("a_bias"))
        let b = try builder.node("b", "Convolution", conv, data, builder.variable("b_weight"), builder.variable("b_bias"))
        let sum = try builder.node("sum", "elemwise_add", [:], a, b)
        let relu = try builder.activation("relu", "relu", sum)
        let pool = try builder.node("pool", "Pooling", ["kernel": "(2, 2)", "stride": "(2, 2)", "pool_type": "max"], relu)
        let flat = try builder.node("flat", "Flatten", [:], pool)
        let fc = try builder.node("fc", "FullyConnected", ["num_hidden": String(hidden)], flat, builder.variable("fc_weight"), builder.variable("fc_bias"))
        let head = softmax ? try builder.node("softmax", "softmax", [:], fc) : fc
        let graph = builder.graph(head)
        let parameters = [
            "a_weight": Tensor.random([6, 3, 3, 3], using: &generator), "a_bias": Tensor.random([6], using: &generator),
            "b_weight": Tensor.random([6, 3, 3, 3], using: &generator), "b_bias": Tensor.random([6], using: &generator),
            "fc_weight": Tensor.random([hidden, 6 * 5 * 4], using: &generator), "fc_bias": Tensor.random([hidden], using: &generator),
        ]
        return (graph, parameters, Tensor.random([batch, 3, 10, 9], using: &generator))
    }

    @Test(arguments: [1, 2])
    func convolutionalPartsRunSampleBySample(cores: Int) throws {
        let (graph, parameters, input) = try Self.model(hidden: 5, batch: 3)
        let model = try compileModel(graph: graph, parameters: parameters, inputShapes: ["data": input.shape], cores: cores)
        let splits = (0..<cores).flatMap { model.makeStageRunner(stage: $0).samplesPerPass }
        #expect(splits.allSatisfy { $0 == 3 }, "\(splits)")
        // All but the dense layer (its 2.4 KB of weights outweigh its 20 bytes of output per sample).
        let runnerSteps = (0..<cores).map { model.makeStageRunner(stage: $0).sampleSteps.reduce(0, +) }
        #expect(runnerSteps.reduce(0, +) == 4)
        let expected = try referenceOutputs(graph, parameters: parameters, inputs: ["data": input])
        let runners = (0..<cores).map(model.makeStageRunner(stage:))
        // Twice through the same runners: nothing of the first call may leak into the second.
        for _ in 0..<2 {
            var values = [input]
            for runner in runners { values = runner.run(values) }
            #expect(values[0].shape == [3, 5])
            #expect(relativeL2(values[0], expected[0]) <= 1e-5)
        }
    }

    /// The convolutions run sample by sample, the dense layer (weights outweighing its activations) over the
    /// whole batch: the flattened activations cross from one to the other in the arena, every sample's kept.
    @Test func aHeavyDenseLayerRunsBatchedAfterTheConvolutions() throws {
        let (graph, parameters, input) = try Self.model(hidden: 400, batch: 2)
        let model = try compileModel(graph: graph, parameters: parameters, inputShapes: ["data": input.shape], cores: 1)
        let runner = model.makeStageRunner(stage: 0)
        #expect(runner.samplesPerPass == [2])
        #expect(runner.sampleSteps == [4], "convolution, convolution + add + relu, pooling, flatten; then the dense layer")
        // The arena planned for that schedule is what the runtime charges.
        #expect(model.workspaceBytes(stage: 0) == runner.workspaceBytes)
        let expected = try referenceOutputs(graph, parameters: parameters, inputs: ["data": input])
        for _ in 0..<2 { #expect(relativeL2(runner.run([input])[0], expected[0]) <= 1e-5) }
    }

    /// A short batch (a dynamic batch padded to the compiled batch) runs only its rows through the
    /// sample-wise steps: the convolutions sample by sample, the batched dense layer over its rows. Those
    /// rows come out as in the full run; the padding rows the dense layer skipped reach the softmax
    /// after it as zeros (a uniform distribution there), whatever the padding or an earlier call held.
    @Test func aShortBatchSkipsThePaddingSamples() throws {
        let (graph, parameters, input) = try Self.model(hidden: 400, batch: 4, softmax: true)
        let model = try compileModel(graph: graph, parameters: parameters, inputShapes: ["data": input.shape], cores: 1)
        let runner = model.makeStageRunner(stage: 0)
        #expect(runner.samplesPerPass == [4] && runner.sampleSteps == [4])
        let full = runner.run([input])[0].toFloatArray()
        var perSampleRuns = 0
        let shortRun = runner.run([input], rows: 2, timer: { step, _, _ in if step == 0 { perSampleRuns += 1 } })[0]
        #expect(perSampleRuns == 2, "the first convolution ran for \(perSampleRuns) samples")
        #expect(shortRun.shape == [4, 400])
        let short = shortRun.toFloatArray()
        // Up to rounding: the dense layer's GEMM tiles 2 rows differently from 4.
        #expect(relativeL2(Tensor(shape: [800], floats: Array(short[0..<800])), Tensor(shape: [800], floats: Array(full[0..<800]))) <= 1e-5,
                "the data rows differ from the full batch's")
        #expect(short[800...].allSatisfy { abs($0 - 1.0 / 400) < 1e-7 }, "the padding reached the softmax not zeroed")
        #expect(full[800...].contains { abs($0 - 1.0 / 400) > 1e-5 })
        // A full call after a short one: every sample computed again.
        #expect(runner.run([input])[0].toFloatArray() == full)
    }

    /// A CNN's input is read only over its data rows, so its padding may hold anything, NaN included;
    /// an input a step outside the sample-wise lead reads (here a softmax first) is listed for zeroing.
    @Test func onlyInputsReadPastTheRowsNeedTheirPaddingZeroed() throws {
        let (graph, parameters, input) = try Self.model(hidden: 400, batch: 4, softmax: true)
        let model = try compileModel(graph: graph, parameters: parameters, inputShapes: ["data": input.shape], cores: 1)
        #expect(model.inputsReadInPadding == [])
        let runner = model.makeStageRunner(stage: 0)
        let full = runner.run([input])[0].toFloatArray()
        var poisoned = input.toFloatArray()
        for index in poisoned.count / 2 ..< poisoned.count { poisoned[index] = .nan }  // samples 2 and 3
        let short = runner.run([Tensor(shape: input.shape, floats: poisoned)], rows: 2)[0].toFloatArray()
        #expect(relativeL2(Tensor(shape: [800], floats: Array(short[..<800])), Tensor(shape: [800], floats: Array(full[..<800]))) <= 1e-5)
        #expect(!short.contains { $0.isNaN }, "NaN padding reached the outputs")

        var builder = GraphBuilder()
        let data = builder.variable("data")
        let softmax = try builder.node("softmax", "softmax", ["axis": "0"], data)
        let softmaxFirst = builder.graph(softmax)
        let mixing = try compileModel(graph: softmaxFirst, parameters: [:], inputShapes: ["data": [4, 5]], cores: 1)
        #expect(mixing.inputsReadInPadding == [0])
    }

    /// When the whole part runs sample by sample, its outputs' padding samples are zeros.
    @Test func aShortBatchZeroesThePaddingOfOutputsComputedSampleBySample() throws {
        var generator = SplitMix64(seed: 23)
        var builder = GraphBuilder()
        let data = builder.variable("data")
        let conv = try builder.node("conv", "Convolution", ["kernel": "(3, 3)", "pad": "(1, 1)", "num_filter": "4"],
                                    data, builder.variable("w"), builder.variable("b"))
        let relu = try builder.activation("relu", "relu", conv)
        let graph = builder.graph(relu)
        let parameters = ["w": Tensor.random([4, 3, 3, 3], using: &generator), "b": Tensor.random([4], using: &generator)]
        let input = Tensor.random([3, 3, 8, 8], using: &generator)
        let model = try compileModel(graph: graph, parameters: parameters, inputShapes: ["data": input.shape], cores: 1)
        let runner = model.makeStageRunner(stage: 0)
        #expect(runner.samplesPerPass == [3] && runner.sampleSteps == [1])
        let full = runner.run([input])[0].toFloatArray()
        let short = runner.run([input], rows: 1)[0].toFloatArray()
        let sample = 4 * 8 * 8
        #expect(Array(short[..<sample]) == Array(full[..<sample]))
        #expect(short[sample...].allSatisfy { $0 == 0 } && full[sample...].contains { $0 != 0 })
    }

    @Test func aDenseOnlyPartRunsTheWholeBatch() throws {
        var generator = SplitMix64(seed: 22)
        var builder = GraphBuilder()
        let data = builder.variable("data")
        let fc = try builder.node("fc", "FullyConnected", ["num_hidden": "300"], data, builder.variable("fc_weight"), builder.variable("fc_bias"))
        let relu = try builder.activation("relu", "relu", fc)
        let graph = builder.graph(relu)
        let parameters = ["fc_weight": Tensor.random([300, 200], using: &generator), "fc_bias": Tensor.random([300], using: &generator)]
        let input = Tensor.random([4, 200], using: &generator)
        let model = try compileModel(graph: graph, parameters: parameters, inputShapes: ["data": input.shape], cores: 1)
        #expect(model.makeStageRunner(stage: 0).samplesPerPass == [1])
        let expected = try referenceOutputs(graph, parameters: parameters, inputs: ["data": input])
        #expect(relativeL2(try model.run([input])[0], expected[0]) <= 1e-5)
    }

    @Test func batchOfOneIsNotSplit() throws {
        let (graph, parameters, input) = try Self.model(hidden: 5, batch: 1)
        let model = try compileModel(graph: graph, parameters: parameters, inputShapes: ["data": input.shape], cores: 1)
        #expect(model.makeStageRunner(stage: 0).samplesPerPass == [1])
    }
}
