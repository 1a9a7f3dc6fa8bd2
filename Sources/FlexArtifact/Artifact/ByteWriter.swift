import FlexTensor

/// Appends little-endian fields to a growing byte array.
struct ByteWriter {
    private(set) var bytes: [UInt8] = []

    init(reservingCapacity capacity: Int = 0) { bytes.reserveCapacity(capacity) }

    mutating func u8(_ value: UInt8) { bytes.append(value) }

    mutating func u32(_ value: UInt32) {
        withUnsafeBytes(of: value.littleEndian) { bytes.append(contentsOf: $0) }
    }

    mutating func u64(_ value: UInt64) {
        withUnsafeBytes(of: value.littleEndian) { bytes.append(contentsOf: $0) }
    }

    mutating func int(_ value: Int) { u64(UInt64(bitPattern: Int64(value))) }

    mutating func count(_ value: Int) { u32(UInt32(value)) }

    mutating func f32(_ value: Float) { u32(value.bitPattern) }

    mutating func string(_ value: String) {
        let utf8 = Array(value.utf8)
        count(utf8.count)
        bytes.append(contentsOf: utf8)
    }

    mutating func ids(_ values: [Int]) {
        count(values.count)
        for value in values { count(value) }
    }

    mutating func raw(_ buffer: UnsafeRawBufferPointer) { bytes.append(contentsOf: buffer) }

    /// Overwrites 8 bytes at `offset`.
    mutating func patchU64(_ value: UInt64, at offset: Int) {
        withUnsafeBytes(of: value.littleEndian) { source in
            for index in 0..<8 { bytes[offset + index] = source[index] }
        }
    }

    mutating func patchU32(_ value: UInt32, at offset: Int) {
        withUnsafeBytes(of: value.littleEndian) { source in
            for index in 0..<4 { bytes[offset + index] = source[index] }
        }
    }
}
