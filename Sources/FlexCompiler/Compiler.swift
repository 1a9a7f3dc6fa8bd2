import FlexArtifact
import FlexGraph
import FlexKernels
import FlexTensor

/// FlexEG's model compiler: MXNet graph + parameters in, a compiled checkpoint for `cores` NeuronCores
/// out (`CompiledCheckpoint`; `FlexExecution.CompiledModel` runs it).
public enum Compiler {
    /// Compiles `graph` for a `cores`-stage pipeline.
    ///
    /// 1. Lowers the graph to a `Program`, inferring shapes and dtypes for `inputShapes`.
    /// 2. Runs `PassPipeline.standard`: dead-node removal, constant folding, BatchNorm folding,
    ///    epilogue fusion. Nodes named in `exclude` stay ordinary MXNet nodes run on the host.
    /// 3. Partitions the steps into `cores` stages (`StagePartition`).
    /// 4. Cuts each maximal run of compiled steps into a `_neuron_subgraph_op` node with its artifact:
    ///    weights packed for their kernels, and each stage part's plan (kernels, batch schedule, views,
    ///    arena) recorded, all for instruction set `target`.
    ///
    /// `parameters` holds arg and aux params merged. `target` defaults to the best this process may use
    /// (`Fast.InstructionSet.active`: the CPU's, capped by `FLEXEG_MAX_ISA`); the cost model's target is
    /// set to it. `progress` is called on the calling thread.
    public static func compile(graph: Graph, parameters: [String: Tensor], inputShapes: [String: Shape], cores: Int,
                               exclude: Set<String> = [], costModel: CostModel = CostModel(), target: Fast.InstructionSet = .active,
                               progress: ((CompileProgress) -> Void)? = nil) throws(CompileError) -> CompiledCheckpoint {
        var costModel = costModel
        costModel.target = target
        let pipeline = PassPipeline.standard
        let total = Double(pipeline.passes.count + 4)
        progress?(CompileProgress(pass: "lower", fraction: 0))
        var program = try Program(graph: graph, parameters: parameters, inputShapes: inputShapes, exclude: exclude)
        try pipeline.run(on: &program) { name, index in
            progress?(CompileProgress(pass: name, fraction: Double(index + 1) / total))
        }
        program = program.compacted()
        progress?(CompileProgress(pass: "partition", fraction: Double(pipeline.passes.count + 1) / total))
        let partition = try StagePartition(program: program, stages: cores, costModel: costModel)
        progress?(CompileProgress(pass: "plan-memory", fraction: Double(pipeline.passes.count + 2) / total))
        let build = try HostGraphBuilder(program: program, partition: partition, target: target).build()
        progress?(CompileProgress(pass: "serialize", fraction: Double(pipeline.passes.count + 3) / total))
        var parameters = build.parameters
        for (node, artifact) in build.artifacts {
            let bytes = artifact.encoded()
            parameters[build.graph.nodes[node].name + "_neuronbin"] = bytes.withUnsafeBytes {
                Tensor(shape: [bytes.count], dtype: .uint8, bytes: $0)
            }
        }
        progress?(CompileProgress(pass: "done", fraction: 1))
        return CompiledCheckpoint(hostGraph: build.graph, parameters: parameters, artifacts: build.artifacts)
    }
}
