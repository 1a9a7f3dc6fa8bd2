import FlexArtifact
import FlexGraph
import FlexKernels
import FlexTensor

extension CompiledArtifact {
    /// Cuts the region `steps` (consecutive compiled steps) out of `program`: local values, the
    /// region's inputs and outputs (values used outside it), one part per stage with its boundary
    /// lists, its weights packed for their kernels and each part's plan, all for instruction set `target`.
    /// `stageOfStep` is indexed like `program.steps`. Returns the artifact and, for each of its values,
    /// the program value it stands for.
    static func cut(region: Range<Int>, of program: Program, stageOfStep: [Int], cores: Int,
                    target: Fast.InstructionSet) -> (artifact: CompiledArtifact, source: [ValueID]) {
        var defined = Set<ValueID>()
        for step in program.steps[region] { defined.formUnion(step.outputs) }
        var usedOutside = Set(program.outputs)
        for (index, step) in program.steps.enumerated() where !region.contains(index) {
            usedOutside.formUnion(step.operands)
        }

        var local: [ValueID: ValueID] = [:]
        var values: [Program.Value] = []
        var source: [ValueID] = []
        func map(_ id: ValueID) -> ValueID {
            if let mapped = local[id] { return mapped }
            values.append(program.values[id])
            source.append(id)
            local[id] = values.count - 1
            return values.count - 1
        }
        var inputs: [ValueID] = []
        var weights: [ValueID: ArtifactWeight] = [:]
        for step in program.steps[region] {
            for operand in step.operands where !defined.contains(operand) && local[operand] == nil {
                let id = map(operand)
                if let tensor = program.constants[operand] { weights[id] = .dense(tensor) } else { inputs.append(id) }
            }
        }
        var steps: [Step] = []
        var outputs: [ValueID] = []
        for step in program.steps[region] {
            var copy = step
            copy.inputs = step.inputs.map(map)
            copy.epilogue = step.epilogue.map { $0.mappingOperand(map) }
            copy.outputs = step.outputs.map(map)
            steps.append(copy)
            outputs += step.outputs.filter { usedOutside.contains($0) }.map(map)
        }

        // Parts: runs of equal stage.
        let stages = region.map { stageOfStep[$0] }
        var ranges: [Range<Int>] = []
        var start = 0
        for index in 1...stages.count where index == stages.count || stages[index] != stages[start] {
            ranges.append(start..<index)
            start = index
        }
        let regionOutputs = Set(outputs)
        let packed = WeightPacking.pack(weights, steps: steps, values: values, target: target)
        var parts: [Part] = []
        for range in ranges {
            var producedHere = Set<ValueID>()
            for step in steps[range] { producedHere.formUnion(step.outputs) }
            var receives: [ValueID] = []
            for step in steps[range] {
                for operand in step.operands where !producedHere.contains(operand) && packed[operand] == nil && !receives.contains(operand) {
                    receives.append(operand)
                }
            }
            var usedLater = regionOutputs
            for step in steps[range.upperBound...] { usedLater.formUnion(step.operands) }
            let sends = steps[range].flatMap(\.outputs).filter(usedLater.contains)
            let plan = PartPlanner.plan(steps: Array(steps[range]), sends: sends, values: values, weights: packed, target: target)
            parts.append(Part(stage: stages[range.lowerBound], steps: range, receives: receives, sends: sends, plan: plan))
        }
        let artifact = CompiledArtifact(cores: cores, target: target, values: values, inputs: inputs, outputs: outputs,
                                        weights: packed, steps: steps, parts: parts)
        return (artifact, source)
    }
}
