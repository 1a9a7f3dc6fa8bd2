import FlexArtifact
import FlexGraph
import FlexKernels
import FlexTensor

/// Runs one `CompiledArtifact.Part` as its recorded `PartPlan` says, deciding nothing: creation
/// allocates the planned arena and scratch and binds every step to its restored kernel (shared by all
/// runners of the model) and to the tensors it reads and writes (the artifact's weights in place, and
/// views into the arena). A call then only binds the part's received and sent tensors (and, sample by
/// sample, the values crossing from the per-sample prefix to the batched rest) into the few step
/// operands that name them, and runs the bound steps in order.
///
/// Owns its arena, kernel scratch and send buffers: not thread-safe, one runner per thread. Returned
/// tensors are handed over: a send buffer is reused only once no tensor outside the runner refers to
/// it any more, so a later stage (or the caller) may read it as long as it keeps it.
final class PartRunner {
    let part: CompiledArtifact.Part

    /// One step with its operands bound.
    struct BoundStep {
        let step: Step
        let kernel: PreparedKernel
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
    let plan: PartPlan
    private var receives: [CallBinding]
    private var sends: [CallBinding]
    /// Arena values crossing from the prefix to the suffix, with their whole-batch tensors.
    private var crossings: [(binding: CallBinding, tensor: Tensor)]
    private let sendSpecs: [(shape: Shape, dtype: DType)]
    /// Buffers of earlier sends, per sent value, reused once nothing else holds them.
    private var sendPools: [[TensorBuffer]]
    private let arena: TensorBuffer
    private let scratch: TensorBuffer
    /// Steps from the first that are sample-wise with every value leading with `leadBatch` samples
    /// (`Step.sampleWiseLead`): what a short batch runs on its data rows only. 0 when the batch is 1.
    private let sampleWiseSteps: Int
    private let leadBatch: Int
    /// Whole-batch arena values the sample-wise steps write and later steps read: a short batch zeroes
    /// their padding samples before the later steps run.
    private let paddingReadLater: [Tensor]
    /// Sends the sample-wise steps write (indexes into `part.sends`), zeroed past a short batch's rows.
    private let paddingSends: [Int]
    /// Every weight byte the part's steps read, where they read it (the kernels' packed and transformed
    /// panels, depthwise filters, and dense weights such as biases), one region per stored array.
    let weightRegions: [UnsafeRawBufferPointer]
    /// Sum of the bytes `activate` read, kept so the reads cannot be optimized away.
    private(set) var touched: UInt64 = 0

    /// Most buffers kept per sent value: enough for the requests a pipeline keeps in flight; beyond it
    /// a send still held elsewhere is simply not pooled.
    private static let poolLimit = 8

    /// Stands in for a packed weight, which its step's kernel reads from its own prepared form, for values
    /// bound per call until a call binds them, and for the unused output of a fused-away step.
    private static let placeholder = Tensor(zeros: [0])

    /// Batch samples the prefix runs one at a time.
    var samples: Int { plan.samples }

    /// Allocates part `index`'s planned arena and scratch and binds its steps to `kernels` (the part's
    /// kernels restored once per model, `CompiledModel.Subgraph.kernels`).
    init(artifact: CompiledArtifact, part index: Int, kernels: [PreparedKernel]) {
        let part = artifact.parts[index], plan = part.plan, values = artifact.values
        self.part = part
        self.plan = plan
        let partSteps = Array(artifact.steps[part.steps])
        let sampleValues = plan.sampleValues(values, isWeight: { artifact.weights[$0] != nil })
        let sent = Set(part.sends)
        arena = TensorBuffer(byteCount: plan.memory.arenaBytes)
        var producer = [Int?](repeating: nil, count: values.count)
        for (position, step) in partSteps.enumerated() { for output in step.outputs { producer[output] = position } }

        var tensors = [Tensor?](repeating: nil, count: values.count)
        // What the kernels read of the stored weights, plus the dense weights bound to steps (biases,
        // reference steps' weights); one entry per address.
        var regions = kernels.flatMap(\.weightRegions)
        for step in partSteps {
            for operand in step.operands where tensors[operand] == nil {
                guard let weight = artifact.weights[operand] else { continue }
                // Kernels read packed weights from their restored form; operators and epilogues read dense ones.
                if case .dense(let tensor) = weight {
                    tensors[operand] = tensor
                    regions.append(UnsafeRawBufferPointer(start: tensor.rawPointer, count: tensor.byteCount))
                } else {
                    tensors[operand] = Self.placeholder
                }
            }
        }
        var seen = Set<UnsafeRawPointer?>()
        weightRegions = regions.filter { seen.insert($0.baseAddress).inserted }
        let crossing = Set(plan.crossingValues)
        var wholeTensors: [ValueID: Tensor] = [:]
        var offsets: [ValueID: Int] = [:]
        for placement in plan.memory.placements {
            let id = placement.value
            offsets[id] = placement.offset
            if crossing.contains(id) {
                wholeTensors[id] = Tensor(shape: values[id].shape, dtype: values[id].dtype, buffer: arena, byteOffset: placement.offset)
            } else {
                let value = (producer[id] ?? 0) < plan.prefix ? sampleValues[id] : values[id]
                tensors[id] = Tensor(shape: value.shape, dtype: value.dtype, buffer: arena, byteOffset: placement.offset)
            }
        }
        for (view, root) in plan.aliases {
            let value = (producer[view] ?? 0) < plan.prefix ? sampleValues[view] : values[view]
            tensors[view] = Tensor(shape: value.shape, dtype: value.dtype, buffer: arena, byteOffset: offsets[root]!)
        }

        // Bind every operand; values bound per call collect their slots.
        var perCall: [ValueID: CallBinding] = [:]
        var steps: [BoundStep] = []
        for (position, step) in partSteps.enumerated() {
            func bind(_ value: ValueID, _ slot: OperandSlot) -> Tensor {
                if let tensor = tensors[value] { return tensor }
                if kernels[position].isDeferred, step.outputs.contains(value), !sent.contains(value) { return Self.placeholder }
                if position >= plan.prefix, let whole = wholeTensors[value] { return whole }
                var binding = perCall[value] ?? CallBinding(sampleShape: sampleValues[value].shape)
                if position < plan.prefix { binding.prefixSlots.append(slot) } else { binding.suffixSlots.append(slot) }
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

        let (sampleWise, batch) = Self.shortBatchLead(artifact: artifact, part: index)
        leadBatch = batch
        sampleWiseSteps = sampleWise
        var readLater: [ValueID: Tensor] = [:]
        for position in sampleWise..<steps.count {
            let bound = steps[position], step = partSteps[position]
            var reads = Array(zip(step.inputs, bound.inputs))
            for (operand, tensor) in zip(step.epilogue.map(\.operand), bound.epilogueOperands) {
                if let operand, let tensor { reads.append((operand, tensor)) }
            }
            for (value, tensor) in reads where (producer[value] ?? sampleWise) < sampleWise && !sent.contains(value) && tensor.byteCount > 0 {
                readLater[value] = tensor
            }
        }
        paddingReadLater = readLater.keys.sorted().map { readLater[$0]! }
        paddingSends = part.sends.indices.filter { (producer[part.sends[$0]] ?? sampleWise) < sampleWise }
    }

    /// How many steps of part `index`, from the first, a short batch runs over its data rows only
    /// (`sampleWiseSteps`: sample-wise, every value leading with `batch` samples; 0 when the batch is 1),
    /// and that batch.
    static func shortBatchLead(artifact: CompiledArtifact, part index: Int) -> (steps: Int, batch: Int) {
        let part = artifact.parts[index], plan = part.plan
        let lead = Step.sampleWiseLead(artifact.steps[part.steps], values: artifact.values, isWeight: { artifact.weights[$0] != nil })
        let batch = lead.batch ?? 1
        // The per-sample prefix is part of the lead by construction (`SampleSplit`); should a stored plan
        // disagree, a short batch simply computes every sample.
        let consistent = plan.samples == 1 || (plan.samples == batch && plan.prefix <= lead.count)
        return (batch > 1 && consistent ? lead.count : 0, batch)
    }

    /// For each of part `index`'s receives, whether a short batch's run reads its padding samples: a step
    /// after the lead (`shortBatchLead`) reads it, where a 1x1 convolution fused into a depthwise step
    /// reads at the depthwise step. The lead's steps read only the data rows, or compute the padding
    /// into padding, which is zeroed before a later step could read it (`run`).
    static func receivesReadInPadding(artifact: CompiledArtifact, part index: Int, kernels: [PreparedKernel]) -> [Bool] {
        let part = artifact.parts[index]
        let lead = shortBatchLead(artifact: artifact, part: index).steps
        var readsAt = Array(kernels.indices)
        for (position, kernel) in kernels.enumerated() {
            if case .pointwiseDepthwise(_, let producer) = kernel { readsAt[producer] = position }
        }
        var lastRead: [ValueID: Int] = [:]
        for (position, step) in artifact.steps[part.steps].enumerated() {
            for value in step.operands {
                lastRead[value] = Swift.max(lastRead[value] ?? 0, readsAt[position])
            }
        }
        return part.receives.map { (lastRead[$0] ?? -1) >= lead }
    }

    /// Arena bytes this runner holds.
    var arenaBytes: Int { arena.byteCount }

    /// Kernel scratch bytes this runner holds.
    var scratchBytes: Int { scratch.byteCount }

    /// Reads one byte per cache line of every weight byte the part's kernels read (packed and
    /// transformed weights included), to bring them into cache when a core switches to this model.
    func activate() {
        touched = touchCacheLines(weightRegions)
    }

    /// `inputs` in `part.receives` order; returns tensors in `part.sends` order. `timer`, when given,
    /// is called with each step's index and its start and end instants.
    ///
    /// `rows`: only the first `rows` samples of the batch carry data (nil: all), the rest being padding.
    /// The leading sample-wise steps (`sampleWiseSteps`) then compute those samples only, the prefix
    /// sample by sample and the batched ones over the leading rows; the padding samples of what they hand
    /// to later steps or send are zeroed, so nothing of an earlier call shows through. Later steps run the
    /// whole batch.
    func run(_ inputs: [Tensor], rows: Int? = nil,
             timer: ((Int, ContinuousClock.Instant, ContinuousClock.Instant) -> Void)? = nil) -> [Tensor] {
        precondition(inputs.count == part.receives.count, "part expects \(part.receives.count) tensors, got \(inputs.count)")
        let results = sends.indices.map(makeSend)
        let scratchFloats = scratch.byteCount == 0 ? nil : scratch.baseAddress.assumingMemoryBound(to: Float.self)
        let leading = rows.flatMap { rows in
            rows < leadBatch && sampleWiseSteps > 0 ? LeadingSamples(count: Swift.max(1, rows), batch: leadBatch) : nil
        }
        let perSample = plan.samples > 1
        for sample in 0..<(perSample ? leading?.count ?? plan.samples : 1) {
            for (tensor, binding) in zip(inputs, receives) { bindSample(tensor, sample: sample, binding) }
            for (tensor, binding) in zip(results, sends) { bindSample(tensor, sample: sample, binding) }
            for crossing in crossings { bindSample(crossing.tensor, sample: sample, crossing.binding) }
            runSteps(0..<plan.prefix, leading: perSample ? nil : leading, results: results, scratch: scratchFloats, timer: timer)
        }
        if plan.prefix < steps.count {
            for (tensor, binding) in zip(inputs, receives) { bind(tensor, to: binding.suffixSlots) }
            for (tensor, binding) in zip(results, sends) { bind(tensor, to: binding.suffixSlots) }
            runSteps(plan.prefix..<steps.count, leading: leading, results: results, scratch: scratchFloats, timer: timer)
        }
        if let leading, sampleWiseSteps == steps.count { zeroPadding(after: leading.count, results: results) }
        // Drop the call's tensors so their buffers are free to reuse (sends) or release (receives).
        for binding in receives + sends + crossings.map(\.binding) {
            bind(Self.placeholder, to: binding.prefixSlots)
            bind(Self.placeholder, to: binding.suffixSlots)
        }
        return results
    }

    /// Runs steps `range`; with `leading` (a short batch), the sample-wise ones compute those samples
    /// only, and the padding they leave is zeroed before the first later step.
    private func runSteps(_ range: Range<Int>, leading: LeadingSamples?, results: [Tensor], scratch: UnsafeMutablePointer<Float>?,
                          timer: ((Int, ContinuousClock.Instant, ContinuousClock.Instant) -> Void)?) {
        let clock = ContinuousClock()
        for index in range {
            if let leading, index == sampleWiseSteps { zeroPadding(after: leading.count, results: results) }
            let samples = index < sampleWiseSteps ? leading : nil
            if let timer {
                let start = clock.now
                run(index, scratch: scratch, samples: samples)
                timer(index, start, clock.now)
            } else {
                run(index, scratch: scratch, samples: samples)
            }
        }
    }

    @inline(__always)
    private func run(_ index: Int, scratch: UnsafeMutablePointer<Float>?, samples: LeadingSamples?) {
        let bound = steps[index]
        switch bound.kernel {
        case .deferred:
            return
        case .pointwiseDepthwise(_, let producer):
            let first = steps[producer]
            bound.kernel.runFused(bound.step, inputs: bound.inputs, outputs: bound.outputs, epilogueOperands: bound.epilogueOperands,
                                  producer: first.step, producerInputs: first.inputs, scratch: scratch, samples: samples)
        default:
            bound.kernel.run(bound.step, inputs: bound.inputs, outputs: bound.outputs, epilogueOperands: bound.epilogueOperands,
                             scratch: scratch, samples: samples)
        }
    }

    /// Zeroes samples `count...` of what the sample-wise steps hand on: the arena values later steps read,
    /// and the sends.
    private func zeroPadding(after count: Int, results: [Tensor]) {
        for tensor in paddingReadLater + paddingSends.map({ results[$0] }) { tensor.zeroSamples(from: count, of: leadBatch) }
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
