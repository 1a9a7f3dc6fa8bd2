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
