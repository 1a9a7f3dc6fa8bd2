import FlexTensor

/// Deterministic tensors of every dtype and exact element access, for tests of storage and formats.
public enum TestTensors {
    /// Shapes covering ranks 0 through 4 and zero-size arrays.
    public static let shapes: [[Int]] = [[], [1], [5], [2, 3], [2, 1, 3], [1, 2, 2, 3], [0], [3, 0], [2, 0, 4]]

    /// A tensor of `dtype` and `dims` whose elements are distinct, exactly representable values of both
    /// signs (for uint8, 0…250), varying with `seed`.
    public static func make(_ dtype: DType, _ dims: [Int], seed: Int = 0) -> Tensor {
        let tensor = Tensor(zeros: Shape(dims), dtype: dtype)
        for index in 0..<tensor.elementCount {
            let raw = (index * 7 + seed * 13) % 251
            let value: Float = dtype == .uint8 ? Float(raw) : Float(raw - 125) * (dtype.isFloatingPoint ? 0.25 : 1)
            tensor.setElement(at: index, value)
        }
        return tensor
    }

    /// The raw bytes of a tensor's elements.
    public static func bytes(_ tensor: Tensor) -> [UInt8] {
        Array(UnsafeRawBufferPointer(start: tensor.rawPointer, count: tensor.byteCount))
    }

    /// The elements reinterpreted as `T`, whose size must be the dtype's.
    public static func values<T>(_ tensor: Tensor, as: T.Type) -> [T] {
        precondition(MemoryLayout<T>.stride == tensor.dtype.size, "\(T.self) is not \(tensor.dtype)")
        return (0..<tensor.elementCount).map { tensor.rawPointer.load(fromByteOffset: $0 * MemoryLayout<T>.stride, as: T.self) }
    }

    /// The elements as Double, exactly for every dtype (int64 beyond 2^53 rounds).
    public static func doubles(_ tensor: Tensor) -> [Double] {
        switch tensor.dtype {
        case .float32: values(tensor, as: Float.self).map(Double.init)
        case .float64: values(tensor, as: Double.self)
        case .float16: values(tensor, as: UInt16.self).map { Double(HalfFloat.toFloat($0)) }
        case .uint8: values(tensor, as: UInt8.self).map(Double.init)
        case .int8: values(tensor, as: Int8.self).map(Double.init)
        case .int32: values(tensor, as: Int32.self).map(Double.init)
        case .int64: values(tensor, as: Int64.self).map(Double.init)
        }
    }

    /// Same shape, dtype and bytes.
    public static func identical(_ a: Tensor, _ b: Tensor) -> Bool {
        a.shape == b.shape && a.dtype == b.dtype && bytes(a) == bytes(b)
    }
}
