import FlexKernels
import FlexTensor

/// MXNet `dot`: a matrix product of N-D arrays. `lhs` is read as the matrix
/// `(prod(lhs.shape[..<-1]), lhs.shape[-1])`, or with `transpose_a` as the transpose of
/// `(lhs.shape[0], prod(lhs.shape[1...]))`; `rhs` as `(rhs.shape[0], prod(rhs.shape[1...]))`, or with
/// `transpose_b` as the transpose of `(prod(rhs.shape[..<-1]), rhs.shape[-1])`. So without transposes
/// the last axis of `lhs` contracts with the first of `rhs`, and the output shape is the uncontracted
/// axes of `lhs` followed by those of `rhs`. Two vectors give their inner product with shape `(1,)`
/// (vectors cannot be transposed). `forward_stype` only selects sparse storage in MXNet and is ignored.
public struct DotOperator: Operator {
    public static let names = ["dot"]
    public let opName: String
    public let transposeA: Bool
    public let transposeB: Bool

    public init(opName: String, attributes: inout AttributeReader) throws(OperatorError) {
        self.opName = opName
        transposeA = try attributes.bool("transpose_a", default: false)
        transposeB = try attributes.bool("transpose_b", default: false)
        _ = try attributes.choice("forward_stype", ["None", "csr", "default", "row_sparse"], default: "None")
    }

    public func inputNames(inputCount: Int) -> [String] { ["lhs", "rhs"] }

    /// Rows, contracted length and columns of the product, and the output shape.
    func geometry(_ lhs: Shape, _ rhs: Shape) throws(OperatorError) -> (m: Int, k: Int, n: Int, output: Shape) {
        guard lhs.rank > 0, rhs.rank > 0 else {
            throw .invalidInputs("\(opName) does not take scalars, got \(lhs) and \(rhs)")
        }
        if lhs.rank == 1 && rhs.rank == 1 {
            guard !transposeA && !transposeB else { throw .invalidInputs("\(opName) cannot transpose vectors (\(lhs), \(rhs))") }
            guard lhs[0] == rhs[0] else { throw mismatch(lhs, rhs) }
            return (1, lhs[0], 1, Shape([1]))
        }
        let lhsKept = lhs.rank == 1 ? [] : (transposeA ? Array(lhs.dims[1...]) : Array(lhs.dims[..<(lhs.rank - 1)]))
        let lhsContracted = lhs.rank == 1 ? lhs[0] : (transposeA ? lhs[0] : lhs[lhs.rank - 1])
        let rhsKept = rhs.rank == 1 ? [] : (transposeB ? Array(rhs.dims[..<(rhs.rank - 1)]) : Array(rhs.dims[1...]))
        let rhsContracted = rhs.rank == 1 ? rhs[0] : (transposeB ? rhs[rhs.rank - 1] : rhs[0])
        guard lhsContracted == rhsContracted else { throw mismatch(lhs, rhs) }
        return (lhsKept.reduce(1, *), lhsContracted, rhsKept.reduce(1, *), Shape(lhsKept + rhsKept))
    }

    private func mismatch(_ lhs: Shape, _ rhs: Shape) -> OperatorError {
        .invalidInputs("\(opName) shape mismatch: \(lhs) × \(rhs) with transpose_a=\(transposeA), transpose_b=\(transposeB) "
                       + "(the contracted sizes differ)")
    }

    public func inferShapes(_ inputs: [Shape]) throws(OperatorError) -> [Shape] {
        try requireInputCount(inputs, 2)
        return [try geometry(inputs[0], inputs[1]).output]
    }

    public func cost(inputs: [Shape], outputs: [Shape]) -> OperatorCost {
        let elements = inputs[0].elementCount + inputs[1].elementCount + outputs[0].elementCount
        guard let g = try? geometry(inputs[0], inputs[1]) else { return OperatorCost(flops: 0, bytes: Double(elements * 4)) }
        return OperatorCost(flops: Double(2 * g.m * g.n * g.k), bytes: Double(elements * 4))
    }

    public func execute(inputs: [Tensor], outputs: [Tensor]) {
        guard let g = try? geometry(inputs[0].shape, inputs[1].shape) else { return }
        // A vector operand is a single row or column: its transpose flag changes nothing.
        Reference.matmul(a: inputs[0].floats, b: inputs[1].floats, c: outputs[0].floats, m: g.m, n: g.n, k: g.k,
                         transposeA: transposeA && inputs[0].shape.rank > 1, transposeB: transposeB && inputs[1].shape.rank > 1)
    }
}
