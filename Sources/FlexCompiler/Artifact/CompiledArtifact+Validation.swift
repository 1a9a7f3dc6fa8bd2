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
        // A weight stored in a kernel's layout is readable only by that kernel.
        for step in steps {
            for operand in step.operands {
                guard let weight = weights[operand] else { continue }
                if case .dense = weight { continue }
                guard step.inputs.enumerated().allSatisfy({ $0.offset == 1 || $0.element != operand }), step.epilogue.compactMap(\.operand).allSatisfy({ $0 != operand }),
                      case let kernel = StepKernel.prepare(step, values: values, weight: { weights[$0] }), !kernel.isReference else {
                    throw .inconsistent("step '\(step.name)' reads '\(values[operand].name)', which is stored packed for a kernel that cannot run this step")
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
            let sends = Set(part.sends)
            let placed = Dictionary(part.memoryPlan.placements.map { ($0.value, $0) }, uniquingKeysWith: { first, _ in first })
            for value in produced where !sends.contains(value) {
                guard let placement = placed[value], placement.size >= values[value].byteCount else {
                    throw .inconsistent("part \(index) computes '\(values[value].name)' but neither sends it nor places it in its arena")
                }
            }
            sentEarlier.formUnion(sends)
        }
        guard nextStep == steps.count else { throw .inconsistent("parts cover \(nextStep) of \(steps.count) steps") }
        for output in outputs where !sentEarlier.contains(output) {
            throw .inconsistent("output '\(values[output].name)' is not sent by the part computing it")
        }
    }
}
