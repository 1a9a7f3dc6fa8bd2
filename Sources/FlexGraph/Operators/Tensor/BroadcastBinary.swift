import FlexKernels
import FlexTensor

/// MXNet `broadcast_add` (`broadcast_plus`), `broadcast_sub` (`broadcast_minus`), `broadcast_mul`,
/// `broadcast_div`, `broadcast_mod`, `broadcast_maximum`, `broadcast_minimum`, `broadcast_power` and
/// the comparisons `broadcast_equal`, `broadcast_not_equal`, `broadcast_greater`,
/// `broadcast_greater_equal`, `broadcast_lesser`, `broadcast_lesser_equal` (1 or 0): pointwise
/// arithmetic with NumPy broadcasting. Shapes are aligned at their last axes (the shorter one is
/// padded with leading 1s); on each axis the sizes must be equal or one of them 1. Both inputs have
/// one dtype, computed in as MXNet does (`Reference.binary(_:dtype:…)`); the output has it too.
public struct BroadcastBinaryOperator: Operator {
    static let functions: [String: Reference.BinaryFunction] = [
        "broadcast_add": .add, "broadcast_plus": .add,
        "broadcast_sub": .subtract, "broadcast_minus": .subtract,
        "broadcast_mul": .multiply, "broadcast_div": .divide,
        "broadcast_maximum": .maximum, "broadcast_minimum": .minimum, "broadcast_power": .power,
        "broadcast_mod": .modulo,
        "broadcast_equal": .equal, "broadcast_not_equal": .notEqual,
        "broadcast_greater": .greater, "broadcast_greater_equal": .greaterEqual,
        "broadcast_lesser": .lesser, "broadcast_lesser_equal": .lesserEqual,
    ]
    public static let names = functions.keys.sorted()
    public let opName: String
    public let function: Reference.BinaryFunction

    public init(opName: String, attributes: inout AttributeReader) throws(OperatorError) {
        self.opName = opName
        function = Self.functions[opName]!
    }

    public func inputNames(inputCount: Int) -> [String] { ["lhs", "rhs"] }

    /// `shape` with leading 1s up to `rank`.
    static func padded(_ shape: Shape, to rank: Int) -> [Int] {
        Array(repeating: 1, count: rank - shape.rank) + shape.dims
    }

    public func inferShapes(_ inputs: [Shape]) throws(OperatorError) -> [Shape] {
        try requireInputCount(inputs, 2)
        let rank = max(inputs[0].rank, inputs[1].rank)
        let lhs = Self.padded(inputs[0], to: rank)
        let rhs = Self.padded(inputs[1], to: rank)
        var output = [Int](repeating: 1, count: rank)
        for axis in 0..<rank {
            guard lhs[axis] == rhs[axis] || lhs[axis] == 1 || rhs[axis] == 1 else {
                throw .invalidInputs("\(opName): shapes \(inputs[0]) and \(inputs[1]) cannot be broadcast together "
                                     + "(sizes \(lhs[axis]) and \(rhs[axis]) on axis \(axis) of the aligned shapes)")
            }
            output[axis] = lhs[axis] == 1 ? rhs[axis] : lhs[axis]
        }
        return [Shape(output)]
    }

    public func inferTypes(_ inputs: [DType]) throws(OperatorError) -> [DType] { try commonType(inputs, names: ["lhs", "rhs"]) }

    public func execute(inputs: [Tensor], outputs: [Tensor]) {
        let output = outputs[0]
        let rank = output.shape.rank
        Reference.broadcastBinary(function, dtype: output.dtype,
                                  lhs: inputs[0].rawPointer, lhsShape: Self.padded(inputs[0].shape, to: rank),
                                  rhs: inputs[1].rawPointer, rhsShape: Self.padded(inputs[1].shape, to: rank),
                                  output: output.rawPointer, outputShape: output.shape.dims)
    }
}
