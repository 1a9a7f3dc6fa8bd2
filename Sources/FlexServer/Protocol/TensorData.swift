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
}

/// A tensor on the wire: its description and its elements as little-endian, row-major bytes with no
/// padding (the binary tensor extension's layout). The server's own currency between the protocol
/// codecs and `ModelHost`; an immutable value.
///
/// `bytes` is a slice so that a decoded input shares the request body's storage instead of copying
/// it (a 224x224 image is 602 KB); its indices start at `bytes.startIndex`, not necessarily 0.
public struct TensorData: Sendable, Equatable {
    public var description: TensorDescription
    public var bytes: ArraySlice<UInt8>

    public init(_ description: TensorDescription, bytes: ArraySlice<UInt8>) {
        self.description = description
        self.bytes = bytes
    }

    public init(_ description: TensorDescription, bytes: [UInt8]) {
        self.init(description, bytes: bytes[...])
    }

    public var name: String { description.name }
    public var datatype: TensorDataType { description.datatype }
    public var shape: [Int] { description.shape }
}
