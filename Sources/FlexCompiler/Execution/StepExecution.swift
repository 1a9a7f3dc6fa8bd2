import FlexGraph
import FlexTensor

/// Runs one step: the operator's kernel, then the fused epilogue in place on the first output.
enum StepExecution {
    /// `inputs` and `outputs` have the step's inferred shapes and dtypes; outputs never alias inputs.
    /// `epilogueOperands[i]` is the tensor `step.epilogue[i]` reads (nil for operations without one).
    static func run(_ step: Step, inputs: [Tensor], outputs: [Tensor], epilogueOperands: [Tensor?]) {
        step.op.execute(inputs: inputs, outputs: outputs)
        guard !step.epilogue.isEmpty else { return }
        let result = outputs[0]
        for (operation, operand) in zip(step.epilogue, epilogueOperands) {
            operation.apply(to: result.floats, count: result.elementCount, operand: operand.map { UnsafePointer($0.floats) })
        }
    }
}
