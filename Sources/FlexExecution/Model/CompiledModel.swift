import FlexArtifact
import FlexGraph
import FlexKernels
import FlexTensor

/// A model compiled for `stageCount` NeuronCores: an MXNet host graph whose compiled regions are
/// `_neuron_subgraph_op` nodes, their artifacts, and the pipeline they form.
///
/// Stage `s` runs on the `s`-th core of the group the model is loaded onto. `makeStageRunner(stage:)`
/// gives the object a core's worker thread drives; `run(_:)` runs all stages in order on the calling
/// thread. `hostGraph` and `parameters` are what a compiled checkpoint stores (`symbolFile()` of the
/// graph; `parameters` holds each subgraph's artifact as the uint8 array `<node>_neuronbin`).
///
/// Immutable and shared: any thread may read it and make runners; weights exist once per model.
public final class CompiledModel: Sendable {
    /// One `_neuron_subgraph_op` node and its decoded artifact.
    package struct Subgraph: Sendable {
        /// Index of the node in `hostGraph.nodes`.
        package var node: Int
        package var name: String
        package var artifact: CompiledArtifact
        /// Each part's kernels, restored once from the artifact's plan and weights and shared by every
        /// runner of the model.
        let kernels: [[PreparedKernel]]
        /// Host-graph values feeding the node (artifact excluded), in order.
        var inputRefs: [ValueRef]

        /// The pipeline-level identity of an artifact value.
        func modelValue(of value: ValueID) -> ModelValue {
            if let position = artifact.inputs.firstIndex(of: value) { return .graph(inputRefs[position]) }
            if let position = artifact.outputs.firstIndex(of: value) { return .graph(ValueRef(node: node, output: position)) }
            return .local(subgraph: node, value: value)
        }
    }

    public let hostGraph: Graph
    /// Arg and aux parameters of the compiled checkpoint, by name (host nodes' parameters and one
    /// `<node>_neuronbin` per subgraph).
    public let parameters: [String: Tensor]
    package let subgraphs: [Subgraph]
    /// Pipeline stages (NeuronCores the model needs).
    public let stageCount: Int
    /// Model inputs, in the order `run` and stage 0 take them.
    public let inputs: [TensorSpec]
    /// Model outputs in head order, as the last stage returns them, named as in the source model
    /// (`<node>_output`) rather than after the subgraph node producing them.
    public let outputs: [TensorSpec]

    package let schedule: PipelineSchedule
    /// Shapes and dtypes of every host-graph value.
    package let inference: GraphInference
    /// Host-graph variables holding parameters, converted to float32 where host operators read them.
    let constants: [ValueRef: Tensor]

    /// Makes a compiled checkpoint runnable: what `Compiler.compile` returns or a checkpoint read from
    /// files. Fails when an artifact's target instruction set is beyond what this process may use
    /// (`Fast.InstructionSet.active`), naming both and the flag to recompile with.
    public convenience init(_ checkpoint: CompiledCheckpoint) throws(CompileError) {
        for (index, artifact) in checkpoint.artifacts.sorted(by: { $0.key < $1.key }) where artifact.target > Fast.InstructionSet.active {
            throw .targetUnavailable(node: checkpoint.hostGraph.nodes[index].name, target: artifact.target, available: .active, host: .host)
        }
        try self.init(hostGraph: checkpoint.hostGraph, parameters: checkpoint.parameters, artifacts: checkpoint.artifacts)
    }

    /// The model without the target check, to describe one compiled for another CPU (`flexeg inspect`,
    /// the summary after `flexeg compile --target`); its runners must not run where the target is missing.
    package convenience init(describing checkpoint: CompiledCheckpoint) throws(CompileError) {
        try self.init(hostGraph: checkpoint.hostGraph, parameters: checkpoint.parameters, artifacts: checkpoint.artifacts)
    }

    init(hostGraph: Graph, parameters: [String: Tensor], artifacts: [Int: CompiledArtifact]) throws(CompileError) {
        var subgraphs: [Subgraph] = []
        var subgraphOfNode: [Int: Int] = [:]
        var cores: Int?
        for (index, node) in hostGraph.nodes.enumerated() {
            guard let op = node.op as? NeuronSubgraphOperator else { continue }
            guard let artifact = artifacts[index] else {
                throw .invalidCompiledModel(node: node.name, message: "has no compiled artifact")
            }
            guard cores == nil || cores == op.coreCount, artifact.cores == op.coreCount else {
                throw .invalidCompiledModel(node: node.name, message: "compiled for \(artifact.cores) NeuronCores (attribute num_neuron_cores=\(op.coreCount)), but other subgraphs of the model use \(cores ?? op.coreCount)")
            }
            cores = op.coreCount
            let inputRefs = Array(node.inputs.dropLast())
            guard artifact.inputs.count == inputRefs.count, artifact.outputs.count == op.outputCount else {
                throw .invalidCompiledModel(node: node.name, message: "artifact has \(artifact.inputs.count) inputs and \(artifact.outputs.count) outputs; the node has \(inputRefs.count) and \(op.outputCount)")
            }
            for (position, value) in artifact.inputs.enumerated() where artifact.values[value].shape != op.regionInputShapes[position] {
                throw .invalidCompiledModel(node: node.name, message: "input \(position) is \(op.regionInputShapes[position]) in input_shapes but \(artifact.values[value].shape) in the artifact")
            }
            for (position, value) in artifact.outputs.enumerated()
            where artifact.values[value].shape != op.outputShapes[position] || artifact.values[value].dtype != op.outputTypes[position] {
                throw .invalidCompiledModel(node: node.name, message: "output \(position) is \(op.outputShapes[position]) \(op.outputTypes[position]) in the attributes but \(artifact.values[value].shape) \(artifact.values[value].dtype) in the artifact")
            }
            let kernels: [[PreparedKernel]]
            do {
                kernels = try artifact.parts.map { (part) throws(ArtifactError) in try Self.restoreKernels(of: part, in: artifact) }
            } catch {
                throw .artifact(node: node.name, error)
            }
            subgraphOfNode[index] = subgraphs.count
            subgraphs.append(Subgraph(node: index, name: node.name, artifact: artifact, kernels: kernels, inputRefs: inputRefs))
        }
        guard let cores else { throw .nothingToCompile(reason: "the graph has no _neuron_subgraph_op node") }

        // Model inputs: variables without a parameter; their shapes from `__shape__` or a subgraph's input_shapes.
        let optional = hostGraph.unusedVariableIndicesAtInference
        var variables: [String: (shape: Shape, dtype: DType)] = [:]
        var inputRefs: [ValueRef] = []
        var inputSpecs: [TensorSpec] = []
        var constants: [ValueRef: Tensor] = [:]
        for (index, node) in hostGraph.nodes.enumerated() where node.isVariable {
            if let tensor = parameters[node.name] {
                let isArtifact = subgraphs.contains { hostGraph.nodes[$0.node].inputs.last?.node == index }
                let stored = isArtifact || tensor.dtype == .float32 ? tensor : tensor.converted(to: .float32)
                variables[node.name] = (stored.shape, stored.dtype)
                constants[ValueRef(node: index)] = stored
                continue
            }
            if optional.contains(index) {
                variables[node.name] = (Shape([0]), .float32)
                constants[ValueRef(node: index)] = Tensor(zeros: [0])
                continue
            }
            guard let shape = Self.recordedShape(ofVariable: index, in: hostGraph, subgraphs: subgraphs) else {
                throw .invalidCompiledModel(node: node.name, message: "model input has no recorded shape (__shape__ attribute)")
            }
            variables[node.name] = (shape, .float32)
            inputRefs.append(ValueRef(node: index))
            inputSpecs.append(TensorSpec(name: node.name, shape: shape))
        }
        let inference: GraphInference
        do {
            inference = try GraphInference(graph: hostGraph, variables: variables)
        } catch {
            throw .graph(error)
        }
        let schedule = try Self.schedule(graph: hostGraph, subgraphs: subgraphs, subgraphOfNode: subgraphOfNode, inputs: inputRefs,
                                         outputs: hostGraph.outputs, constants: Set(constants.keys), cores: cores)
        self.hostGraph = hostGraph
        self.parameters = parameters
        self.subgraphs = subgraphs
        self.stageCount = cores
        self.inputs = inputSpecs
        self.schedule = schedule
        self.inference = inference
        self.constants = constants
        self.outputs = schedule.sends[cores - 1].map { Self.spec(of: $0, graph: hostGraph, subgraphs: subgraphs, inference: inference) }
    }

    /// A part's kernels as its plan records them, checked to fit the planned scratch.
    private static func restoreKernels(of part: CompiledArtifact.Part, in artifact: CompiledArtifact) throws(ArtifactError) -> [PreparedKernel] {
        let plan = part.plan
        let sampleValues = plan.sampleValues(artifact.values, isWeight: { artifact.weights[$0] != nil })
        let steps = Array(artifact.steps[part.steps])
        let kernels = try PreparedKernel.restore(plan.kernels, steps: steps,
                                                 valuesForStep: { $0 < plan.prefix ? sampleValues : artifact.values },
                                                 weight: { artifact.weights[$0] })
        for (step, kernel) in zip(steps, kernels) where kernel.scratchCount * MemoryLayout<Float>.size > plan.scratchBytes {
            throw .inconsistent("step '\(step.name)' needs \(kernel.scratchCount * MemoryLayout<Float>.size) bytes of scratch; its part plans \(plan.scratchBytes)")
        }
        return kernels
    }

    private static func recordedShape(ofVariable index: Int, in graph: Graph, subgraphs: [Subgraph]) -> Shape? {
        if let text = graph.nodes[index].attributes["__shape__"], let shape = Shape(parsing: text) { return shape }
        for subgraph in subgraphs {
            guard let position = subgraph.inputRefs.firstIndex(of: ValueRef(node: index)) else { continue }
            return subgraph.artifact.values[subgraph.artifact.inputs[position]].shape
        }
        return nil
    }

    /// Name, shape and dtype of a pipeline-level value.
    func spec(of value: ModelValue) -> TensorSpec {
        Self.spec(of: value, graph: hostGraph, subgraphs: subgraphs, inference: inference)
    }

    private static func spec(of value: ModelValue, graph hostGraph: Graph, subgraphs: [Subgraph], inference: GraphInference) -> TensorSpec {
        switch value {
        case .graph(let ref):
            let node = hostGraph.nodes[ref.node]
            let name: String
            if node.isVariable {
                name = node.name
            } else if let subgraph = subgraphs.first(where: { $0.node == ref.node }) {
                name = subgraph.artifact.values[subgraph.artifact.outputs[ref.output]].name
            } else {
                name = node.outputCount > 1 ? "\(node.name)_output\(ref.output)" : "\(node.name)_output"
            }
            return TensorSpec(name: name, shape: inference.shape(of: ref), dtype: inference.dtype(of: ref))
        case .local(let node, let value):
            let artifact = subgraphs.first { $0.node == node }!.artifact
            return artifact.values[value].spec
        }
    }

    /// Tensors stage `stage` receives, in the order its runner takes them (stage 0: the model inputs).
    public func stageInputs(stage: Int) -> [TensorSpec] { schedule.receives[stage].map(spec(of:)) }

    /// Tensors stage `stage` returns (the last stage: the model outputs).
    public func stageOutputs(stage: Int) -> [TensorSpec] { schedule.sends[stage].map(spec(of:)) }
}
