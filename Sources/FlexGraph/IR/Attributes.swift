import FlexTensor

/// Reads an MXNet node's string attributes (`"kernel": "(3, 3)"`, `"no_bias": "True"`) into typed
/// values, applying MXNet's defaults, and remembers which keys an operator consumed so that
/// `OperatorRegistry` can reject attributes MXNet itself would reject ("Cannot find argument").
///
/// Keys of the form `__name__` (MXNet's hidden attributes such as `__shape__`, `__lr_mult__`) are
/// never checked. Not thread-safe: one reader per node, used during parsing only.
public struct AttributeReader {
    public let raw: [String: String]
    public private(set) var consumed: Set<String> = []

    public init(_ raw: [String: String]) { self.raw = raw }

    /// Keys the operator did not read, hidden attributes excluded, sorted.
    public var unconsumedKeys: [String] {
        raw.keys.filter { !consumed.contains($0) && !($0.hasPrefix("__") && $0.hasSuffix("__")) }.sorted()
    }

    /// Marks attributes the operator accepts but has no use for on a CPU (`workspace`, `cudnn_tune`).
    public mutating func ignore(_ names: String...) { consumed.formUnion(names) }

    public mutating func string(_ name: String) -> String? {
        consumed.insert(name)
        guard let value = raw[name] else { return nil }
        return value
    }

    public mutating func string(_ name: String, default fallback: String) -> String {
        string(name) ?? fallback
    }

    public mutating func requiredString(_ name: String) throws(OperatorError) -> String {
        guard let value = string(name) else { throw .missingAttribute(name) }
        return value
    }

    /// One of `choices` (case-sensitive, as MXNet compares enum attributes).
    public mutating func choice(_ name: String, _ choices: [String], default fallback: String) throws(OperatorError) -> String {
        let value = string(name, default: fallback)
        guard choices.contains(value) else {
            throw .invalidAttribute(name, value: value, expected: "one of " + choices.joined(separator: ", "))
        }
        return value
    }

    public mutating func int(_ name: String) throws(OperatorError) -> Int? {
        guard let text = string(name), text != "None" else { return nil }
        guard let value = Self.parseInt(text) else { throw .invalidAttribute(name, value: text, expected: "an integer") }
        return value
    }

    public mutating func int(_ name: String, default fallback: Int) throws(OperatorError) -> Int {
        try int(name) ?? fallback
    }

    public mutating func requiredInt(_ name: String) throws(OperatorError) -> Int {
        guard let value = try int(name) else { throw .missingAttribute(name) }
        return value
    }

    public mutating func float(_ name: String) throws(OperatorError) -> Float? {
        guard let text = string(name), text != "None" else { return nil }
        guard let value = Self.parseFloat(text) else { throw .invalidAttribute(name, value: text, expected: "a number") }
        return value
    }

    public mutating func float(_ name: String, default fallback: Float) throws(OperatorError) -> Float {
        try float(name) ?? fallback
    }

    public mutating func requiredFloat(_ name: String) throws(OperatorError) -> Float {
        guard let value = try float(name) else { throw .missingAttribute(name) }
        return value
    }

    /// MXNet booleans: `True`/`False`, `true`/`false`, `1`/`0`.
    public mutating func bool(_ name: String, default fallback: Bool) throws(OperatorError) -> Bool {
        guard let text = string(name) else { return fallback }
        switch text {
        case "True", "true", "1": return true
        case "False", "false", "0": return false
        default: throw .invalidAttribute(name, value: text, expected: "True or False")
        }
    }

    /// A tuple such as `(3, 3)`, `[1,1]`, `(2,)` or a bare `3`; `None` and absence give nil.
    /// Elements may be `None` in some MXNet tuples (e.g. `slice`'s `begin`), mapped to nil.
    public mutating func optionalIntTuple(_ name: String) throws(OperatorError) -> [Int?]? {
        guard let text = string(name), text != "None" else { return nil }
        guard let values = Self.parseTuple(text) else {
            throw .invalidAttribute(name, value: text, expected: "a tuple of integers such as (3, 3)")
        }
        return values
    }

    public mutating func intTuple(_ name: String) throws(OperatorError) -> [Int]? {
        guard let values = try optionalIntTuple(name) else { return nil }
        let present = values.compactMap { $0 }
        guard present.count == values.count else {
            throw .invalidAttribute(name, value: raw[name] ?? "", expected: "a tuple of integers without None")
        }
        return present
    }

    public mutating func intTuple(_ name: String, default fallback: [Int]) throws(OperatorError) -> [Int] {
        try intTuple(name) ?? fallback
    }

    static func parseInt(_ text: String) -> Int? {
        let trimmed = text.trimmingCharacters(in: " L")
        if let value = Int(trimmed) { return value }
        // MXNet writes some integer attributes as floats ("2.0").
        if let value = Double(trimmed), value == value.rounded(), abs(value) < 1e15 { return Int(value) }
        return nil
    }

    static func parseFloat(_ text: String) -> Float? {
        let trimmed = text.trimmingCharacters(in: " ")
        switch trimmed {
        case "inf", "+inf", "Infinity": return .infinity
        case "-inf", "-Infinity": return -.infinity
        case "nan", "NaN": return .nan
        default: return Float(trimmed)
        }
    }

    static func parseTuple(_ text: String) -> [Int?]? {
        let inner = text.trimmingCharacters(in: " ()[]")
        if inner.isEmpty { return [] }
        var values: [Int?] = []
        for part in inner.split(separator: ",", omittingEmptySubsequences: true) {
            let piece = part.trimmingCharacters(in: " ")
            if piece.isEmpty { continue }
            if piece == "None" { values.append(nil); continue }
            guard let value = parseInt(piece) else { return nil }
            values.append(value)
        }
        return values
    }
}
