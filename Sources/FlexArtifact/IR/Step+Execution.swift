import FlexGraph
import FlexTensor

extension Step {
    /// Runs the step in reference code: the operator's own `execute`, then the fused epilogue in place on
    /// the first output. `inputs` and `outputs` have the step's inferred shapes and dtypes; outputs never
    /// alias inputs. `epilogueOperands[i]` is the tensor `epilogue[i]` reads (nil for operations without one).
    public func execute(inputs: [Tensor], outputs: [Tensor], epilogueOperands: [Tensor?]) {
        op.execute(inputs: inputs, outputs: outputs)
        guard !epilogue.isEmpty else { return }
        let result = outputs[0]
        for (operation, operand) in zip(epilogue, epilogueOperands) {
            operation.apply(to: result.floats, count: result.elementCount, operand: operand.map { UnsafePointer($0.floats) })
        }
    }
}
