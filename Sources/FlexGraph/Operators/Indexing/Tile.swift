import FlexKernels
import FlexTensor

/// MXNet `tile(data, reps)` (NumPy's): the shorter of `data.shape` and `reps` is padded with leading
/// 1s, and axis `i` of the output is `data.shape[i] * reps[i]` long, `data` repeated along it.
public struct TileOperator: DataMovementOperator {
    public static let names = ["tile"]
    public let opName: String
    public let reps: [Int]

    public init(opName: String, attributes: inout AttributeReader) throws(OperatorError) {
        self.opName = opName
        guard let reps = try attributes.intTuple("reps") else { throw .missingAttribute("reps") }
        guard reps.allSatisfy({ $0 >= 0 }) else {
            throw .invalidAttribute("reps", value: attributes.raw["reps"] ?? "", expected: "non-negative repetitions")
        }
        self.reps = reps
    }

    /// Input shape and repetitions padded to one rank.
    func aligned(_ shape: Shape) -> (dims: [Int], reps: [Int]) {
        let rank = max(shape.rank, reps.count)
        return (Array(repeating: 1, count: rank - shape.rank) + shape.dims, Array(repeating: 1, count: rank - reps.count) + reps)
    }

    public func inferShapes(_ inputs: [Shape]) throws(OperatorError) -> [Shape] {
        try requireInputCount(inputs, 1)
        let (dims, reps) = aligned(inputs[0])
        return [Shape(zip(dims, reps).map { $0 * $1 })]
    }

    public func execute(inputs: [Tensor], outputs: [Tensor]) {
        let data = inputs[0]
        let (dims, reps) = aligned(data.shape)
        let strides = Reference.contiguousStrides(dims)
        // The output viewed as (reps0, dims0, reps1, dims1, …): the repetition axes have source stride 0.
        var shape: [Int] = []
        var sourceStrides: [Int] = []
        for axis in dims.indices {
            shape += [reps[axis], dims[axis]]
            sourceStrides += [0, strides[axis]]
        }
        Reference.copyStrided(elementSize: data.dtype.size, shape: shape, source: data.rawPointer, sourceStrides: sourceStrides,
                              destination: outputs[0].rawPointer, destinationStrides: Reference.contiguousStrides(shape))
    }
}
