import FlexGraph
import FlexTensor

/// Runs one `CompiledArtifact.Part`: prepares its steps' kernels, binds weights and arena views once,
/// then per call takes the part's received tensors and returns freshly allocated tensors for what it
/// sends.
///
/// Owns its arena and kernel scratch: not thread-safe, one runner per thread. Returned tensors are
/// never reused by the runner, so a later stage may still read them while this one runs the next
/// request.
final class PartRunner {
    let part: CompiledArtifact.Part
    private let steps: ArraySlice<Step>
    private let kernels: [StepKernel]
    private let values: [Program.Value]
    private let arena: TensorBuffer
    private let scratch: TensorBuffer
    /// Tensor of each value: weights and arena views bound once; received and sent values per call.
    private var slots: [Tensor?]
    /// Weights in MXNet's layout the part binds (packed ones live in the kernels).
    private let boundWeights: [Tensor]
    /// Sum of the bytes `activate` read, kept so the reads cannot be optimized away.
    private(set) var touched: UInt64 = 0

    /// Stands in for a packed weight, which its step's kernel reads from its own prepared form.
    private static let packedPlaceholder = Tensor(zeros: [0])

    /// Prepares the part's kernels. The artifact is validated: every step reading a packed weight
    /// gets a fast kernel.
    init(artifact: CompiledArtifact, part index: Int) {
        part = artifact.parts[index]
        steps = artifact.steps[part.steps]
        values = artifact.values
        let kernels = steps.map { StepKernel.prepare($0, values: artifact.values, weight: { artifact.weights[$0] }) }
        self.kernels = kernels
        arena = TensorBuffer(byteCount: part.memoryPlan.arenaBytes)
        scratch = TensorBuffer(byteCount: (kernels.map(\.scratchCount).max() ?? 0) * MemoryLayout<Float>.size)
        slots = [Tensor?](repeating: nil, count: artifact.values.count)
        var bound: [Tensor] = []
        for step in steps {
            for operand in step.operands where slots[operand] == nil {
                guard let weight = artifact.weights[operand] else { continue }
                if case .dense(let tensor) = weight {
                    slots[operand] = tensor
                    bound.append(tensor)
                } else {
                    slots[operand] = Self.packedPlaceholder
                }
            }
        }
        boundWeights = bound
        for placement in part.memoryPlan.placements {
            let value = artifact.values[placement.value]
            slots[placement.value] = Tensor(shape: value.shape, dtype: value.dtype, buffer: arena, byteOffset: placement.offset)
        }
    }

    /// Arena bytes this runner holds.
    var arenaBytes: Int { arena.byteCount }

    /// Reads one byte per cache line of every weight tensor the part binds, to warm caches when a core
    /// switches to this model.
    func activate() {
        var sum: UInt64 = 0
        for tensor in boundWeights {
            let bytes = tensor.rawPointer
            for offset in stride(from: 0, to: tensor.byteCount, by: 64) { sum &+= UInt64(bytes.load(fromByteOffset: offset, as: UInt8.self)) }
        }
        touched = sum
    }

    /// `inputs` in `part.receives` order; returns tensors in `part.sends` order.
    func run(_ inputs: [Tensor]) -> [Tensor] {
        precondition(inputs.count == part.receives.count, "part expects \(part.receives.count) tensors, got \(inputs.count)")
        for (value, tensor) in zip(part.receives, inputs) { slots[value] = tensor }
        for value in part.sends { slots[value] = Tensor(zeros: values[value].shape, dtype: values[value].dtype) }
        let scratchFloats = scratch.byteCount == 0 ? nil : scratch.baseAddress.assumingMemoryBound(to: Float.self)
        for (step, kernel) in zip(steps, kernels) {
            kernel.run(step, inputs: step.inputs.map { slots[$0]! }, outputs: step.outputs.map { slots[$0]! },
                       epilogueOperands: step.epilogue.map { $0.operand.map { slots[$0]! } }, scratch: scratchFloats)
        }
        let result = part.sends.map { slots[$0]! }
        for value in part.receives { slots[value] = nil }
        for value in part.sends { slots[value] = nil }
        return result
    }
}
