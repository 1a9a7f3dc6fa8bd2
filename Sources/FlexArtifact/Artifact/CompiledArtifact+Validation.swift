import FlexGraph
import FlexTensor

extension CompiledArtifact {
    /// Checks everything running the artifact relies on, so a runner never reads a value nothing
    /// wrote or writes outside its arena: steps in dataflow order with the shapes their operators
    /// infer, parts covering the steps in increasing stage order, each part receiving what it reads
    /// and sending or placing what it computes.
    func validate() throws(ArtifactError) {
        var available = Set(inputs)
        guard available.count == inputs.count else { throw .inconsistent("an input is listed twice") }
        for id in weights.keys {
            guard !available.contains(id) else { throw .inconsistent("value '\(values[id].name)' is both an input and a weight") }
            available.insert(id)
        }
        var producedBy = [Int?](repeating: nil, count: values.count)
        for (index, step) in steps.enumerated() {
            for operand in step.operands where !available.contains(operand) {
                throw .inconsistent("step '\(step.name)' reads '\(values[operand].name)' before anything produces it")
            }
            guard step.op.inputNames(inputCount: step.inputs.count).count == step.inputs.count,
                  step.outputs.count == step.op.outputCount else {
                throw .inconsistent("step '\(step.name)' (\(step.opName)) has \(step.inputs.count) inputs and \(step.outputs.count) outputs, which its operator does not take")
            }
            let shapes: [Shape]
            let types: [DType]
            do {
                shapes = try step.op.inferShapes(step.inputs.map { values[$0].shape })
                types = try step.op.inferTypes(step.inputs.map { values[$0].dtype })
            } catch {
                throw .invalidStep(step: step.name, .invalidNode(node: step.name, op: step.opName, error))
            }
            for (position, output) in step.outputs.enumerated() {
                guard !available.contains(output) else { throw .inconsistent("step '\(step.name)' overwrites '\(values[output].name)'") }
                guard shapes[position] == values[output].shape, types[position] == values[output].dtype else {
                    throw .inconsistent("step '\(step.name)' output \(position) is stored as \(values[output].shape) \(values[output].dtype) but its operator infers \(shapes[position]) \(types[position])")
                }
                available.insert(output)
                producedBy[output] = index
            }
            if !step.epilogue.isEmpty {
                let result = values[step.outputs[0]]
                guard result.dtype == .float32 else { throw .inconsistent("step '\(step.name)' has an epilogue on a \(result.dtype) output") }
                for operand in step.epilogue.compactMap(\.operand) where values[operand].shape != result.shape || values[operand].dtype != .float32 {
                    throw .inconsistent("step '\(step.name)' adds '\(values[operand].name)' \(values[operand].shape) to its \(result.shape) output")
                }
            }
        }
        for output in outputs where producedBy[output] == nil {
            throw .inconsistent("output '\(values[output].name)' is not computed by any step")
        }

        var nextStep = 0
        var previousStage = -1
        var sentEarlier = Set(inputs)
        for (index, part) in parts.enumerated() {
            guard part.steps.lowerBound == nextStep, part.stage > previousStage else {
                throw .inconsistent("part \(index) (stage \(part.stage), steps \(part.steps)) does not follow part \(index - 1)")
            }
            nextStep = part.steps.upperBound
            previousStage = part.stage
            let received = Set(part.receives)
            for value in part.receives where !sentEarlier.contains(value) {
                throw .inconsistent("part \(index) receives '\(values[value].name)', which is neither an input nor sent by an earlier part")
            }
            var produced = Set<ValueID>()
            for step in steps[part.steps] { produced.formUnion(step.outputs) }
            for step in steps[part.steps] {
                for operand in step.operands where !produced.contains(operand) && weights[operand] == nil && !received.contains(operand) {
                    throw .inconsistent("part \(index) runs step '\(step.name)', which reads '\(values[operand].name)', but does not receive it")
                }
            }
            for value in part.sends where !produced.contains(value) {
                throw .inconsistent("part \(index) sends '\(values[value].name)', which it does not compute")
            }
            try validatePlan(of: part, index: index)
            sentEarlier.formUnion(part.sends)
        }
        guard nextStep == steps.count else { throw .inconsistent("parts cover \(nextStep) of \(steps.count) steps") }
        for output in outputs where !sentEarlier.contains(output) {
            throw .inconsistent("output '\(values[output].name)' is not sent by the part computing it")
        }
    }

    /// Checks a part's recorded plan against its steps: every kernel restores over the stored weights
    /// (so a weight stored in a kernel's layout is read only by that kernel), and every value the part
    /// computes and keeps is placed in the arena at the size its schedule needs, or is a view of one
    /// that is, or is fused away.
    private func validatePlan(of part: Part, index: Int) throws(ArtifactError) {
        let plan = part.plan
        let partSteps = Array(steps[part.steps])
        let sampleValues = plan.sampleValues(values, isWeight: { weights[$0] != nil })
        func valuesFor(step: Int) -> [Program.Value] { step < plan.prefix ? sampleValues : values }
        for (position, step) in partSteps.enumerated() {
            for operand in step.operands where weights[operand].map({ if case .dense = $0 { false } else { true } }) ?? false {
                let readsAsWeight = step.inputs.count > 1 && step.inputs[1] == operand
                    && step.inputs.enumerated().allSatisfy { $0.offset == 1 || $0.element != operand }
                    && !step.epilogue.compactMap(\.operand).contains(operand)
                let kernel = plan.kernels[position]
                let weighted: Bool = switch kernel {
                case .convolution, .dense, .pointwiseDepthwise, .deferred: true
                default: false
                }
                guard readsAsWeight, weighted else {
                    throw .inconsistent("step '\(step.name)' reads '\(values[operand].name)', which is stored packed for a kernel that cannot run this step")
                }
            }
        }
        _ = try PreparedKernel.restore(plan.kernels, steps: partSteps, valuesForStep: valuesFor(step:), weight: { weights[$0] })

        let sends = Set(part.sends)
        let crossing = Set(plan.crossingValues)
        let placed = Dictionary(plan.memory.placements.map { ($0.value, $0) }, uniquingKeysWith: { first, _ in first })
        for (position, step) in partSteps.enumerated() where !plan.kernels[position].isDeferred {
            for value in step.outputs where !sends.contains(value) {
                let root = plan.aliases[value] ?? value
                let needed = position < plan.prefix && !crossing.contains(root) ? sampleValues[root].byteCount : values[root].byteCount
                guard let placement = placed[root], placement.size >= needed else {
                    throw .inconsistent("part \(index) computes '\(values[value].name)' but neither sends it nor places it in its arena")
                }
            }
        }
    }
}
