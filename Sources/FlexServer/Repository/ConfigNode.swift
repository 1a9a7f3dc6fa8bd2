import FlexJSON
import Foundation

/// A model config read from either of Triton's two spellings, before its fields are interpreted:
/// protobuf text format (`config.pbtxt`) or protobuf's JSON mapping (`config.json`, the load API's
/// `config` parameter). Scalars keep their text; repeated fields are lists; map entries of the text
/// format (`parameters { key: "K" value { ... } }`) become object members, as in JSON.
///
/// Thread ownership: an immutable value.
indirect enum ConfigNode: Sendable, Equatable {
    case scalar(String)
    case object([(String, ConfigNode)])
    case list([ConfigNode])

    static func == (lhs: ConfigNode, rhs: ConfigNode) -> Bool {
        switch (lhs, rhs) {
        case (.scalar(let a), .scalar(let b)): a == b
        case (.list(let a), .list(let b)): a == b
        case (.object(let a), .object(let b)): a.map(\.0) == b.map(\.0) && a.map(\.1) == b.map(\.1)
        default: false
        }
    }

    /// Every value of field `name` (a repeated field's elements flattened, in order).
    func all(_ name: String) -> [ConfigNode] {
        guard case .object(let members) = self else { return [] }
        return members.filter { $0.0 == name }.flatMap { member -> [ConfigNode] in
            if case .list(let items) = member.1 { return items }
            return [member.1]
        }
    }

    /// The (last) value of field `name`.
    subscript(_ name: String) -> ConfigNode? { all(name).last }

    var text: String? {
        if case .scalar(let value) = self { return value }
        return nil
    }

    var members: [(String, ConfigNode)] {
        if case .object(let members) = self { return members }
        return []
    }

    // MARK: JSON

    /// From JSON text. Numbers and booleans become their text; `null` members are dropped.
    static func parseJSON(_ bytes: some Collection<UInt8>, what: String) throws(ServerError) -> ConfigNode {
        let value: JSONValue
        do { value = try JSONValue.parse(bytes, maximumDepth: JSONLimits.depth) } catch {
            throw .invalid("\(what) is not valid JSON: \(error)")
        }
        guard case .object = value else { throw .invalid("\(what) must be a JSON object") }
        return fromJSON(value)
    }

    static func fromJSON(_ value: JSONValue) -> ConfigNode {
        switch value {
        case .string(let text): return .scalar(text)
        case .number(let text): return .scalar(text)
        case .bool(let flag): return .scalar(flag ? "true" : "false")
        case .null: return .scalar("")
        case .array(let items): return .list(items.map(fromJSON))
        case .object(let members): return .object(members.filter { $0.1 != .null }.map { ($0.0, fromJSON($0.1)) })
        }
    }

    // MARK: Protobuf text format

    /// From protobuf text format: `name: value`, `name { ... }`, `name: { ... }`, `name [a, b]`,
    /// `#` comments; strings in single or double quotes with C escapes. `what` names the source
    /// (a file path) in errors, which give the line.
    static func parseText(_ text: String, what: String) throws(ServerError) -> ConfigNode {
        var parser = TextFormatParser(bytes: Array(text.utf8), what: what)
        return try parser.parseMessage(closing: nil)
    }
}

/// Protobuf text format, just what model configs use. Owned by one `ConfigNode.parseText` call.
private struct TextFormatParser {
    let bytes: [UInt8]
    let what: String
    var position = 0

    init(bytes: [UInt8], what: String) {
        self.bytes = bytes
        self.what = what
    }

    private var line: Int { bytes[..<min(position, bytes.count)].reduce(1) { $0 + ($1 == UInt8(ascii: "\n") ? 1 : 0) } }

    private func error(_ message: String) -> ServerError {
        .invalid("\(what) line \(line): \(message)")
    }

    private mutating func skipSpace() {
        while position < bytes.count {
            let byte = bytes[position]
            if byte == UInt8(ascii: "#") {
                while position < bytes.count, bytes[position] != UInt8(ascii: "\n") { position += 1 }
            } else if byte == 32 || byte == 9 || byte == 10 || byte == 13 || byte == UInt8(ascii: ",") || byte == UInt8(ascii: ";") {
                position += 1
            } else {
                return
            }
        }
    }

    private mutating func peek() -> UInt8? {
        skipSpace()
        return position < bytes.count ? bytes[position] : nil
    }

    private mutating func identifier() throws(ServerError) -> String {
        skipSpace()
        let start = position
        while position < bytes.count {
            let byte = bytes[position]
            let isWord = (byte >= 48 && byte <= 57) || (byte >= 65 && byte <= 90) || (byte >= 97 && byte <= 122)
                || byte == UInt8(ascii: "_") || byte == UInt8(ascii: ".") || byte == UInt8(ascii: "-") || byte == UInt8(ascii: "+")
            guard isWord else { break }
            position += 1
        }
        guard position > start else {
            let found = position < bytes.count ? "'\(Character(UnicodeScalar(bytes[position])))'" : "the end of the file"
            throw error("expected a field name or value, found \(found)")
        }
        return String(decoding: bytes[start..<position], as: UTF8.self)
    }

    mutating func parseMessage(closing: UInt8?) throws(ServerError) -> ConfigNode {
        var members: [(String, ConfigNode)] = []
        while true {
            guard let next = peek() else {
                if let closing { throw error("missing '\(Character(UnicodeScalar(closing)))' before the end of the file") }
                return .object(Self.mapEntries(members))
            }
            if let closing, next == closing {
                position += 1
                return .object(Self.mapEntries(members))
            }
            let name = try identifier()
            var hadColon = false
            if peek() == UInt8(ascii: ":") {
                position += 1
                hadColon = true
            }
            members.append((name, try parseValue(afterColon: hadColon, field: name)))
        }
    }

    private mutating func parseValue(afterColon: Bool, field: String) throws(ServerError) -> ConfigNode {
        guard let next = peek() else { throw error("field '\(field)' has no value") }
        switch next {
        case UInt8(ascii: "{"):
            position += 1
            return try parseMessage(closing: UInt8(ascii: "}"))
        case UInt8(ascii: "<"):
            position += 1
            return try parseMessage(closing: UInt8(ascii: ">"))
        case UInt8(ascii: "["):
            position += 1
            var items: [ConfigNode] = []
            while true {
                guard let item = peek() else { throw error("missing ']' in field '\(field)'") }
                if item == UInt8(ascii: "]") {
                    position += 1
                    return .list(items)
                }
                items.append(try parseValue(afterColon: true, field: field))
            }
        case UInt8(ascii: "\""), UInt8(ascii: "'"):
            var text = ""
            // Adjacent string literals concatenate.
            while let quote = peek(), quote == UInt8(ascii: "\"") || quote == UInt8(ascii: "'") {
                text += try quoted(quote)
            }
            return .scalar(text)
        default:
            guard afterColon else { throw error("field '\(field)' needs ':' before its value") }
            return .scalar(try identifier())
        }
    }

    private mutating func quoted(_ quote: UInt8) throws(ServerError) -> String {
        position += 1
        var out: [UInt8] = []
        while position < bytes.count, bytes[position] != quote {
            var byte = bytes[position]
            if byte == UInt8(ascii: "\n") { throw error("a string runs past the end of its line") }
            if byte == UInt8(ascii: "\\"), position + 1 < bytes.count {
                position += 1
                switch bytes[position] {
                case UInt8(ascii: "n"): byte = 10
                case UInt8(ascii: "t"): byte = 9
                case UInt8(ascii: "r"): byte = 13
                default: byte = bytes[position]
                }
            }
            out.append(byte)
            position += 1
        }
        guard position < bytes.count else { throw error("a string is not closed") }
        position += 1
        return String(decoding: out, as: UTF8.self)
    }

    /// `parameters { key: "K" value { ... } }` entries (repeated) become one object `{K: {...}}`, as
    /// JSON spells a map.
    private static func mapEntries(_ members: [(String, ConfigNode)]) -> [(String, ConfigNode)] {
        var result: [(String, ConfigNode)] = []
        var maps: [String: Int] = [:]
        for (name, node) in members {
            let entryKeys = Set(node.members.map(\.0))
            if name == "parameters", case .object(let fields) = node, entryKeys == ["key", "value"],
               let key = fields.first(where: { $0.0 == "key" })?.1.text, let value = fields.first(where: { $0.0 == "value" })?.1 {
                if let index = maps[name], case .object(var entries) = result[index].1 {
                    entries.append((key, value))
                    result[index].1 = .object(entries)
                } else {
                    maps[name] = result.count
                    result.append((name, .object([(key, value)])))
                }
            } else {
                result.append((name, node))
            }
        }
        return result
    }
}
