import FlexKernels
import FlexTensor

/// MXNet `where(condition, x, y)`: `x` where `condition` is non-zero, else `y`. `x` and `y` have one
/// shape and dtype (the output's); `condition` has `x`'s shape, or is 1-D with `x.shape[0]` entries
/// (choosing whole rows), in any dtype.
public struct WhereOperator: Operator {
    public static let names = ["where"]
    public let opName: String

    public init(opName: String, attributes: inout AttributeReader) throws(OperatorError) {
        self.opName = opName
    }

    public func inputNames(inputCount: Int) -> [String] { ["condition", "x", "y"] }

    public func inferShapes(_ inputs: [Shape]) throws(OperatorError) -> [Shape] {
        try requireInputCount(inputs, 3)
        let (condition, x, y) = (inputs[0], inputs[1], inputs[2])
        guard x == y else { throw .invalidInputs("\(opName) needs x and y of one shape, got \(x) and \(y)") }
        guard condition == x || (condition.rank == 1 && x.rank >= 1 && condition[0] == x[0]) else {
            throw .invalidInputs("\(opName) needs condition of x's shape \(x) or of shape (\(x.rank >= 1 ? x[0] : 0),), got \(condition)")
        }
        return [x]
    }

    public func inferTypes(_ inputs: [DType]) throws(OperatorError) -> [DType] {
        try commonType(inputs, names: ["condition", "x", "y"], exempt: [0])
    }

    public func execute(inputs: [Tensor], outputs: [Tensor]) {
        let (condition, x, y, output) = (inputs[0], inputs[1], inputs[2], outputs[0])
        let count = output.elementCount
        let rows = condition.elementCount
        let rowLength = rows == 0 ? 0 : (condition.shape == x.shape ? 1 : count / rows)
        let size = output.dtype.size
        for row in 0..<rows {
            let source = Reference.loadReal(condition.rawPointer, condition.dtype, row) != 0 ? x : y
            (output.rawPointer + row * rowLength * size).copyMemory(from: source.rawPointer + row * rowLength * size,
                                                                     byteCount: rowLength * size)
        }
    }
}
