import FlexKernels
import FlexTensor

/// MXNet `transpose`: output axis `i` is input axis `axes[i]`; without `axes` (or with `()`) the axes
/// are reversed. MXNet 1.9 rejects negative entries in `axes`, and so does FlexEG; `axes` must be a
/// permutation of the input's axes.
public struct TransposeOperator: DataMovementOperator {
    public static let names = ["transpose"]
    public let opName: String
    /// Empty means "reverse all axes".
    public let axes: [Int]

    public init(opName: String, attributes: inout AttributeReader) throws(OperatorError) {
        self.opName = opName
        axes = try attributes.intTuple("axes", default: [])
    }

    /// The permutation applied to an input of rank `rank`.
    func permutation(rank: Int) -> [Int] {
        axes.isEmpty ? Array((0..<rank).reversed()) : axes
    }

    public func inferShapes(_ inputs: [Shape]) throws(OperatorError) -> [Shape] {
        try requireInputCount(inputs, 1)
        let input = inputs[0]
        let order = permutation(rank: input.rank)
        guard order.sorted() == Array(0..<input.rank) else {
            throw .invalidInputs("\(opName): axes \(Shape(axes)) must be a permutation of 0..<\(input.rank) for input of shape \(input)")
        }
        return [Shape(order.map { input[$0] })]
    }

    public func execute(inputs: [Tensor], outputs: [Tensor]) {
        let input = inputs[0]
        Reference.transpose(elementSize: input.dtype.size, shape: input.shape.dims, axes: permutation(rank: input.shape.rank),
                            source: input.rawPointer, destination: outputs[0].rawPointer)
    }
}
