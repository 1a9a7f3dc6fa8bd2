/// Element types FlexEG stores. Raw values are the names MXNet and NumPy users know.
///
/// Compute is float32; the other types exist so checkpoints, `.npy` files and `Cast` round-trip exactly.
public enum DType: String, Sendable, CaseIterable, Codable, CustomStringConvertible {
    case float32, float64, float16, uint8, int8, int32, int64

    /// Bytes per element.
    public var size: Int {
        switch self {
        case .float64, .int64: 8
        case .float32, .int32: 4
        case .float16: 2
        case .uint8, .int8: 1
        }
    }

    /// MXNet's `type_flag` (mshadow's `kFloat32` = 0 … `kInt64` = 6) as stored in `.params` records.
    public var mxnetTypeFlag: Int32 {
        switch self {
        case .float32: 0
        case .float64: 1
        case .float16: 2
        case .uint8: 3
        case .int32: 4
        case .int8: 5
        case .int64: 6
        }
    }

    public init?(mxnetTypeFlag flag: Int32) {
        guard let match = DType.allCases.first(where: { $0.mxnetTypeFlag == flag }) else { return nil }
        self = match
    }

    public var isFloatingPoint: Bool { self == .float32 || self == .float64 || self == .float16 }

    public var description: String { rawValue }
}
