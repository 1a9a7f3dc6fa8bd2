/// A bounds-checked little-endian cursor over bytes (MXNet writes `.params` in host order, which is
/// little-endian on every platform FlexEG supports). Reads return nil instead of running past the end.
struct ByteReader {
    let bytes: UnsafeRawBufferPointer
    /// Bytes consumed so far: the offset of the next read from the start of the file.
    private(set) var offset = 0

    init(_ bytes: UnsafeRawBufferPointer) { self.bytes = bytes }

    var remaining: Int { bytes.count - offset }

    mutating func read<T: FixedWidthInteger>(_: T.Type) -> T? {
        let size = MemoryLayout<T>.size
        guard remaining >= size else { return nil }
        let value = bytes.loadUnaligned(fromByteOffset: offset, as: T.self)
        offset += size
        return T(littleEndian: value)
    }

    /// The next `count` bytes, or nil when fewer remain.
    mutating func readBytes(_ count: Int) -> UnsafeRawBufferPointer? {
        guard count >= 0, remaining >= count else { return nil }
        let slice = UnsafeRawBufferPointer(rebasing: bytes[offset..<(offset + count)])
        offset += count
        return slice
    }
}

extension Collection<UInt8> {
    /// Runs `body` over these bytes laid out contiguously (without a copy for `Data` and arrays).
    func withContiguousBytes<R>(_ body: (UnsafeRawBufferPointer) -> R) -> R {
        if let result = withContiguousStorageIfAvailable({ body(UnsafeRawBufferPointer($0)) }) { return result }
        return Array(self).withUnsafeBytes(body)
    }
}
