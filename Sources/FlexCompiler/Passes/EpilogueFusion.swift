import FlexArtifact
import FlexGraph
import FlexTensor

/// Fuses elementwise operators into the step producing their input, as an epilogue the kernel applies
/// while its output is still in registers. The fast kernels compute `clamp(result + bias + residual)`,
/// so an epilogue is at most one residual add followed by at most one clamp:
///
/// - the residual add (`elemwise_add`, `_plus`, `_add`, `_Plus`, `broadcast_add`/`broadcast_plus` of two
///   same-shape inputs), into a producer without an epilogue yet: fused into the producer of the operand
///   computed last, the other operand becoming the epilogue's `.add` operand;
/// - a clamp: `Activation(act_type=relu)`, `relu`, or `clip(a_min, a_max)` (ReLU6 is `clip(0, 6)`).
///   Sigmoid and tanh stay separate steps: no kernel applies them in its epilogue.
///
/// The producer must be a `Convolution`, `FullyConnected`, `BatchNorm` or residual add step with a
/// single output that nothing else reads and that is not a model output. The fused step takes over the
/// elementwise operator's output value.
package struct EpilogueFusion: CompilerPass {
    package let name = "fuse-epilogues"

    package init() {}

    /// Whether `step` can take an epilogue: a convolution, dense layer or BatchNorm (any alias), or a
    /// residual add.
    static func acceptsEpilogue(_ step: Step) -> Bool {
        step.op is ConvolutionOperator || step.op is FullyConnectedOperator || step.op is BatchNormOperator || Step.addNames.contains(step.opName)
    }

    package func run(on program: inout Program) throws(CompileError) {
        var producers = program.producers()
        let uses = program.useCounts()
        var removed = Set<Int>()
        for index in program.steps.indices {
            let step = program.steps[index]
            guard !step.isHost, step.outputs.count == 1, let fusion = try fusion(for: step, program: program) else { continue }
            // Candidates: operands whose producer can take an epilogue, latest producer first.
            let candidates = fusion.candidates.compactMap { operand -> (operand: ValueID, producer: Int)? in
                guard let producer = producers[operand], !removed.contains(producer) else { return nil }
                return (operand, producer)
            }.sorted { $0.producer > $1.producer }
            for (operand, producerIndex) in candidates {
                let producer = program.steps[producerIndex]
                guard !producer.isHost, Self.acceptsEpilogue(producer), producer.outputs == [operand],
                      uses[operand] == 1, program.values[operand].dtype == .float32,
                      Self.accepts(fusion.operation, after: producer.epilogue) else { continue }
                var operation = fusion.operation
                if case .add = operation {
                    let other = step.inputs[0] == operand ? step.inputs[1] : step.inputs[0]
                    guard other != operand, (producers[other] ?? -1) < producerIndex else { continue }
                    operation = .add(other)
                }
                program.steps[producerIndex].epilogue.append(operation)
                program.steps[producerIndex].outputs = step.outputs
                program.steps[producerIndex].fusedNodes += [step.name] + step.fusedNodes
                producers[step.outputs[0]] = producerIndex
                removed.insert(index)
                break
            }
        }
        program.steps = program.steps.indices.filter { !removed.contains($0) }.map { program.steps[$0] }
    }

    /// Whether `operation` may follow `epilogue` within what a kernel epilogue computes.
    static func accepts(_ operation: EpilogueOp, after epilogue: [EpilogueOp]) -> Bool {
        switch operation {
        case .add: epilogue.isEmpty
        case .activation, .clip: epilogue.allSatisfy { $0.operand != nil }
        }
    }

    private struct Fusion {
        /// `.add` carries a placeholder operand until the producer is chosen.
        var operation: EpilogueOp
        var candidates: [ValueID]
    }

    /// What `step` would become as an epilogue, or nil if it cannot be one.
    private func fusion(for step: Step, program: Program) throws(CompileError) -> Fusion? {
        var reader = AttributeReader(step.attributes)
        do {
            switch step.opName {
            case _ where step.op is ActivationOperator:
                guard step.inputs.count == 1, (step.op as? ActivationOperator)?.function == .relu else { return nil }
                return Fusion(operation: .activation(.relu), candidates: step.inputs)
            case "relu":
                guard step.inputs.count == 1 else { return nil }
                return Fusion(operation: .activation(.relu), candidates: step.inputs)
            case "clip":
                guard step.inputs.count == 1 else { return nil }
                let low = try reader.requiredFloat("a_min")
                let high = try reader.requiredFloat("a_max")
                return Fusion(operation: .clip(min: low, max: high), candidates: step.inputs)
            case _ where Step.addNames.contains(step.opName):
                guard step.inputs.count == 2 else { return nil }
                let (a, b) = (program.values[step.inputs[0]], program.values[step.inputs[1]])
                guard a.shape == b.shape, a.dtype == .float32, b.dtype == .float32 else { return nil }
                return Fusion(operation: .add(step.inputs[1]), candidates: step.inputs)
            default:
                return nil
            }
        } catch {
            throw .pass(pass: name, node: step.name, message: "\(error)")
        }
    }
}
