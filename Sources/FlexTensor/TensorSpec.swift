/// The name, shape and dtype of a tensor a model takes or produces (no data).
public struct TensorSpec: Hashable, Sendable, Codable, CustomStringConvertible {
    public var name: String
    public var shape: Shape
    public var dtype: DType

    public init(name: String, shape: Shape, dtype: DType = .float32) {
        self.name = name
        self.shape = shape
        self.dtype = dtype
    }

    public var byteCount: Int { shape.elementCount * dtype.size }
    public var description: String { "\(name) \(shape) \(dtype)" }
}
