import FlexKernels
import FlexTensor

/// Elementwise work fused onto the end of a step, applied in place to its first output (float32,
/// row-major). Order matters: `[.add(r), .activation(.relu)]` is `relu(op(x) + r)`.
public enum EpilogueOp: Sendable, Equatable {
    /// MXNet `Activation`/`relu`/`sigmoid`/`tanh`.
    case activation(Reference.ActivationFunction)
    /// MXNet `clip(a_min, a_max)`; `clip(0, 6)` is ReLU6.
    case clip(min: Float, max: Float)
    /// Residual `elemwise_add` of another value of the same shape.
    case add(ValueID)

    /// The value this operation reads besides the step's output.
    public var operand: ValueID? {
        if case .add(let value) = self { value } else { nil }
    }

    package func mappingOperand(_ transform: (ValueID) -> ValueID) -> EpilogueOp {
        if case .add(let value) = self { .add(transform(value)) } else { self }
    }

    /// Applies the operation to `count` elements of `output`; `operand` is the `.add` operand.
    /// Reference code; the caller guarantees `operand` has `count` float32 elements.
    public func apply(to output: UnsafeMutablePointer<Float>, count: Int, operand: UnsafePointer<Float>?) {
        switch self {
        case .activation(let function):
            Reference.activation(function, input: output, output: output, count: count)
        case .clip(let low, let high):
            for index in 0..<count {
                let x = output[index]
                output[index] = x > high ? high : (x < low ? low : x)
            }
        case .add:
            guard let operand else { preconditionFailure("epilogue add without its operand") }
            for index in 0..<count { output[index] += operand[index] }
        }
    }

    /// Short text for reports: `relu`, `clip(0,6)`, `add`.
    public var summary: String {
        switch self {
        case .activation(let function): function.rawValue
        case .clip(let low, let high): "clip(\(low),\(high))"
        case .add: "add"
        }
    }
}
