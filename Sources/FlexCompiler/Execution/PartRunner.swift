import FlexGraph
import FlexTensor

/// Runs one `CompiledArtifact.Part`. All planning happens at creation: kernels are prepared, and every
/// step is bound to the tensors it reads and writes (weights, and views into the part's arena placed by
/// its memory plan). A call then only binds the part's received and sent tensors into the few step
/// operands that name them, and runs the bound steps in order, once per batch sample when the part
/// runs sample by sample (`SampleSplit`).
///
/// Owns its arena, kernel scratch and send buffers: not thread-safe, one runner per thread. Returned
/// tensors are handed over: a send buffer is reused only once no tensor outside the runner refers to
/// it any more, so a later stage (or the caller) may read it as long as it keeps it.
final class PartRunner {
    let part: CompiledArtifact.Part

    /// One step with its operands bound.
    struct BoundStep {
        let step: Step
        let kernel: StepKernel
        var inputs: [Tensor]
        var outputs: [Tensor]
        var epilogueOperands: [Tensor?]
    }

    /// Where a received or sent value appears among the bound steps' operands.
    enum OperandSlot {
        case input(step: Int, position: Int)
        case output(step: Int, position: Int)
        case epilogue(step: Int, position: Int)
    }

    private(set) var steps: [BoundStep]
    /// For each received value (in `part.receives` order), then each sent value (`part.sends` order): its slots.
    private let receiveSlots: [[OperandSlot]]
    private let sendSlots: [[OperandSlot]]
    private let sendSpecs: [(shape: Shape, dtype: DType)]
    /// Batch samples the part runs one at a time (1: the whole batch at once; see `SampleSplit`).
    let samples: Int
    /// Shapes of one sample's slice of each received and sent value (their full shapes when `samples == 1`).
    private let receiveSampleShapes: [Shape]
    private let sendSampleShapes: [Shape]
    /// Buffers of earlier sends, per sent value, reused once nothing else holds them.
    private var sendPools: [[TensorBuffer]]
    private let arena: TensorBuffer
    private let scratch: TensorBuffer
    /// Weights in MXNet's layout the part binds (packed ones live in the kernels).
    private let boundWeights: [Tensor]
    /// Sum of the bytes `activate` read, kept so the reads cannot be optimized away.
    private(set) var touched: UInt64 = 0

    /// Most buffers kept per sent value: enough for the requests a pipeline keeps in flight; beyond it
    /// a send still held elsewhere is simply not pooled.
    private static let poolLimit = 8

    /// Stands in for a packed weight, which its step's kernel reads from its own prepared form, and for
    /// received and sent values until a call binds them.
    private static let placeholder = Tensor(zeros: [0])

    /// Prepares the part's kernels and binds its steps. The artifact is validated: every step reading a
    /// packed weight gets a fast kernel.
    init(artifact: CompiledArtifact, part index: Int) {
        part = artifact.parts[index]
        let partSteps = artifact.steps[part.steps]
        let isWeight = { (value: ValueID) in artifact.weights[value] != nil }
        samples = SampleSplit.samples(steps: partSteps, values: artifact.values, isWeight: isWeight)
        // Kernels, arena views and the received and sent views are for one sample when the part splits.
        let values = SampleSplit.sampleValues(artifact.values, samples: samples, isWeight: isWeight)
        arena = TensorBuffer(byteCount: part.memoryPlan.arenaBytes)
        var tensors = [Tensor?](repeating: nil, count: artifact.values.count)
        var bound: [Tensor] = []
        for step in partSteps {
            for operand in step.operands where tensors[operand] == nil {
                guard let weight = artifact.weights[operand] else { continue }
                if case .dense(let tensor) = weight {
                    tensors[operand] = tensor
                    bound.append(tensor)
                } else {
                    tensors[operand] = Self.placeholder
                }
            }
        }
        boundWeights = bound
        for placement in part.memoryPlan.placements {
            let value = values[placement.value]
            tensors[placement.value] = Tensor(shape: value.shape, dtype: value.dtype, buffer: arena, byteOffset: placement.offset)
        }

        var slots: [ValueID: [OperandSlot]] = [:]
        var steps: [BoundStep] = []
        for (position, step) in partSteps.enumerated() {
            func bind(_ value: ValueID, _ slot: OperandSlot) -> Tensor {
                if let tensor = tensors[value] { return tensor }
                slots[value, default: []].append(slot)
                return Self.placeholder
            }
            let kernel = StepKernel.prepare(step, values: values, weight: { artifact.weights[$0] })
            steps.append(BoundStep(
                step: step, kernel: kernel,
                inputs: step.inputs.enumerated().map { bind($0.element, .input(step: position, position: $0.offset)) },
                outputs: step.outputs.enumerated().map { bind($0.element, .output(step: position, position: $0.offset)) },
                epilogueOperands: step.epilogue.enumerated().map { item in
                    item.element.operand.map { bind($0, .epilogue(step: position, position: item.offset)) }
                }))
        }
        // A 1x1 convolution feeding only the depthwise convolution after it runs inside that one, band by band.
        // The fused step then reads the 1x1 convolution's input while it writes its own output, so the two
        // must not share arena bytes (the memory plan let them: the input was dead after the 1x1 step).
        var reads = [Int](repeating: 0, count: artifact.values.count)
        for step in partSteps { for operand in step.operands { reads[operand] += 1 } }
        for value in part.sends { reads[value] += 1 }
        var placed: [ValueID: Range<Int>] = [:]
        for placement in part.memoryPlan.placements { placed[placement.value] = placement.offset..<(placement.offset + placement.size) }
        func disjoint(_ a: ValueID, _ b: ValueID) -> Bool {
            guard let first = placed[a], let second = placed[b] else { return true }
            return !first.overlaps(second)
        }
        for index in steps.indices.dropLast() where reads[steps[index].step.outputs.first ?? 0] == 1 && !steps[index].step.outputs.isEmpty {
            guard let source = steps[index].step.inputs.first,
                  steps[index + 1].step.outputs.allSatisfy({ disjoint(source, $0) }) else { continue }
            guard let fused = StepKernel.fusing(steps[index].kernel, steps[index].step, into: steps[index + 1].kernel,
                                                steps[index + 1].step, producer: index) else { continue }
            steps[index] = BoundStep(step: steps[index].step, kernel: .deferred, inputs: steps[index].inputs,
                                     outputs: steps[index].outputs, epilogueOperands: steps[index].epilogueOperands)
            steps[index + 1] = BoundStep(step: steps[index + 1].step, kernel: fused, inputs: steps[index + 1].inputs,
                                         outputs: steps[index + 1].outputs, epilogueOperands: steps[index + 1].epilogueOperands)
        }
        self.steps = steps
        receiveSlots = part.receives.map { slots[$0] ?? [] }
        sendSlots = part.sends.map { slots[$0] ?? [] }
        sendSpecs = part.sends.map { (artifact.values[$0].shape, artifact.values[$0].dtype) }
        receiveSampleShapes = part.receives.map { values[$0].shape }
        sendSampleShapes = part.sends.map { values[$0].shape }
        sendPools = Array(repeating: [], count: part.sends.count)
        scratch = TensorBuffer(byteCount: (steps.map(\.kernel.scratchCount).max() ?? 0) * MemoryLayout<Float>.size)
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

    /// `inputs` in `part.receives` order; returns tensors in `part.sends` order. `timer`, when given,
    /// is called with each step's index and its start and end instants.
    func run(_ inputs: [Tensor], timer: ((Int, ContinuousClock.Instant, ContinuousClock.Instant) -> Void)? = nil) -> [Tensor] {
        precondition(inputs.count == part.receives.count, "part expects \(part.receives.count) tensors, got \(inputs.count)")
        let results = sendSlots.indices.map(makeSend)
        let scratchFloats = scratch.byteCount == 0 ? nil : scratch.baseAddress.assumingMemoryBound(to: Float.self)
        for sample in 0..<samples {
            for (position, tensor) in inputs.enumerated() {
                bind(Self.slice(tensor, sample: sample, shape: receiveSampleShapes[position]), to: receiveSlots[position])
            }
            for (position, tensor) in results.enumerated() {
                bind(Self.slice(tensor, sample: sample, shape: sendSampleShapes[position]), to: sendSlots[position])
            }
            if let timer {
                let clock = ContinuousClock()
                for index in steps.indices {
                    let start = clock.now
                    run(index, scratch: scratchFloats)
                    timer(index, start, clock.now)
                }
            } else {
                for index in steps.indices { run(index, scratch: scratchFloats) }
            }
        }
        // Drop the call's tensors so their buffers are free to reuse (sends) or release (receives).
        for slots in receiveSlots { bind(Self.placeholder, to: slots) }
        for slots in sendSlots { bind(Self.placeholder, to: slots) }
        return results
    }

    @inline(__always)
    private func run(_ index: Int, scratch: UnsafeMutablePointer<Float>?) {
        let bound = steps[index]
        switch bound.kernel {
        case .deferred:
            return
        case .pointwiseDepthwise(_, let producer):
            let first = steps[producer]
            bound.kernel.runFused(bound.step, inputs: bound.inputs, outputs: bound.outputs, epilogueOperands: bound.epilogueOperands,
                                  producer: first.step, producerInputs: first.inputs, scratch: scratch)
        default:
            bound.kernel.run(bound.step, inputs: bound.inputs, outputs: bound.outputs, epilogueOperands: bound.epilogueOperands,
                             scratch: scratch)
        }
    }

    /// Sample `sample`'s slice of `tensor` (whose leading axis is the batch), of shape `shape`; the tensor
    /// itself when that is the whole of it.
    private static func slice(_ tensor: Tensor, sample: Int, shape: Shape) -> Tensor {
        guard shape != tensor.shape else { return tensor }
        let bytes = shape.elementCount * tensor.dtype.size
        return Tensor(shape: shape, dtype: tensor.dtype, buffer: tensor.buffer, byteOffset: tensor.byteOffset + sample * bytes)
    }

    private func bind(_ tensor: Tensor, to slots: [OperandSlot]) {
        for slot in slots {
            switch slot {
            case .input(let step, let position): steps[step].inputs[position] = tensor
            case .output(let step, let position): steps[step].outputs[position] = tensor
            case .epilogue(let step, let position): steps[step].epilogueOperands[position] = tensor
            }
        }
    }

    /// A tensor for sent value `index`: a pooled buffer nothing outside the runner refers to any more,
    /// else a new one (pooled if there is room). Every step writing a sent value writes all of it, so
    /// reused buffers need no clearing.
    private func makeSend(_ index: Int) -> Tensor {
        let spec = sendSpecs[index]
        for position in sendPools[index].indices where isKnownUniquelyReferenced(&sendPools[index][position]) {
            return Tensor(shape: spec.shape, dtype: spec.dtype, buffer: sendPools[index][position])
        }
        let tensor = Tensor(zeros: spec.shape, dtype: spec.dtype)
        if sendPools[index].count < Self.poolLimit { sendPools[index].append(tensor.buffer) }
        return tensor
    }
}
