import FlexArtifact
import FlexCompiler
import FlexExecution
import FlexGraph
import FlexKernels
import FlexRuntime
import FlexTensor
import MXNetFormat

/// MXNet's `NDArray` as the facade shows it: a tensor with MXNet's conveniences.
///
/// Value semantics for the handle, reference semantics for the elements (like `Tensor`): copies of
/// an `NDArray` share memory; use `copy()` for an independent one.
public struct NDArray: Sendable, CustomStringConvertible {
    public let tensor: Tensor

    public init(_ tensor: Tensor) { self.tensor = tensor }

    /// A float32 array of `shape` holding `values` (row-major; `values.count` must match).
    public init(_ values: [Float], shape: [Int]) throws(FacadeError) {
        let shape = Shape(shape)
        guard values.count == shape.elementCount else {
            throw .invalidArgument("\(values.count) values cannot fill shape \(shape) (\(shape.elementCount) elements)")
        }
        tensor = Tensor(shape: shape, floats: values)
    }

    /// Reads a NumPy `.npy` file.
    public init(npyFile path: String) throws {
        tensor = try Tensor(npyFile: path)
    }

    public var shape: [Int] { tensor.shape.dims }
    public var dtype: DType { tensor.dtype }
    public var size: Int { tensor.elementCount }

    /// The elements as `[Float]` (MXNet's `asnumpy().ravel()`).
    public func asArray() -> [Float] { tensor.toFloatArray() }

    public func copy() -> NDArray { NDArray(tensor.copy()) }

    /// Writes a NumPy `.npy` file.
    public func save(npyFile path: String) throws { try tensor.writeNPY(to: path) }

    public var description: String {
        let values = asArray()
        let preview = values.prefix(6).map { String($0) }.joined(separator: ", ")
        return "NDArray\(tensor.shape) \(dtype) [\(preview)\(values.count > 6 ? ", …" : "")]"
    }
}
