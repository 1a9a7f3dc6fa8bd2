import FlexGraph
import FlexKernels

/// Everything `PartRunner` decides about one `CompiledArtifact.Part` before it allocates anything: the
/// batch schedule (`SampleSplit`), each step's kernel (with 1x1 + depthwise pairs fused), which views
/// share their source's bytes, and the activation arena's layout for that schedule. The runtime charges
/// a loaded copy `workspaceBytes` from the same plan, so what it accounts is what the runner allocates.
///
/// Thread ownership: a value, built on any thread; holds no buffers of its own (kernels reference the
/// artifact's packed weights).
struct PartPlan {
    let part: CompiledArtifact.Part
    let split: SampleSplit
    /// The artifact's values (whole batch), and the same with one sample's shapes for the prefix steps.
    let values: [Program.Value]
    let sampleValues: [Program.Value]
    /// One per step of the part; `.deferred` for a step fused into the next one.
    let kernels: [StepKernel]
    /// The step computing each value, by value id (nil: received, a weight or not in this part).
    let producer: [Int?]
    /// Views sharing the bytes of an arena value (view → root value).
    let aliasOf: [ValueID: ValueID]
    /// Arena values computed sample by sample and read by batched steps (room for every sample).
    let crossingValues: [ValueID]
    /// The arena: every value the part computes and keeps to itself, except fused-away outputs and views.
    let memory: MemoryPlan
    /// Kernel scratch one runner needs (the largest step's), in bytes.
    let scratchBytes: Int

    /// Arena plus scratch: what one runner of this part allocates besides its send buffers, in bytes.
    var workspaceBytes: Int { memory.arenaBytes + scratchBytes }

    init(artifact: CompiledArtifact, part index: Int) {
        let part = artifact.parts[index]
        self.part = part
        let partSteps = Array(artifact.steps[part.steps])
        let weightBytes = { (value: ValueID) in artifact.weights[value]?.byteCount }
        let isWeight = { (value: ValueID) in artifact.weights[value] != nil }
        let split = SampleSplit.plan(steps: artifact.steps[part.steps], values: artifact.values, weightBytes: weightBytes) { step in
            let kernel = StepKernel.name(for: step, values: artifact.values, weight: { artifact.weights[$0] })
            return kernel == "packed-gemm" || kernel == Fast.PreparedConvolution.Algorithm.transposedGEMM.rawValue
        }
        // Prefix steps see one sample's shapes (the whole batch when `samples` is 1), the others the batch's.
        let sampleValues = SampleSplit.sampleValues(artifact.values, samples: split.samples, isWeight: isWeight)
        let values = artifact.values
        func valuesFor(step: Int) -> [Program.Value] { step < split.prefix ? sampleValues : values }

        var kernels = partSteps.indices.map { position in
            StepKernel.prepare(partSteps[position], values: valuesFor(step: position), weight: { artifact.weights[$0] })
        }
        // Reads of each value by the part's steps and its sends.
        var reads = [Int](repeating: 0, count: values.count)
        for step in partSteps { for operand in step.operands { reads[operand] += 1 } }
        for value in part.sends { reads[value] += 1 }
        // A 1x1 convolution feeding only the depthwise convolution after it (in the same segment) runs
        // inside that one, band by band; its input then lives until the fused step.
        var lastRead = [Int](repeating: -1, count: values.count)
        for (position, step) in partSteps.enumerated() { for operand in step.operands { lastRead[operand] = position } }
        for position in partSteps.indices.dropLast() {
            let first = partSteps[position], second = partSteps[position + 1]
            guard first.outputs.count == 1, reads[first.outputs[0]] == 1, (position < split.prefix) == (position + 1 < split.prefix),
                  let fused = StepKernel.fusing(kernels[position], first, into: kernels[position + 1], second, producer: position)
            else { continue }
            kernels[position] = .deferred
            kernels[position + 1] = fused
            if let source = first.inputs.first { lastRead[source] = Swift.max(lastRead[source], position + 1) }
        }

        var producer = [Int?](repeating: nil, count: values.count)
        for (position, step) in partSteps.enumerated() { for output in step.outputs { producer[output] = position } }
        let sent = Set(part.sends)
        func segment(_ position: Int) -> Bool { position < split.prefix }
        // A view (Flatten, Reshape, …) of an arena value only it reads shares that value's bytes: its copy
        // then finds both at one address and does nothing. The shared bytes live until the view's last reader.
        var aliasOf: [ValueID: ValueID] = [:]
        for (position, step) in partSteps.enumerated() {
            guard case .copy = kernels[position], step.inputs.count == 1, step.outputs.count == 1,
                  let source = producer[step.inputs[0]], !kernels[source].isDeferred else { continue }
            let input = step.inputs[0], output = step.outputs[0]
            guard !sent.contains(input), !sent.contains(output), reads[input] == 1, segment(source) == segment(position),
                  lastRead[output] < 0 || segment(lastRead[output]) == segment(position) else { continue }
            let root = aliasOf[input] ?? input
            aliasOf[output] = root
            lastRead[root] = Swift.max(lastRead[root], lastRead[output])
        }

        // The arena: every value the part computes and keeps to itself, except fused-away outputs and views.
        var requests: [MemoryPlan.Request] = []
        var crossingValues: [ValueID] = []
        for (position, step) in partSteps.enumerated() where !kernels[position].isDeferred {
            for output in step.outputs where !sent.contains(output) && aliasOf[output] == nil {
                let last = Swift.max(lastRead[output], position)
                if position < split.prefix && last >= split.prefix {
                    // Needed by batched steps: room for every sample, from the start of the prefix.
                    crossingValues.append(output)
                    requests.append(MemoryPlan.Request(value: output, bytes: values[output].byteCount, firstStep: 0, lastStep: last))
                } else {
                    let bytes = position < split.prefix ? sampleValues[output].byteCount : values[output].byteCount
                    requests.append(MemoryPlan.Request(value: output, bytes: bytes, firstStep: position, lastStep: last))
                }
            }
        }
        memory = MemoryPlan(requests: requests)
        scratchBytes = (kernels.map(\.scratchCount).max() ?? 0) * MemoryLayout<Float>.size
        self.split = split
        self.values = values
        self.sampleValues = sampleValues
        self.kernels = kernels
        self.producer = producer
        self.aliasOf = aliasOf
        self.crossingValues = crossingValues
    }
}
