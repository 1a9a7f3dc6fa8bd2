import FlexGraph
import FlexKernels
import FlexTensor

/// Runs one `CompiledArtifact.Part`. All planning happens at creation: kernels are prepared, fusions
/// chosen, the part's activation arena planned for the schedule it will run (`SampleSplit`), and every
/// step bound to the tensors it reads and writes (weights, and views into the arena). A call then only
/// binds the part's received and sent tensors (and, sample by sample, the values crossing from the
/// per-sample prefix to the batched rest) into the few step operands that name them, and runs the
/// bound steps in order.
///
/// Owns its arena, kernel scratch and send buffers: not thread-safe, one runner per thread. Returned
/// tensors are handed over: a send buffer is reused only once no tensor outside the runner refers to
/// it any more, so a later stage (or the caller) may read it as long as it keeps it.
final class PartRunner {
    let part: CompiledArtifact.Part

    /// One step with its operands bound.
    struct BoundStep {
        let step: Step
        var kernel: StepKernel
        var inputs: [Tensor]
        var outputs: [Tensor]
        var epilogueOperands: [Tensor?]
    }

    /// Where a value bound per call appears among the bound steps' operands.
    enum OperandSlot {
        case input(step: Int, position: Int)
        case output(step: Int, position: Int)
        case epilogue(step: Int, position: Int)
    }

    /// A value bound per call: a received or sent tensor, or an arena value crossing from the per-sample
    /// prefix to the batched steps; its slots in the prefix get one sample's slice at a time.
    struct CallBinding {
        var prefixSlots: [OperandSlot] = []
        var suffixSlots: [OperandSlot] = []
        /// Shape of one sample's slice.
        var sampleShape: Shape
    }

    private(set) var steps: [BoundStep]
    let split: SampleSplit
    private var receives: [CallBinding]
    private var sends: [CallBinding]
    /// Arena values crossing from the prefix to the suffix, with their whole-batch tensors.
    private var crossings: [(binding: CallBinding, tensor: Tensor)]
    private let sendSpecs: [(shape: Shape, dtype: DType)]
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

    /// Stands in for a packed weight, which its step's kernel reads from its own prepared form, for values
    /// bound per call until a call binds them, and for the unused output of a fused-away step.
    private static let placeholder = Tensor(zeros: [0])

    /// Batch samples the prefix runs one at a time.
    var samples: Int { split.samples }

    /// Prepares the part's kernels (`PartPlan`), allocates its arena and scratch and binds its steps. The
    /// artifact is validated: every step reading a packed weight gets a fast kernel.
    init(artifact: CompiledArtifact, part index: Int) {
        let plan = PartPlan(artifact: artifact, part: index)
        part = plan.part
        let partSteps = Array(artifact.steps[part.steps])
        let split = plan.split, values = plan.values, sampleValues = plan.sampleValues, kernels = plan.kernels
        let sent = Set(part.sends)
        self.split = split
        arena = TensorBuffer(byteCount: plan.memory.arenaBytes)

        var tensors = [Tensor?](repeating: nil, count: values.count)
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
        let crossing = Set(plan.crossingValues)
        var wholeTensors: [ValueID: Tensor] = [:]
        var offsets: [ValueID: Int] = [:]
        for placement in plan.memory.placements {
            let id = placement.value
            offsets[id] = placement.offset
            if crossing.contains(id) {
                wholeTensors[id] = Tensor(shape: values[id].shape, dtype: values[id].dtype, buffer: arena, byteOffset: placement.offset)
            } else {
                let value = (plan.producer[id] ?? 0) < split.prefix ? sampleValues[id] : values[id]
                tensors[id] = Tensor(shape: value.shape, dtype: value.dtype, buffer: arena, byteOffset: placement.offset)
            }
        }
        for (view, root) in plan.aliasOf {
            let value = (plan.producer[view] ?? 0) < split.prefix ? sampleValues[view] : values[view]
            tensors[view] = Tensor(shape: value.shape, dtype: value.dtype, buffer: arena, byteOffset: offsets[root]!)
        }

        // Bind every operand; values bound per call collect their slots.
        var perCall: [ValueID: CallBinding] = [:]
        var steps: [BoundStep] = []
        for (position, step) in partSteps.enumerated() {
            func bind(_ value: ValueID, _ slot: OperandSlot) -> Tensor {
                if let tensor = tensors[value] { return tensor }
                if kernels[position].isDeferred, step.outputs.contains(value), !sent.contains(value) { return Self.placeholder }
                if position >= split.prefix, let whole = wholeTensors[value] { return whole }
                var binding = perCall[value] ?? CallBinding(sampleShape: sampleValues[value].shape)
                if position < split.prefix { binding.prefixSlots.append(slot) } else { binding.suffixSlots.append(slot) }
                perCall[value] = binding
                return Self.placeholder
            }
            steps.append(BoundStep(
                step: step, kernel: kernels[position],
                inputs: step.inputs.enumerated().map { bind($0.element, .input(step: position, position: $0.offset)) },
                outputs: step.outputs.enumerated().map { bind($0.element, .output(step: position, position: $0.offset)) },
                epilogueOperands: step.epilogue.enumerated().map { item in
                    item.element.operand.map { bind($0, .epilogue(step: position, position: item.offset)) }
                }))
        }
        self.steps = steps
        func binding(_ value: ValueID) -> CallBinding { perCall[value] ?? CallBinding(sampleShape: sampleValues[value].shape) }
        receives = part.receives.map(binding)
        sends = part.sends.map(binding)
        crossings = plan.crossingValues.map { (binding($0), wholeTensors[$0]!) }
        sendSpecs = part.sends.map { (values[$0].shape, values[$0].dtype) }
        sendPools = Array(repeating: [], count: part.sends.count)
        scratch = TensorBuffer(byteCount: plan.scratchBytes)
    }

    /// Arena bytes this runner holds.
    var arenaBytes: Int { arena.byteCount }

    /// Kernel scratch bytes this runner holds.
    var scratchBytes: Int { scratch.byteCount }

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
        let results = sends.indices.map(makeSend)
        let scratchFloats = scratch.byteCount == 0 ? nil : scratch.baseAddress.assumingMemoryBound(to: Float.self)
        for sample in 0..<split.samples {
            for (tensor, binding) in zip(inputs, receives) { bindSample(tensor, sample: sample, binding) }
            for (tensor, binding) in zip(results, sends) { bindSample(tensor, sample: sample, binding) }
            for crossing in crossings { bindSample(crossing.tensor, sample: sample, crossing.binding) }
            runSteps(0..<split.prefix, scratch: scratchFloats, timer: timer)
        }
        if split.prefix < steps.count {
            for (tensor, binding) in zip(inputs, receives) { bind(tensor, to: binding.suffixSlots) }
            for (tensor, binding) in zip(results, sends) { bind(tensor, to: binding.suffixSlots) }
            runSteps(split.prefix..<steps.count, scratch: scratchFloats, timer: timer)
        }
        // Drop the call's tensors so their buffers are free to reuse (sends) or release (receives).
        for binding in receives + sends + crossings.map(\.binding) {
            bind(Self.placeholder, to: binding.prefixSlots)
            bind(Self.placeholder, to: binding.suffixSlots)
        }
        return results
    }

    private func runSteps(_ range: Range<Int>, scratch: UnsafeMutablePointer<Float>?,
                          timer: ((Int, ContinuousClock.Instant, ContinuousClock.Instant) -> Void)?) {
        if let timer {
            let clock = ContinuousClock()
            for index in range {
                let start = clock.now
                run(index, scratch: scratch)
                timer(index, start, clock.now)
            }
        } else {
            for index in range { run(index, scratch: scratch) }
        }
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

    /// Binds sample `sample`'s slice of `tensor` (whose leading axis is the batch) into the prefix slots.
    private func bindSample(_ tensor: Tensor, sample: Int, _ binding: CallBinding) {
        guard !binding.prefixSlots.isEmpty else { return }
        let shape = binding.sampleShape
        if shape == tensor.shape {
            bind(tensor, to: binding.prefixSlots)
            return
        }
        let bytes = shape.elementCount * tensor.dtype.size
        bind(Tensor(shape: shape, dtype: tensor.dtype, buffer: tensor.buffer, byteOffset: tensor.byteOffset + sample * bytes),
             to: binding.prefixSlots)
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
