import FlexKernels
import FlexTensor

/// A weight as a compiled artifact stores it: in MXNet's layout, or already in the layout its fast
/// kernel streams, so that loading a compiled model repacks nothing.
public enum ArtifactWeight: @unchecked Sendable {
    /// Row-major, in MXNet's layout and the value's shape and dtype.
    case dense(Tensor)
    /// A `FullyConnected` weight `(num_hidden, features)`, or a 1x1 convolution's `(O, C, 1, 1)`, as the
    /// GEMM right operand `weightᵀ`, in 16-column panels (`rows == features` or C, `columns == num_hidden`
    /// or O, role `.right`).
    case packed(Fast.PackedMatrix)
    /// A `Convolution` weight `(O, C/g, kh, kw)` prepared for `algorithm` (`.gemm`: one `.left`
    /// matrix `[O/g, C/g·kh·kw]` per group; `.winograd`: 36 `.left` matrices `[O, C]` of transformed
    /// filters; `.transposedGEMM`: one `.right` matrix `[C·kh·kw, O]`), restored with
    /// `Fast.PreparedConvolution(geometry:algorithm:packedWeights:)`.
    case convolution(algorithm: Fast.PreparedConvolution.Algorithm, matrices: [Fast.PackedMatrix])

    /// Bytes stored.
    public var byteCount: Int {
        switch self {
        case .dense(let tensor): tensor.byteCount
        case .packed(let matrix): matrix.packedCount * MemoryLayout<Float>.size
        case .convolution(_, let matrices): matrices.reduce(0) { $0 + $1.packedCount * MemoryLayout<Float>.size }
        }
    }

    /// The bytes kernels read, where they read them: the tensor's elements, or every packed matrix's
    /// panels. Every kernel restored from this weight reads these bytes in place.
    public var storedRegions: [UnsafeRawBufferPointer] {
        switch self {
        case .dense(let tensor): [UnsafeRawBufferPointer(start: tensor.rawPointer, count: tensor.byteCount)]
        case .packed(let matrix): [matrix.packedBytes]
        case .convolution(_, let matrices): matrices.map(\.packedBytes)
        }
    }

    /// The weight in MXNet's layout (`shape` is the value's), unpacking a packed dense-layer weight;
    /// nil for prepared convolution weights (a Winograd transform cannot be undone exactly).
    public func denseTensor(shape: Shape) -> Tensor? {
        switch self {
        case .dense(let tensor):
            return tensor
        case .packed(let matrix):
            guard Self.isMatrix(shape, rows: matrix.columns, columns: matrix.rows) else { return nil }
            let result = Tensor(zeros: shape)
            let values = result.floats
            for row in 0..<shape[0] {
                for column in 0..<shape[1] { values[row * shape[1] + column] = matrix[column, row] }
            }
            return result
        case .convolution:
            return nil
        }
    }

    /// Whether `shape` is a `rows` x `columns` matrix, possibly with trailing axes of size 1 (a 1x1
    /// convolution weight).
    static func isMatrix(_ shape: Shape, rows: Int, columns: Int) -> Bool {
        shape.rank >= 2 && shape[0] == rows && shape[1] == columns && shape.dims.dropFirst(2).allSatisfy { $0 == 1 }
    }
}
