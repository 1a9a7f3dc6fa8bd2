import FlexArtifact
import FlexGraph
import FlexTensor

/// Assignment of a program's steps to `stageCount` pipeline stages, one per NeuronCore.
///
/// Compiled steps form contiguous ranges in program (topological) order, chosen by
/// `LinearPartition` to minimize the estimated time of the costliest stage, where a stage's time is
/// its steps' estimates plus receiving its boundary tensors. Every stage holds at least one compute
/// step (one that is not a host step or a pure data movement such as `Reshape`). A host step then
/// moves to the earliest stage its operands allow (the latest stage producing one of them), which is
/// how a compiled checkpoint's loader places it too.
package struct StagePartition: Sendable, Equatable {
    package var stageCount: Int
    /// Stage of every step.
    package var stageOfStep: [Int]
    /// Estimated seconds of each stage (steps plus received boundary bytes).
    package var estimatedSeconds: [Double]

    package init(stageCount: Int, stageOfStep: [Int], estimatedSeconds: [Double]) {
        self.stageCount = stageCount
        self.stageOfStep = stageOfStep
        self.estimatedSeconds = estimatedSeconds
    }

    /// Operators that only move or relabel data: never worth a NeuronCore of their own.
    package static let dataMovementOps: Set<String> = [
        "Reshape", "reshape", "Flatten", "flatten", "expand_dims", "squeeze", "transpose", "SwapAxis", "swapaxes",
        "identity", "_copy", "BlockGrad", "stop_gradient", "Dropout", "Cast", "cast", "reshape_like", "shape_array",
        "size_array", "_contrib_quantize", "_contrib_dequantize",
    ]

    /// Whether `step` counts toward the stages a model can use.
    package static func isComputeStep(_ step: Step) -> Bool {
        !step.isHost && !dataMovementOps.contains(step.opName)
    }

    /// The most stages `program` can be split into.
    package static func maximumStages(of program: Program) -> Int {
        program.steps.reduce(0) { $0 + (isComputeStep($1) ? 1 : 0) }
    }

    /// Partitions `program` into `stages` stages; throws `.invalidCoreCount` naming the maximum when
    /// `stages` is out of range.
    package init(program: Program, stages: Int, costModel: CostModel = CostModel()) throws(CompileError) {
        let computeSteps = Self.maximumStages(of: program)
        guard computeSteps > 0 else { throw .nothingToCompile(reason: "no operator is left to run on a NeuronCore") }
        guard stages >= 1, stages <= computeSteps else {
            throw .invalidCoreCount(requested: stages, maximum: computeSteps, computeSteps: computeSteps)
        }
        let count = program.steps.count
        var prefixSeconds = [0.0]
        var prefixCompute = [0]
        for step in program.steps {
            prefixSeconds.append(prefixSeconds.last! + costModel.seconds(costModel.cost(of: step, in: program)))
            prefixCompute.append(prefixCompute.last! + (Self.isComputeStep(step) ? 1 : 0))
        }
        let boundary = Self.boundaryBytes(of: program).map { costModel.transferSeconds(bytes: $0) }
        let cost = { (range: Range<Int>) -> Double in
            prefixSeconds[range.upperBound] - prefixSeconds[range.lowerBound] + boundary[range.lowerBound]
        }
        guard let ranges = LinearPartition.minimizeBottleneck(
            count: count, parts: stages,
            allowed: { prefixCompute[$0.upperBound] > prefixCompute[$0.lowerBound] }, cost: cost) else {
            throw .invalidCoreCount(requested: stages, maximum: computeSteps, computeSteps: computeSteps)
        }
        var stageOfStep = [Int](repeating: 0, count: count)
        for (stage, range) in ranges.enumerated() {
            for index in range { stageOfStep[index] = stage }
        }
        let producers = program.producers()
        for (index, step) in program.steps.enumerated() where step.isHost {
            stageOfStep[index] = step.operands.compactMap { producers[$0] }.map { stageOfStep[$0] }.max() ?? 0
        }
        self.init(stageCount: stages, stageOfStep: stageOfStep, estimatedSeconds: ranges.map(cost))
    }

    /// `result[p]`: bytes of the non-constant values crossing cut position `p` (`0...steps.count`),
    /// i.e. produced before step `p` (model inputs before step 0) and read at or after it (model
    /// outputs count as read after the last step).
    package static func boundaryBytes(of program: Program) -> [Int] {
        let count = program.steps.count
        var delta = [Int](repeating: 0, count: count + 2)
        var defined = [Int](repeating: -1, count: program.values.count)
        var lastUse = [Int](repeating: -2, count: program.values.count)
        for (index, step) in program.steps.enumerated() {
            for value in step.outputs { defined[value] = index }
            for value in step.operands { lastUse[value] = max(lastUse[value], index) }
        }
        for value in program.outputs { lastUse[value] = count }
        for value in program.inputs { lastUse[value] = max(lastUse[value], 0) }
        for value in program.values.indices where program.constants[value] == nil && lastUse[value] > defined[value] {
            delta[defined[value] + 1] += program.values[value].byteCount
            delta[lastUse[value] + 1] -= program.values[value].byteCount
        }
        var result: [Int] = []
        var running = 0
        for position in 0...count {
            running += delta[position]
            result.append(running)
        }
        return result
    }
}
