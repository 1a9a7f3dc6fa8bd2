import FlexArtifact
import FlexCompiler
import FlexEG
import FlexExecution
import FlexGraph
import FlexKernels
import FlexTensor
import FlexTestSupport
import Testing

/// Loading a compiled model instantiates the artifact's recorded plan and decides nothing: runners
/// allocate exactly the planned arena and scratch, read the artifact's one copy of every weight, and a
/// model switch touches every weight byte the stage's kernels read.
@Suite struct PlanInstantiationTests {
    /// A small MobileNet-like network: stem convolution, a 1x1 expansion into a depthwise 3x3 (fused
    /// when large), a 1x1 projection with the block's residual, global pooling and a dense classifier;
    /// at batch > 1 its convolutional prefix runs sample by sample.
    static func network(batch: Int, size: Int) throws -> (Graph, [String: Tensor], Tensor) {
        var generator = SplitMix64(seed: 7)
        var builder = GraphBuilder()
        let data = builder.variable("data")
        let stem = try builder.node("stem", "Convolution", ["kernel": "(3, 3)", "pad": "(1, 1)", "num_filter": "8"], data,
                                    builder.variable("stem_weight"), builder.variable("stem_bias"))
        let stemRelu = try builder.activation("stem_relu", "relu", stem)
        let expand = try builder.node("expand", "Convolution", ["kernel": "(1, 1)", "num_filter": "48"], stemRelu,
                                      builder.variable("expand_weight"), builder.variable("expand_bias"))
        let expandClip = try builder.node("expand_relu6", "clip", ["a_min": "0", "a_max": "6"], expand)
        let depthwise = try builder.node("dw", "Convolution", ["kernel": "(3, 3)", "pad": "(1, 1)", "num_filter": "48", "num_group": "48"],
                                         expandClip, builder.variable("dw_weight"), builder.variable("dw_bias"))
        let project = try builder.node("project", "Convolution", ["kernel": "(1, 1)", "num_filter": "8"], depthwise,
                                       builder.variable("project_weight"), builder.variable("project_bias"))
        let sum = try builder.node("sum", "elemwise_add", [:], project, stemRelu)
        let pool = try builder.node("pool", "Pooling", ["kernel": "(1, 1)", "global_pool": "True", "pool_type": "avg"], sum)
        let flat = try builder.node("flat", "Flatten", [:], pool)
        let fc = try builder.node("fc", "FullyConnected", ["num_hidden": "10"], flat, builder.variable("fc_weight"), builder.variable("fc_bias"))
        let parameters = [
            "stem_weight": Tensor.random([8, 3, 3, 3], using: &generator), "stem_bias": Tensor.random([8], using: &generator),
            "expand_weight": Tensor.random([48, 8, 1, 1], using: &generator), "expand_bias": Tensor.random([48], using: &generator),
            "dw_weight": Tensor.random([48, 1, 3, 3], using: &generator), "dw_bias": Tensor.random([48], using: &generator),
            "project_weight": Tensor.random([8, 48, 1, 1], using: &generator), "project_bias": Tensor.random([8], using: &generator),
            "fc_weight": Tensor.random([10, 8], using: &generator), "fc_bias": Tensor.random([10], using: &generator),
        ]
        return (builder.graph(fc), parameters, Tensor.random([batch, 3, size, size], using: &generator))
    }

    /// (batch, plane size, cores): batch 1 and 3, planes small and large enough to fuse, 1 and 2 stages.
    static let cases: [(Int, Int, Int)] = [(1, 16, 1), (3, 16, 2), (1, 150, 1), (2, 24, 2)]

    @Test(arguments: cases)
    func runnersAllocateExactlyThePlan(batch: Int, size: Int, cores: Int) throws {
        let (graph, parameters, input) = try Self.network(batch: batch, size: size)
        let model = try compileModel(graph: graph, parameters: parameters, inputShapes: ["data": input.shape], cores: cores)
        let summary = model.summary()
        for stage in 0..<model.stageCount {
            let runner = model.makeStageRunner(stage: stage)
            #expect(runner.arenaBytes == summary.stages[stage].peakArenaBytes, "stage \(stage): arena")
            #expect(runner.workspaceBytes == summary.stages[stage].peakArenaBytes + summary.stages[stage].scratchBytes, "stage \(stage)")
            #expect(runner.workspaceBytes == model.workspaceBytes(stage: stage), "stage \(stage): what the runtime charges")
            #expect(runner.samplesPerPass == summary.stages[stage].samplesPerPass)
        }
        let expected = try referenceOutputs(graph, parameters: parameters, inputs: ["data": input])
        #expect(relativeL2(try model.run([input])[0], expected[0]) <= 1e-4)
    }

    @Test(arguments: cases)
    func activationTouchesEveryWeightByteOfTheStage(batch: Int, size: Int, cores: Int) throws {
        let (graph, parameters, input) = try Self.network(batch: batch, size: size)
        let model = try compileModel(graph: graph, parameters: parameters, inputShapes: ["data": input.shape], cores: cores)
        for stage in 0..<model.stageCount {
            let touched = model.makeStageRunner(stage: stage).weightRegions.reduce(0) { $0 + $1.count }
            #expect(touched >= model.weightBytes(stage: stage), "stage \(stage) touches \(touched) of \(model.weightBytes(stage: stage)) weight bytes")
        }
    }

    /// Every byte a runner's kernels read lies in the artifact's own storage, and a second runner (a
    /// second loaded instance) reads the very same bytes: one copy of the weights per model.
    @Test(arguments: cases)
    func instancesReadTheArtifactsOneCopyOfTheWeights(batch: Int, size: Int, cores: Int) throws {
        let (graph, parameters, input) = try Self.network(batch: batch, size: size)
        let model = try compileModel(graph: graph, parameters: parameters, inputShapes: ["data": input.shape], cores: cores)
        let stored = model.subgraphs.flatMap { $0.artifact.weights.values.flatMap(\.storedRegions) }
        func isStored(_ region: UnsafeRawBufferPointer) -> Bool {
            stored.contains { store in
                guard let base = store.baseAddress, let start = region.baseAddress else { return false }
                return start >= base && start + region.count <= base + store.count
            }
        }
        for stage in 0..<model.stageCount {
            let first = model.makeStageRunner(stage: stage).weightRegions, second = model.makeStageRunner(stage: stage).weightRegions
            #expect(!first.isEmpty)
            #expect(first.map(\.baseAddress) == second.map(\.baseAddress), "stage \(stage): instances read different weight copies")
            for region in first { #expect(isStored(region), "stage \(stage) reads \(region.count) weight bytes outside the artifact") }
        }
    }

    /// The depthwise filters are read in place (they used to be copied per runner).
    @Test func depthwiseFiltersAreNotCopied() throws {
        let (graph, parameters, input) = try Self.network(batch: 1, size: 16)
        let model = try compileModel(graph: graph, parameters: parameters, inputShapes: ["data": input.shape], cores: 1)
        let artifact = try #require(model.subgraphs.first?.artifact)
        let filterID = try #require(artifact.values.firstIndex { $0.name == "dw_weight" })
        guard case .dense(let filters)? = artifact.weights[filterID] else {
            Issue.record("depthwise filters are not stored dense")
            return
        }
        let addresses = model.makeStageRunner(stage: 0).weightRegions.map(\.baseAddress)
        #expect(addresses.contains(UnsafeRawPointer(filters.rawPointer)))
    }
}
