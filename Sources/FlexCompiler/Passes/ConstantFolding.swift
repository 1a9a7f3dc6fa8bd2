import FlexArtifact
import FlexGraph
import FlexTensor

/// Evaluates steps whose operands are all constants (parameter-only subgraphs, such as a weight
/// transposed or scaled in the graph) with the operators' own `execute`, replacing them by
/// constants. Random-number operators are never folded.
package struct ConstantFolding: CompilerPass {
    package let name = "fold-constants"

    package init() {}

    package func run(on program: inout Program) throws(CompileError) {
        var kept: [Step] = []
        kept.reserveCapacity(program.steps.count)
        for step in program.steps {
            guard !step.isHost, !Self.isRandom(step.opName),
                  step.operands.allSatisfy({ program.constants[$0] != nil }) else {
                kept.append(step)
                continue
            }
            let inputs = step.inputs.map { program.constants[$0]! }
            let outputs = step.outputs.map { Tensor(zeros: program.values[$0].shape, dtype: program.values[$0].dtype) }
            step.execute(inputs: inputs, outputs: outputs, epilogueOperands: step.epilogue.map { $0.operand.map { program.constants[$0]! } })
            for (value, tensor) in zip(step.outputs, outputs) { program.constants[value] = tensor }
        }
        program.steps = kept
    }

    /// MXNet's sampling operators (`_random_uniform`, `random_normal`, `_sample_*`, `_shuffle`).
    static func isRandom(_ opName: String) -> Bool {
        ["_random_", "random_", "_sample_", "sample_"].contains { opName.hasPrefix($0) } || opName == "_shuffle"
    }
}
