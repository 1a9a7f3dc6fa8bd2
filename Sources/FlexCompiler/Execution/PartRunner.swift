import FlexGraph
import FlexTensor

/// Runs one `CompiledArtifact.Part`: binds weights and arena views once, then per call takes the
/// part's received tensors and returns freshly allocated tensors for what it sends.
///
/// Owns its arena: not thread-safe, one runner per thread. Returned tensors are never reused by the
/// runner, so a later stage may still read them while this one runs the next request.
final class PartRunner {
    let part: CompiledArtifact.Part
    private let steps: ArraySlice<Step>
    private let values: [Program.Value]
    private let arena: TensorBuffer
    /// Tensor of each value: weights and arena views bound once; received and sent values per call.
    private var slots: [Tensor?]
    /// Values the part computes and sends: allocated on every call.
    private let fresh: [ValueID]

    init(artifact: CompiledArtifact, part index: Int) {
        part = artifact.parts[index]
        steps = artifact.steps[part.steps]
        values = artifact.values
        arena = TensorBuffer(byteCount: part.memoryPlan.arenaBytes)
        slots = [Tensor?](repeating: nil, count: artifact.values.count)
        weightIDs = artifact.weights.keys.sorted()
        for (id, tensor) in artifact.weights { slots[id] = tensor }
        for placement in part.memoryPlan.placements {
            let value = artifact.values[placement.value]
            slots[placement.value] = Tensor(shape: value.shape, dtype: value.dtype, buffer: arena, byteOffset: placement.offset)
        }
        fresh = part.sends
    }

    /// Arena bytes this runner holds.
    var arenaBytes: Int { arena.byteCount }

    /// Weight tensors the part reads, to warm caches on a model switch.
    private var weightTensors: [Tensor] { weightIDs.compactMap { slots[$0] } }
    private let weightIDs: [ValueID]
    /// Sum of the touched values, kept so the reads cannot be optimized away.
    private(set) var touched: Float = 0

    /// Reads one float per cache line of every weight tensor the part binds.
    func activate() {
        var sum: Float = 0
        for tensor in weightTensors {
            let bytes = tensor.rawPointer
            for offset in stride(from: 0, to: tensor.byteCount, by: 64) { sum += Float(bytes.load(fromByteOffset: offset, as: UInt8.self)) }
        }
        touched = sum
    }

    /// `inputs` in `part.receives` order; returns tensors in `part.sends` order.
    func run(_ inputs: [Tensor]) -> [Tensor] {
        precondition(inputs.count == part.receives.count, "part expects \(part.receives.count) tensors, got \(inputs.count)")
        for (value, tensor) in zip(part.receives, inputs) { slots[value] = tensor }
        for value in fresh { slots[value] = Tensor(zeros: values[value].shape, dtype: values[value].dtype) }
        for step in steps {
            StepExecution.run(step, inputs: step.inputs.map { slots[$0]! }, outputs: step.outputs.map { slots[$0]! },
                              epilogueOperands: step.epilogue.map { $0.operand.map { slots[$0]! } })
        }
        let result = part.sends.map { slots[$0]! }
        for value in part.receives { slots[value] = nil }
        for value in fresh { slots[value] = nil }
        return result
    }
}
