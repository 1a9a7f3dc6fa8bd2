import FlexKernels
import FlexTensor

/// MXNet `SwapAxis` (alias `swapaxes`): axes `dim1` and `dim2` (default 0 and 0, negatives allowed)
/// exchanged.
public struct SwapAxisOperator: DataMovementOperator {
    public static let names = ["SwapAxis", "swapaxes"]
    public let opName: String
    public let dim1: Int
    public let dim2: Int

    public init(opName: String, attributes: inout AttributeReader) throws(OperatorError) {
        self.opName = opName
        dim1 = try attributes.int("dim1", default: 0)
        dim2 = try attributes.int("dim2", default: 0)
    }

    func permutation(rank: Int) -> [Int] {
        var axes = Array(0..<rank)
        axes.swapAt(dim1 < 0 ? dim1 + rank : dim1, dim2 < 0 ? dim2 + rank : dim2)
        return axes
    }

    public func inferShapes(_ inputs: [Shape]) throws(OperatorError) -> [Shape] {
        try requireInputCount(inputs, 1)
        _ = try inputs[0].normalizedAxis(dim1, attribute: "dim1", op: opName)
        _ = try inputs[0].normalizedAxis(dim2, attribute: "dim2", op: opName)
        return [Shape(permutation(rank: inputs[0].rank).map { inputs[0][$0] })]
    }

    public func execute(inputs: [Tensor], outputs: [Tensor]) {
        let data = inputs[0]
        Reference.transpose(elementSize: data.dtype.size, shape: data.shape.dims, axes: permutation(rank: data.shape.rank),
                            source: data.rawPointer, destination: outputs[0].rawPointer)
    }
}
