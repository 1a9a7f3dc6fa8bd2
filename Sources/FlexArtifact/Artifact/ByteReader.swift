import FlexTensor

/// Reads little-endian fields from a byte buffer, checking every read against the end: a short
/// buffer is an `ArtifactError.truncated` naming the field, never an out-of-bounds access.
struct ByteReader {
    let bytes: UnsafeRawBufferPointer
    private(set) var offset: Int

    init(_ bytes: UnsafeRawBufferPointer, offset: Int = 0) {
        self.bytes = bytes
        self.offset = offset
    }

    var remaining: Int { bytes.count - offset }
    var isAtEnd: Bool { offset == bytes.count }

    private mutating func take(_ count: Int, _ field: String) throws(ArtifactError) -> Int {
        guard count >= 0, count <= remaining else {
            throw .truncated(offset: offset, needed: count, available: remaining, field: field)
        }
        let start = offset
        offset += count
        return start
    }

    mutating func u8(_ field: String) throws(ArtifactError) -> UInt8 {
        bytes[try take(1, field)]
    }

    mutating func u32(_ field: String) throws(ArtifactError) -> UInt32 {
        let start = try take(4, field)
        return UInt32(littleEndian: bytes.loadUnaligned(fromByteOffset: start, as: UInt32.self))
    }

    mutating func u64(_ field: String) throws(ArtifactError) -> UInt64 {
        let start = try take(8, field)
        return UInt64(littleEndian: bytes.loadUnaligned(fromByteOffset: start, as: UInt64.self))
    }

    mutating func int(_ field: String) throws(ArtifactError) -> Int {
        Int(Int64(bitPattern: try u64(field)))
    }

    mutating func f32(_ field: String) throws(ArtifactError) -> Float {
        Float(bitPattern: try u32(field))
    }

    /// A count of items that each take at least `minimumItemBytes`, checked against the bytes left
    /// so a corrupt count cannot trigger a huge allocation.
    mutating func count(_ field: String, minimumItemBytes: Int = 1) throws(ArtifactError) -> Int {
        let start = offset
        let value = Int(try u32(field))
        guard value.multipliedReportingOverflow(by: max(minimumItemBytes, 1)).partialValue <= remaining else {
            throw .malformed(offset: start, message: "\(field) is \(value), more than the \(remaining) bytes left can hold")
        }
        return value
    }

    mutating func string(_ field: String) throws(ArtifactError) -> String {
        let length = try count("length of \(field)")
        let start = try take(length, field)
        guard let text = String(validating: UnsafeRawBufferPointer(rebasing: bytes[start..<(start + length)]), as: UTF8.self) else {
            throw .malformed(offset: start, message: "\(field) is not valid UTF-8")
        }
        return text
    }

    /// A list of ids, each below `limit`.
    mutating func ids(_ field: String, below limit: Int) throws(ArtifactError) -> [Int] {
        let count = try count("count of \(field)", minimumItemBytes: 4)
        var result: [Int] = []
        result.reserveCapacity(count)
        for _ in 0..<count {
            let start = offset
            let value = Int(try u32(field))
            guard value < limit else { throw .malformed(offset: start, message: "\(field) refers to value \(value) of \(limit)") }
            result.append(value)
        }
        return result
    }

    /// `count` raw bytes.
    mutating func raw(_ count: Int, _ field: String) throws(ArtifactError) -> UnsafeRawBufferPointer {
        let start = try take(count, field)
        return UnsafeRawBufferPointer(rebasing: bytes[start..<(start + count)])
    }
}
