import FlexGraph

/// Why a compiled artifact's bytes cannot be used. Offsets are byte offsets into the artifact.
public enum ArtifactError: Error, Equatable, Sendable, CustomStringConvertible {
    case badMagic
    case unsupportedVersion(found: UInt32, newest: UInt32)
    /// The data ends before a field that should be there.
    case truncated(offset: Int, needed: Int, available: Int, field: String)
    /// The header's payload length disagrees with the bytes present.
    case lengthMismatch(declared: UInt64, actual: Int)
    case checksumMismatch(stored: UInt64, computed: UInt64)
    /// Checksum-valid bytes that describe an impossible artifact (bad ids, sizes, enum tags).
    case malformed(offset: Int, message: String)
    /// A step's operator could not be re-created from its MXNet name and attributes.
    case invalidStep(step: String, GraphError)
    /// Well-formed fields that contradict each other (a step reading a value nothing produced, a
    /// shape the operator does not infer, a part that does not receive what it reads).
    case inconsistent(String)

    public var description: String {
        switch self {
        case .badMagic:
            "not a FlexEG compiled artifact (bad magic; expected it to start with \"FLEXNEFF\")"
        case .unsupportedVersion(let found, let newest):
            found > newest
                ? "artifact format version \(found) is newer than this FlexEG reads (\(newest)); recompile the model or upgrade FlexEG"
                : "artifact format version \(found) is older than this FlexEG reads (\(newest): artifacts now record their kernel plan); recompile the model with `flexeg compile`"
        case .truncated(let offset, let needed, let available, let field):
            "artifact is truncated: \(field) at byte \(offset) needs \(needed) bytes but only \(available) remain"
        case .lengthMismatch(let declared, let actual):
            "artifact payload should be \(declared) bytes but \(actual) are present (truncated or padded)"
        case .checksumMismatch(let stored, let computed):
            "artifact is corrupt: checksum \(Self.hex(computed)) does not match the stored \(Self.hex(stored))"
        case .malformed(let offset, let message):
            "artifact is malformed at byte \(offset): \(message)"
        case .invalidStep(let step, let error):
            "artifact step '\(step)': \(error)"
        case .inconsistent(let message):
            "artifact is inconsistent: \(message)"
        }
    }

    static func hex(_ value: UInt64) -> String {
        let digits = String(value, radix: 16)
        return "0x" + String(repeating: "0", count: max(0, 16 - digits.count)) + digits
    }
}
