import FlexTensor
import Foundation

/// Deterministic tensors and element access shared by the MXNetFormat tests.
enum TestTensors {
    /// The MXNet-written files in `Resources/` (see `Resources/make_resources.py`).
    static func resource(_ name: String, filePath: String = #filePath) -> String {
        URL(fileURLWithPath: filePath).deletingLastPathComponent().appendingPathComponent("Resources/" + name).path
    }

    /// A tensor of `dtype` and `shape` whose elements are distinct, exactly representable values with
    /// both signs (for unsigned types, 0…255 wrapping).
    static func make(_ dtype: DType, _ dims: [Int], seed: Int = 0) -> Tensor {
        let tensor = Tensor(zeros: Shape(dims), dtype: dtype)
        for index in 0..<tensor.elementCount {
            let raw = (index * 7 + seed * 13) % 251
            let value: Float = dtype == .uint8 ? Float(raw) : Float(raw - 125) * (dtype.isFloatingPoint ? 0.25 : 1)
            tensor.setElement(at: index, value)
        }
        return tensor
    }

    /// The raw bytes of a tensor's elements.
    static func bytes(_ tensor: Tensor) -> [UInt8] {
        Array(UnsafeRawBufferPointer(start: tensor.rawPointer, count: tensor.byteCount))
    }

    /// The elements reinterpreted as `T` (which must match the dtype's size).
    static func values<T>(_ tensor: Tensor, as: T.Type) -> [T] {
        (0..<tensor.elementCount).map { tensor.rawPointer.load(fromByteOffset: $0 * MemoryLayout<T>.stride, as: T.self) }
    }

    /// Same shape, dtype and bytes.
    static func identical(_ a: Tensor, _ b: Tensor) -> Bool {
        a.shape == b.shape && a.dtype == b.dtype && bytes(a) == bytes(b)
    }

    /// Every dtype at ranks 0 through 4, plus zero-size shapes.
    static let shapes: [[Int]] = [[], [1], [5], [2, 3], [2, 1, 3], [1, 2, 2, 3], [0], [3, 0], [2, 0, 4]]
}

/// Little-endian byte building for hand-made `.params` files.
struct ParamsBytes {
    var bytes: [UInt8] = []

    mutating func u32(_ value: UInt32) { bytes += withUnsafeBytes(of: value.littleEndian, Array.init) }
    mutating func i32(_ value: Int32) { bytes += withUnsafeBytes(of: value.littleEndian, Array.init) }
    mutating func u64(_ value: UInt64) { bytes += withUnsafeBytes(of: value.littleEndian, Array.init) }
    mutating func i64(_ value: Int64) { bytes += withUnsafeBytes(of: value.littleEndian, Array.init) }
    mutating func f32(_ value: Float) { u32(value.bitPattern) }

    /// The list header: magic 0x112, reserved 0, array count.
    mutating func header(count: UInt64) {
        u64(0x112)
        u64(0)
        u64(count)
    }

    /// The name section.
    mutating func names(_ names: [String]) {
        u64(UInt64(names.count))
        for name in names {
            u64(UInt64(name.utf8.count))
            bytes += Array(name.utf8)
        }
    }

    /// A dense V2 float32 record.
    mutating func v2Float(_ dims: [Int64], _ values: [Float], magic: UInt32 = 0xF993_FAC9, stype: Int32 = 0, flag: Int32 = 0) {
        u32(magic)
        i32(stype)
        i32(Int32(dims.count))
        dims.forEach { i64($0) }
        i32(1)
        i32(0)
        i32(flag)
        values.forEach { f32($0) }
    }
}
