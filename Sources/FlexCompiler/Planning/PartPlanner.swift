import FlexArtifact
import FlexGraph
import FlexKernels

/// Plans how one part of an artifact runs (`PartPlan`), once, at compile time: the batch schedule
/// (`SampleSplit`), each step's kernel (`KernelSelection`, with 1x1 + depthwise pairs fused), which views
/// share their source's bytes, the activation arena for that schedule, and the kernel scratch.
enum PartPlanner {
    /// `steps` are the part's, in order; `sends` the values it returns; `weights` the artifact's, already
    /// in their stored layouts.
    static func plan(steps partSteps: [Step], sends: [ValueID], values: [Program.Value], weights: [ValueID: ArtifactWeight],
                     target: Fast.InstructionSet) -> PartPlan {
        let weight = { (value: ValueID) in weights[value] }
        let split = SampleSplit.plan(steps: partSteps[...], values: values, weightBytes: { weights[$0]?.byteCount }) { step in
            KernelSelection.choose(step, values: values, weight: weight, target: target).sharesWeightsAcrossBatch
        }
        var plan = PartPlan(samples: split.samples, prefix: split.prefix, kernels: [], aliases: [:], crossingValues: [],
                            memory: MemoryPlan(requests: []), scratchBytes: 0)
        // Prefix steps see one sample's shapes (the whole batch when `samples` is 1), the others the batch's.
        let sampleValues = plan.sampleValues(values, isWeight: { weights[$0] != nil })
        func valuesFor(step: Int) -> [Program.Value] { step < split.prefix ? sampleValues : values }
        // Restoring a choice only references stored weights; it gives the kernels' scratch sizes and
        // fusability, and proves the choice restorable (a choice that is not runs in reference code).
        func restored(_ choice: KernelChoice, _ position: Int) -> PreparedKernel? {
            try? PreparedKernel.restore([choice], steps: [partSteps[position]], valuesForStep: { _ in valuesFor(step: position) },
                                        weight: weight).first
        }
        var choices = partSteps.indices.map { position in
            let choice = KernelSelection.choose(partSteps[position], values: valuesFor(step: position), weight: weight, target: target)
            return restored(choice, position) == nil ? .reference : choice
        }

        // Reads of each value by the part's steps and its sends.
        var reads = [Int](repeating: 0, count: values.count)
        for step in partSteps { for operand in step.operands { reads[operand] += 1 } }
        for value in sends { reads[value] += 1 }
        // A 1x1 convolution feeding only the depthwise convolution after it (in the same segment) runs
        // inside that one, band by band; its input then lives until the fused step.
        var lastRead = [Int](repeating: -1, count: values.count)
        for (position, step) in partSteps.enumerated() { for operand in step.operands { lastRead[operand] = position } }
        for position in partSteps.indices.dropLast() {
            let first = partSteps[position], second = partSteps[position + 1]
            guard first.outputs.count == 1, reads[first.outputs[0]] == 1, (position < split.prefix) == (position + 1 < split.prefix),
                  choices[position] == .convolution(.gemm), choices[position + 1] == .convolution(.depthwise),
                  let pointwise = restored(choices[position], position), let depthwise = restored(choices[position + 1], position + 1),
                  KernelSelection.fuses(pointwise, first, into: depthwise, second) else { continue }
            choices[position] = .deferred
            choices[position + 1] = .pointwiseDepthwise(producer: position)
            if let source = first.inputs.first { lastRead[source] = Swift.max(lastRead[source], position + 1) }
        }
        let scratchFloats = partSteps.indices.map { position -> Int in
            switch choices[position] {
            case .deferred: 0
            case .pointwiseDepthwise(let producer):
                (try? PreparedKernel.restore([.deferred, .pointwiseDepthwise(producer: 0)], steps: [partSteps[producer], partSteps[position]],
                                             valuesForStep: { valuesFor(step: $0 == 0 ? producer : position) }, weight: weight).last?.scratchCount) ?? 0
            default: restored(choices[position], position)?.scratchCount ?? 0
            }
        }

        var producer = [Int?](repeating: nil, count: values.count)
        for (position, step) in partSteps.enumerated() { for output in step.outputs { producer[output] = position } }
        let sent = Set(sends)
        func segment(_ position: Int) -> Bool { position < split.prefix }
        // A view (Flatten, Reshape, …) of an arena value only it reads shares that value's bytes: its copy
        // then finds both at one address and does nothing. The shared bytes live until the view's last reader.
        var aliases: [ValueID: ValueID] = [:]
        for (position, step) in partSteps.enumerated() {
            guard choices[position] == .copy, step.inputs.count == 1, step.outputs.count == 1,
                  let source = producer[step.inputs[0]], !choices[source].isDeferred else { continue }
            let input = step.inputs[0], output = step.outputs[0]
            guard !sent.contains(input), !sent.contains(output), reads[input] == 1, segment(source) == segment(position),
                  lastRead[output] < 0 || segment(lastRead[output]) == segment(position) else { continue }
            let root = aliases[input] ?? input
            aliases[output] = root
            lastRead[root] = Swift.max(lastRead[root], lastRead[output])
        }

        // The arena: every value the part computes and keeps to itself, except fused-away outputs and views.
        var requests: [MemoryPlan.Request] = []
        var crossingValues: [ValueID] = []
        for (position, step) in partSteps.enumerated() where !choices[position].isDeferred {
            for output in step.outputs where !sent.contains(output) && aliases[output] == nil {
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
        plan.kernels = choices
        plan.aliases = aliases
        plan.crossingValues = crossingValues
        plan.memory = MemoryPlan(requests: requests)
        plan.scratchBytes = (scratchFloats.max() ?? 0) * MemoryLayout<Float>.size
        return plan
    }
}
