/// An n-dimensional array: a dense row-major view of `shape.elementCount` elements of `dtype`
/// starting `byteOffset` bytes into `buffer`.
///
/// `Tensor` has reference semantics for its elements (copies of the struct share the buffer), which is
/// what kernels and memory plans need: an executor binds tensors once and kernels write through them.
/// Use `copy()` for an independent tensor.
public struct Tensor: @unchecked Sendable {
    public let shape: Shape
    public let dtype: DType
    public let buffer: TensorBuffer
    public let byteOffset: Int

    /// A view of existing memory. `buffer` must hold `byteOffset + shape.elementCount * dtype.size` bytes.
    public init(shape: Shape, dtype: DType, buffer: TensorBuffer, byteOffset: Int = 0) {
        precondition(byteOffset + shape.elementCount * dtype.size <= buffer.byteCount, "tensor view exceeds buffer")
        self.shape = shape
        self.dtype = dtype
        self.buffer = buffer
        self.byteOffset = byteOffset
    }

    /// A new zero-filled tensor.
    public init(zeros shape: Shape, dtype: DType = .float32) {
        self.init(shape: shape, dtype: dtype, buffer: TensorBuffer(byteCount: shape.elementCount * dtype.size))
    }

    /// A new float32 tensor holding `values` (`values.count` must equal `shape.elementCount`).
    public init(shape: Shape, floats values: [Float]) {
        precondition(values.count == shape.elementCount, "\(values.count) values for shape \(shape)")
        self.init(zeros: shape, dtype: .float32)
        values.withUnsafeBufferPointer { source in
            floats.update(from: source.baseAddress!, count: values.count)
        }
    }

    /// A new tensor whose elements are copied from `bytes` (little-endian, as on every supported host).
    public init(shape: Shape, dtype: DType, bytes: UnsafeRawBufferPointer) {
        precondition(bytes.count == shape.elementCount * dtype.size, "byte count does not match shape and dtype")
        let buffer = if let source = bytes.baseAddress {
            TensorBuffer(copying: source, byteCount: bytes.count)
        } else {
            TensorBuffer(byteCount: 0)
        }
        self.init(shape: shape, dtype: dtype, buffer: buffer)
    }

    public var elementCount: Int { shape.elementCount }
    public var byteCount: Int { elementCount * dtype.size }

    /// Start of this tensor's elements.
    public var rawPointer: UnsafeMutableRawPointer { buffer.baseAddress + byteOffset }

    /// The elements as float32. Precondition: `dtype == .float32`.
    public var floats: UnsafeMutablePointer<Float> {
        precondition(dtype == .float32, "float32 access to a \(dtype) tensor")
        return rawPointer.assumingMemoryBound(to: Float.self)
    }

    /// Sets samples `first...` of the `batch` samples along the leading axis to zero bytes (a short
    /// batch's padding); nothing when `first >= batch`.
    public func zeroSamples(from first: Int, of batch: Int) {
        let start = Swift.min(byteCount, byteCount / Swift.max(batch, 1) * first)
        (rawPointer + start).initializeMemory(as: UInt8.self, repeating: 0, count: byteCount - start)
    }

    /// A view with a new shape of the same element count (no copy).
    public func reshaped(_ newShape: Shape) -> Tensor {
        precondition(newShape.elementCount == elementCount, "reshape \(shape) to \(newShape) changes the size")
        return Tensor(shape: newShape, dtype: dtype, buffer: buffer, byteOffset: byteOffset)
    }

    /// An independent copy with its own buffer.
    public func copy() -> Tensor {
        Tensor(shape: shape, dtype: dtype, buffer: TensorBuffer(copying: rawPointer, byteCount: byteCount))
    }

    /// The elements converted to `Float` (exact for every dtype but int64/float64 beyond 2^24).
    public func toFloatArray() -> [Float] {
        if dtype == .float32 { return Array(UnsafeBufferPointer(start: floats, count: elementCount)) }
        return (0..<elementCount).map { element(at: $0) }
    }

    /// This tensor's elements converted to `target`. Conversions to integers truncate toward zero
    /// (as MXNet's `Cast` does); to float16 they round to nearest even.
    public func converted(to target: DType) -> Tensor {
        if target == dtype { return copy() }
        let result = Tensor(zeros: shape, dtype: target)
        for index in 0..<elementCount { result.setElement(at: index, element(at: index)) }
        return result
    }

    /// Element `index` (row-major) as Float, whatever the dtype.
    public func element(at index: Int) -> Float {
        let base = rawPointer
        switch dtype {
        case .float32: return base.load(fromByteOffset: index * 4, as: Float.self)
        case .float64: return Float(base.load(fromByteOffset: index * 8, as: Double.self))
        case .float16: return HalfFloat.toFloat(base.load(fromByteOffset: index * 2, as: UInt16.self))
        case .uint8: return Float(base.load(fromByteOffset: index, as: UInt8.self))
        case .int8: return Float(base.load(fromByteOffset: index, as: Int8.self))
        case .int32: return Float(base.load(fromByteOffset: index * 4, as: Int32.self))
        case .int64: return Float(base.load(fromByteOffset: index * 8, as: Int64.self))
        }
    }

    /// Stores `value` at element `index`, converted to this tensor's dtype (integers truncate toward
    /// zero and saturate at the type's range).
    public func setElement(at index: Int, _ value: Float) {
        let base = rawPointer
        switch dtype {
        case .float32: base.storeBytes(of: value, toByteOffset: index * 4, as: Float.self)
        case .float64: base.storeBytes(of: Double(value), toByteOffset: index * 8, as: Double.self)
        case .float16: base.storeBytes(of: HalfFloat.fromFloat(value), toByteOffset: index * 2, as: UInt16.self)
        case .uint8: base.storeBytes(of: UInt8(clamping: Self.truncated(value)), toByteOffset: index, as: UInt8.self)
        case .int8: base.storeBytes(of: Int8(clamping: Self.truncated(value)), toByteOffset: index, as: Int8.self)
        case .int32: base.storeBytes(of: Int32(clamping: Self.truncated(value)), toByteOffset: index * 4, as: Int32.self)
        case .int64: base.storeBytes(of: Self.truncated(value), toByteOffset: index * 8, as: Int64.self)
        }
    }

    private static func truncated(_ value: Float) -> Int64 {
        guard value.isFinite else { return value.isNaN ? 0 : (value > 0 ? .max : .min) }
        if value >= 9.2e18 { return .max }
        if value <= -9.2e18 { return .min }
        return Int64(value.rounded(.towardZero))
    }
}
