import FlexArtifact
import FlexGraph
import FlexKernels
import FlexTensor

/// Turns a partitioned program back into an MXNet graph: each maximal run of compiled steps becomes
/// a `_neuron_subgraph_op<i>` node (inputs: the run's inputs, then the `<node>_neuronbin` variable;
/// outputs: the values used after the run), host steps become their original nodes, constants
/// read by host steps or returned as outputs become parameter variables, model inputs become
/// variables carrying their shape in `__shape__`.
struct HostGraphBuilder {
    let program: Program
    let partition: StagePartition
    /// The instruction set the artifacts' kernels are chosen for.
    let target: Fast.InstructionSet

    struct Result {
        var graph: Graph
        /// Parameters of host nodes and constant outputs (neuronbins are added by the caller).
        var parameters: [String: Tensor]
        var artifacts: [Int: CompiledArtifact]
    }

    func build() throws(CompileError) -> Result {
        var nodes: [Node] = []
        var refs: [ValueID: ValueRef] = [:]
        var parameters: [String: Tensor] = [:]
        var artifacts: [Int: CompiledArtifact] = [:]

        var used = Set(program.outputs)
        for step in program.steps { used.formUnion(step.operands) }
        for input in program.inputs where used.contains(input) {
            let value = program.values[input]
            nodes.append(Node(name: value.name, kind: .variable, attributes: ["__shape__": value.shape.description]))
            refs[input] = ValueRef(node: nodes.count - 1)
        }
        func ref(_ id: ValueID) -> ValueRef {
            if let existing = refs[id] { return existing }
            // Only constants are created lazily: everything else is defined before use.
            let value = program.values[id]
            nodes.append(Node(name: value.name, kind: .variable))
            parameters[value.name] = program.constants[id]!
            refs[id] = ValueRef(node: nodes.count - 1)
            return refs[id]!
        }

        var index = 0
        var subgraphCount = 0
        while index < program.steps.count {
            let step = program.steps[index]
            if step.isHost {
                let inputs = step.inputs.map(ref)
                nodes.append(Node(name: step.name, kind: .op(step.op), inputs: inputs, attributes: step.attributes))
                for (position, output) in step.outputs.enumerated() { refs[output] = ValueRef(node: nodes.count - 1, output: position) }
                index += 1
                continue
            }
            var end = index
            while end < program.steps.count && !program.steps[end].isHost { end += 1 }
            let (artifact, source) = CompiledArtifact.cut(region: index..<end, of: program, stageOfStep: partition.stageOfStep,
                                                          cores: partition.stageCount, target: target)
            let inputRefs = artifact.inputs.map { ref(source[$0]) }
            let name = "_neuron_subgraph_op\(subgraphCount)"
            subgraphCount += 1
            nodes.append(Node(name: name + "_neuronbin", kind: .variable))
            let binRef = ValueRef(node: nodes.count - 1)
            let attributes = [
                "num_neuron_cores": String(partition.stageCount),
                "input_shapes": Self.list(artifact.inputs.map { artifact.values[$0].shape.description }),
                "output_shapes": Self.list(artifact.outputs.map { artifact.values[$0].shape.description }),
                "output_dtypes": Self.list(artifact.outputs.map { artifact.values[$0].dtype.rawValue }),
            ]
            let op: any Operator
            do {
                op = try OperatorRegistry.makeOperator(opName: "_neuron_subgraph_op", nodeName: name, attributes: attributes)
            } catch {
                throw .graph(error)
            }
            nodes.append(Node(name: name, kind: .op(op), inputs: inputRefs + [binRef], attributes: attributes))
            artifacts[nodes.count - 1] = artifact
            for (position, local) in artifact.outputs.enumerated() {
                refs[source[local]] = ValueRef(node: nodes.count - 1, output: position)
            }
            index = end
        }
        let outputs = program.outputs.map(ref)
        return Result(graph: Graph(nodes: nodes, outputs: outputs), parameters: parameters, artifacts: artifacts)
    }

    static func list(_ items: [String]) -> String { "[" + items.joined(separator: ", ") + "]" }
}
