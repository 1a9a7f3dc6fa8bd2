import FlexTensor

/// The Open Inference Protocol's tensor datatypes (`FP32`, ...), with Triton's config names
/// (`TYPE_FP32`, ...).
public enum TensorDataType: String, Sendable, CaseIterable, Codable {
    case bool = "BOOL", uint8 = "UINT8", uint16 = "UINT16", uint32 = "UINT32", uint64 = "UINT64"
    case int8 = "INT8", int16 = "INT16", int32 = "INT32", int64 = "INT64"
    case fp16 = "FP16", fp32 = "FP32", fp64 = "FP64", bf16 = "BF16", bytes = "BYTES"

    /// Bytes per element; nil for `BYTES` (each element is a 4-byte length and its bytes).
    public var size: Int? {
        switch self {
        case .bool, .uint8, .int8: 1
        case .uint16, .int16, .fp16, .bf16: 2
        case .uint32, .int32, .fp32: 4
        case .uint64, .int64, .fp64: 8
        case .bytes: nil
        }
    }

    /// Triton's model-config name: `TYPE_FP32`; `BYTES` is `TYPE_STRING`.
    public var configName: String { self == .bytes ? "TYPE_STRING" : "TYPE_" + rawValue }

    /// From a protocol name (`FP32`) or a config name (`TYPE_FP32`, `TYPE_STRING`).
    public init?(name: String) {
        if name == "TYPE_STRING" { self = .bytes; return }
        let bare = name.hasPrefix("TYPE_") ? String(name.dropFirst(5)) : name
        guard let type = TensorDataType(rawValue: bare) else { return nil }
        self = type
    }

    static var validNames: String { allCases.map(\.rawValue).joined(separator: ", ") }
}

/// A tensor's name, datatype and shape as the protocol describes it (no data).
public struct TensorDescription: Sendable, Equatable {
    public var name: String
    public var datatype: TensorDataType
    public var shape: [Int]

    public init(name: String, datatype: TensorDataType, shape: [Int]) {
        self.name = name
        self.datatype = datatype
        self.shape = shape
    }

    public var elementCount: Int { shape.reduce(1, *) }

    /// Bytes of its elements in the binary tensor layout (fixed-size datatypes; the model inputs
    /// and outputs FlexEG serves are never `BYTES`).
    public var byteCount: Int { elementCount * (datatype.size ?? 1) }
}

/// A tensor on the wire: its description and its elements as little-endian, row-major bytes with no
/// padding (the binary tensor extension's layout). The server's own currency between the protocol
/// codecs and `ModelHost`; an immutable value.
///
/// `bytes` is shared, not copied: a decoded input views the request body it arrived in (a 224x224
/// image is 602 KB); its indices start at `bytes.startIndex`, not necessarily 0.
public struct TensorData: Sendable, Equatable {
    public var description: TensorDescription
    public var bytes: SharedBytes

    public init(_ description: TensorDescription, bytes: SharedBytes) {
        self.description = description
        self.bytes = bytes
    }

    /// Copies `bytes`.
    public init(_ description: TensorDescription, bytes: [UInt8]) {
        self.init(description, bytes: SharedBytes(bytes))
    }

    public var name: String { description.name }
    public var datatype: TensorDataType { description.datatype }
    public var shape: [Int] { description.shape }
}

/// Immutable bytes in a 64-byte-aligned `TensorBuffer`, shared instead of copied: slicing makes a
/// view, and an input tensor can view the request body it came in (`ModelHost` hands that view to
/// the cores), so a 602 KB image is copied once, from the network's buffers into the body.
///
/// Indices are byte offsets into the buffer, so a slice's `startIndex` need not be 0 (as with
/// `ArraySlice`). Nothing writes the bytes after they are made; share freely between threads.
public struct SharedBytes: RandomAccessCollection, Sendable, Equatable, ExpressibleByArrayLiteral, CustomStringConvertible {
    /// The storage this views; bytes `startIndex ..< endIndex` belong to it.
    let storage: TensorBuffer
    public let startIndex: Int
    public let endIndex: Int

    /// Views bytes `range` of `storage`, which the caller has written and no one writes again.
    init(viewing storage: TensorBuffer, _ range: Range<Int>) {
        precondition(range.lowerBound >= 0 && range.upperBound <= storage.byteCount, "view outside the buffer")
        self.storage = storage
        startIndex = range.lowerBound
        endIndex = range.upperBound
    }

    /// A copy of `count` bytes at `source`, in a buffer of its own.
    public init(copying source: UnsafeRawPointer, count: Int) {
        self.init(viewing: TensorBuffer(copying: source, byteCount: count), 0..<count)
    }

    /// A copy of `bytes`, in a buffer of its own.
    public init(_ bytes: some Collection<UInt8>) {
        let storage = TensorBuffer(uninitializedByteCount: bytes.count)
        let destination = UnsafeMutableRawBufferPointer(start: storage.baseAddress, count: bytes.count)
        _ = destination.initializeMemory(as: UInt8.self, fromContentsOf: bytes)
        self.init(viewing: storage, 0..<bytes.count)
    }

    public init(arrayLiteral elements: UInt8...) {
        self.init(elements)
    }

    public subscript(position: Int) -> UInt8 {
        precondition(position >= startIndex && position < endIndex, "index out of range")
        return storage.baseAddress.load(fromByteOffset: position, as: UInt8.self)
    }

    public subscript(bounds: Range<Int>) -> SharedBytes {
        precondition(bounds.lowerBound >= startIndex && bounds.upperBound <= endIndex, "range out of bounds")
        return SharedBytes(viewing: storage, bounds)
    }

    /// The bytes as a raw buffer, valid only inside `body`.
    public func withUnsafeBytes<Result, Failure: Error>(_ body: (UnsafeRawBufferPointer) throws(Failure) -> Result) throws(Failure) -> Result {
        defer { withExtendedLifetime(storage) {} }
        return try body(UnsafeRawBufferPointer(start: storage.baseAddress + startIndex, count: count))
    }

    /// Lets `Array.append(contentsOf:)`, `Data(_:)` and the like copy with one `memcpy`.
    public func withContiguousStorageIfAvailable<Result>(_ body: (UnsafeBufferPointer<UInt8>) throws -> Result) rethrows -> Result? {
        try withUnsafeBytes { raw in try body(raw.bindMemory(to: UInt8.self)) }
    }

    public static func == (lhs: SharedBytes, rhs: SharedBytes) -> Bool {
        lhs.count == rhs.count && lhs.withUnsafeBytes { a in rhs.withUnsafeBytes { b in a.elementsEqual(b) } }
    }

    public var description: String { "\(count) bytes" }
}
