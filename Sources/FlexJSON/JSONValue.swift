/// A JSON document as MXNet's symbol files and the server's protocol need it, keeping what Foundation's
/// `JSONSerialization` loses: numbers as their source text (so int64 and uint64 values and `1e-05`
/// survive exactly), booleans distinct from numbers, and object members in file order (duplicates
/// kept; lookups take the last, as most JSON readers do).
///
/// Thread ownership: an immutable value.
public indirect enum JSONValue: Sendable, Equatable {
    case string(String)
    /// The number exactly as written (`3`, `-0.5`, `1e-05`).
    case number(String)
    case bool(Bool)
    case null
    case array([JSONValue])
    case object([(key: String, value: JSONValue)])

    public static func == (lhs: JSONValue, rhs: JSONValue) -> Bool {
        switch (lhs, rhs) {
        case (.null, .null): true
        case (.bool(let a), .bool(let b)): a == b
        case (.number(let a), .number(let b)): a == b
        case (.string(let a), .string(let b)): a == b
        case (.array(let a), .array(let b)): a == b
        case (.object(let a), .object(let b)): a.map(\.key) == b.map(\.key) && a.map(\.value) == b.map(\.value)
        default: false
        }
    }

    /// A short name for error messages: "a string", "an array", ...
    public var kindDescription: String {
        switch self {
        case .string: "a string"
        case .number: "a number"
        case .bool: "a boolean"
        case .null: "null"
        case .array: "an array"
        case .object: "an object"
        }
    }

    /// An object's member `key` (the last one if repeated); nil for a missing key or a non-object.
    public subscript(_ key: String) -> JSONValue? {
        guard case .object(let members) = self else { return nil }
        return members.last(where: { $0.key == key })?.value
    }

    public var string: String? { if case .string(let s) = self { s } else { nil } }
    public var bool: Bool? { if case .bool(let b) = self { b } else { nil } }
    public var array: [JSONValue]? { if case .array(let a) = self { a } else { nil } }
    public var isObject: Bool { if case .object = self { true } else { false } }
    /// A whole number that fits `Int` (`3`, not `3.5`, `3e0` or `"3"`).
    public var int: Int? { if case .number(let text) = self { Int(text) } else { nil } }

    public static func int(_ value: Int) -> JSONValue { .number(String(value)) }
    public static func uint(_ value: UInt64) -> JSONValue { .number(String(value)) }
}
