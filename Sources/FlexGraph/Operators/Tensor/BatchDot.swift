import FlexKernels
import FlexTensor

/// MXNet `batch_dot`: matrix products over the last two axes of N-D arrays (N ≥ 3, equal ranks, equal
/// leading "batch" axes). `lhs` `[..., m, k]` (or `[..., k, m]` with `transpose_a`) times `rhs`
/// `[..., k, n]` (or `[..., n, k]` with `transpose_b`) gives `[..., m, n]`. `forward_stype` is ignored.
public struct BatchDotOperator: Operator {
    public static let names = ["batch_dot"]
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

    func geometry(_ lhs: Shape, _ rhs: Shape) throws(OperatorError) -> (batch: Int, m: Int, k: Int, n: Int, output: Shape) {
        guard lhs.rank >= 3, lhs.rank == rhs.rank else {
            throw .invalidInputs("\(opName) needs two arrays of one rank ≥ 3, got \(lhs) and \(rhs)")
        }
        let rank = lhs.rank
        let leading = Array(lhs.dims[..<(rank - 2)])
        guard leading == Array(rhs.dims[..<(rank - 2)]) else {
            throw .invalidInputs("\(opName): the leading batch axes differ: \(lhs) × \(rhs)")
        }
        let m = transposeA ? lhs[rank - 1] : lhs[rank - 2]
        let k = transposeA ? lhs[rank - 2] : lhs[rank - 1]
        let rhsK = transposeB ? rhs[rank - 1] : rhs[rank - 2]
        let n = transposeB ? rhs[rank - 2] : rhs[rank - 1]
        guard k == rhsK else {
            throw .invalidInputs("\(opName) shape mismatch: \(lhs) × \(rhs) with transpose_a=\(transposeA), "
                                 + "transpose_b=\(transposeB) contracts \(k) with \(rhsK)")
        }
        return (leading.reduce(1, *), m, k, n, Shape(leading + [m, n]))
    }

    public func inferShapes(_ inputs: [Shape]) throws(OperatorError) -> [Shape] {
        try requireInputCount(inputs, 2)
        return [try geometry(inputs[0], inputs[1]).output]
    }

    public func cost(inputs: [Shape], outputs: [Shape]) -> OperatorCost {
        let elements = inputs[0].elementCount + inputs[1].elementCount + outputs[0].elementCount
        guard let g = try? geometry(inputs[0], inputs[1]) else { return OperatorCost(flops: 0, bytes: Double(elements * 4)) }
        return OperatorCost(flops: Double(2 * g.batch * g.m * g.n * g.k), bytes: Double(elements * 4))
    }

    public func execute(inputs: [Tensor], outputs: [Tensor]) {
        guard let g = try? geometry(inputs[0].shape, inputs[1].shape) else { return }
        Reference.batchMatmul(a: inputs[0].floats, b: inputs[1].floats, c: outputs[0].floats,
                              batch: g.batch, m: g.m, n: g.n, k: g.k, transposeA: transposeA, transposeB: transposeB)
    }
}
