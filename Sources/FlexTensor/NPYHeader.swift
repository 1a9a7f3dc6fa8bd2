/// The header of a `.npy` file (NumPy format versions 1.0, 2.0 and 3.0): `\x93NUMPY`, major and minor
/// version bytes, the header length (`uint16` for 1.0, `uint32` for 2.0 and 3.0, little-endian), then a
/// Python dict literal such as `{'descr': '<f4', 'fortran_order': False, 'shape': (2, 3), }` padded with
/// spaces and a newline. The data follows the header.
struct NPYHeader: Equatable {
    var dtype: DType
    /// Validated: non-negative dimensions whose product times the element size fits in `Int`.
    var dims: [Int]

    static let magic: [UInt8] = [0x93] + Array("NUMPY".utf8)
    /// NumPy pads `magic + length + header` to a multiple of this (`numpy.lib.format.ARRAY_ALIGN`).
    static let alignment = 64

    /// The `descr` NumPy writes for each dtype.
    static func descr(for dtype: DType) -> String {
        switch dtype {
        case .float32: "<f4"
        case .float64: "<f8"
        case .float16: "<f2"
        case .uint8: "|u1"
        case .int8: "|i1"
        case .int32: "<i4"
        case .int64: "<i8"
        }
    }

    /// Parses the header at the start of `bytes`; returns it with the offset where the data starts.
    static func parse(_ bytes: UnsafeRawBufferPointer, file: String) throws(NPYError) -> (header: NPYHeader, dataOffset: Int) {
        func fail(_ message: String) -> NPYError { NPYError(file: file, message: message) }
        guard bytes.count >= 8, bytes.prefix(6).elementsEqual(magic) else {
            throw fail(bytes.count < 8 ? "truncated: \(bytes.count) bytes is too short for a .npy header" : "not a .npy file (no \\x93NUMPY magic)")
        }
        let major = bytes[6]
        let minor = bytes[7]
        let lengthSize: Int
        switch (major, minor) {
        case (1, 0): lengthSize = 2
        case (2, 0), (3, 0): lengthSize = 4
        default: throw fail("unsupported .npy format version \(major).\(minor) (1.0, 2.0 and 3.0 are supported)")
        }
        guard bytes.count >= 8 + lengthSize else { throw fail("truncated: the file ends inside the header length") }
        var headerLength = 0
        for index in 0..<lengthSize { headerLength |= Int(bytes[8 + index]) << (8 * index) }
        let headerStart = 8 + lengthSize
        guard bytes.count - headerStart >= headerLength else {
            throw fail("truncated: the header is \(headerLength) bytes but only \(bytes.count - headerStart) remain")
        }
        let headerBytes = UnsafeRawBufferPointer(rebasing: bytes[headerStart..<(headerStart + headerLength)])
        // 1.0 and 2.0 headers are Latin-1, 3.0 headers UTF-8.
        let text: String
        if major == 3 {
            guard let utf8 = String(validating: headerBytes, as: UTF8.self) else { throw fail("the 3.0 header is not valid UTF-8") }
            text = utf8
        } else {
            text = String(String.UnicodeScalarView(headerBytes.map { Unicode.Scalar($0) }))
        }
        let header = try interpret(text, fail: fail)
        return (header, headerStart + headerLength)
    }

    /// The header bytes NumPy 1.23's `np.save` writes: version 1.0 unless the header needs more than
    /// 65535 bytes (then 2.0), keys sorted, padded so the data starts on a 64-byte boundary.
    static func encode(dtype: DType, dims: [Int]) -> [UInt8] {
        let shape = dims.count == 1 ? "(\(dims[0]),)" : "(" + dims.map(String.init).joined(separator: ", ") + ")"
        let dict = Array("{'descr': '\(descr(for: dtype))', 'fortran_order': False, 'shape': \(shape), }".utf8)
        for (major, lengthSize) in [(UInt8(1), 2), (UInt8(2), 4)] {
            let used = magic.count + 2 + lengthSize + dict.count + 1
            let padding = alignment - used % alignment
            let length = dict.count + padding + 1
            guard lengthSize == 4 || length <= Int(UInt16.max) else { continue }
            var result = magic + [major, 0]
            for index in 0..<lengthSize { result.append(UInt8(truncatingIfNeeded: length >> (8 * index))) }
            return result + dict + [UInt8](repeating: 0x20, count: padding) + [0x0A]
        }
        preconditionFailure("a .npy header larger than 4 GiB")
    }

    private static func interpret(_ text: String, fail: (String) -> NPYError) throws(NPYError) -> NPYHeader {
        var parser = PythonLiteralParser(text: text)
        let literal: PythonLiteral
        do {
            literal = try parser.document()
        } catch {
            throw fail("malformed header \(quoted(text)): \(error.message)")
        }
        guard case .dict(let entries) = literal else { throw fail("the header \(quoted(text)) is not a dict") }
        var values: [String: PythonLiteral] = [:]
        for (key, value) in entries {
            guard case .string(let name) = key else { throw fail("the header \(quoted(text)) has a non-string key") }
            values[name] = value
        }
        guard Set(values.keys) == ["descr", "fortran_order", "shape"] else {
            throw fail("the header keys are \(values.keys.sorted()); expected exactly descr, fortran_order and shape")
        }
        guard case .string(let descr)? = values["descr"] else {
            throw fail("structured dtypes are not supported (descr is not a plain type string)")
        }
        let dtype = try dtype(descr: descr, fail: fail)
        guard case .bool(let fortranOrder)? = values["fortran_order"] else { throw fail("fortran_order must be True or False") }
        guard !fortranOrder else {
            throw fail("fortran_order is True; only C order is supported (save np.ascontiguousarray(arr))")
        }
        guard case .tuple(let items)? = values["shape"] else { throw fail("shape must be a tuple of integers") }
        var dims: [Int] = []
        var byteCount = dtype.size
        for item in items {
            guard case .integer(let text) = item, let dim = Int(text) else {
                throw fail("shape \(PythonLiteral.tuple(items)) must hold integers that fit in 64 bits")
            }
            guard dim >= 0 else { throw fail("shape \(PythonLiteral.tuple(items)) has a negative dimension") }
            dims.append(dim)
            if dim != 0 {
                let (product, overflow) = byteCount.multipliedReportingOverflow(by: dim)
                guard !overflow else { throw fail("shape \(PythonLiteral.tuple(items)) is too large") }
                byteCount = product
            }
        }
        return NPYHeader(dtype: dtype, dims: dims)
    }

    private static func dtype(descr: String, fail: (String) -> NPYError) throws(NPYError) -> DType {
        let order = descr.first
        let code = descr.dropFirst()
        let singleByte: [Substring: DType] = ["u1": .uint8, "i1": .int8]
        let multiByte: [Substring: DType] = ["f4": .float32, "f8": .float64, "f2": .float16, "i4": .int32, "i8": .int64]
        if let dtype = singleByte[code], let order, "|<>=".contains(order) { return dtype }
        if let dtype = multiByte[code] {
            switch order {
            case "<", "=": return dtype
            case ">": throw fail("dtype '\(descr)' is big-endian; save it little-endian (arr.astype('<\(code)'))")
            default: break
            }
        }
        let supported = DType.allCases.map { NPYHeader.descr(for: $0) }.joined(separator: " ")
        if code == "b1" { throw fail("dtype '\(descr)' (bool) is not supported; save arr.astype(np.uint8) (supported: \(supported))") }
        throw fail("dtype '\(descr)' is not supported (supported: \(supported))")
    }

    private static func quoted(_ text: String) -> String {
        let trimmed = text.trimmingCharacters(in: " \n")
        return trimmed.count > 120 ? "\"" + trimmed.prefix(120) + "…\"" : "\"" + trimmed + "\""
    }
}

/// The Python literals a `.npy` header uses: dicts, tuples, lists, strings, integers (Python 2's `3L`
/// too), `True`, `False` and `None`.
private indirect enum PythonLiteral: CustomStringConvertible {
    case dict([(key: PythonLiteral, value: PythonLiteral)])
    case tuple([PythonLiteral])
    case list([PythonLiteral])
    case string(String)
    /// Digits with an optional sign, as written (without an `L` suffix).
    case integer(String)
    case bool(Bool)
    case none

    var description: String {
        switch self {
        case .dict(let entries): "{" + entries.map { "\($0.key): \($0.value)" }.joined(separator: ", ") + "}"
        case .tuple(let items): items.count == 1 ? "(\(items[0]),)" : "(" + items.map(\.description).joined(separator: ", ") + ")"
        case .list(let items): "[" + items.map(\.description).joined(separator: ", ") + "]"
        case .string(let text): "'\(text)'"
        case .integer(let text): text
        case .bool(let flag): flag ? "True" : "False"
        case .none: "None"
        }
    }
}

private struct PythonLiteralError: Error {
    var message: String
}

/// A recursive-descent parser for `PythonLiteral` with a nesting limit.
private struct PythonLiteralParser {
    static let maximumDepth = 64

    let characters: [Character]
    var position = 0
    var depth = 0

    init(text: String) { characters = Array(text) }

    mutating func document() throws(PythonLiteralError) -> PythonLiteral {
        let result = try value()
        skipWhitespace()
        guard position == characters.count else { throw PythonLiteralError(message: "unexpected '\(characters[position])' after the dict") }
        return result
    }

    private mutating func value() throws(PythonLiteralError) -> PythonLiteral {
        skipWhitespace()
        guard position < characters.count else { throw PythonLiteralError(message: "unexpected end of the header") }
        let character = characters[position]
        switch character {
        case "{", "(", "[":
            guard depth < Self.maximumDepth else { throw PythonLiteralError(message: "nesting too deep") }
            depth += 1
            defer { depth -= 1 }
            position += 1
            let closing: Character = character == "{" ? "}" : character == "(" ? ")" : "]"
            var items: [PythonLiteral] = []
            var entries: [(key: PythonLiteral, value: PythonLiteral)] = []
            var sawComma = false
            while true {
                skipWhitespace()
                if consume(closing) { break }
                let item = try value()
                if character == "{" {
                    skipWhitespace()
                    guard consume(":") else { throw PythonLiteralError(message: "expected ':' after the dict key \(item)") }
                    entries.append((item, try value()))
                } else {
                    items.append(item)
                }
                skipWhitespace()
                if consume(",") {
                    sawComma = true
                    continue
                }
                guard consume(closing) else {
                    let found = position < characters.count ? "found '\(characters[position])'" : "the header ends"
                    throw PythonLiteralError(message: "expected ',' or '\(closing)' but \(found)")
                }
                break
            }
            switch character {
            case "{": return .dict(entries)
            case "[": return .list(items)
            default:
                // `(3)` is just 3 in Python; `(3,)` is a tuple.
                if items.count == 1 && !sawComma { return items[0] }
                return .tuple(items)
            }
        case "'", "\"":
            position += 1
            var text = ""
            while position < characters.count, characters[position] != character {
                if characters[position] == "\\", position + 1 < characters.count { position += 1 }
                text.append(characters[position])
                position += 1
            }
            guard consume(character) else { throw PythonLiteralError(message: "unterminated string") }
            return .string(text)
        case "-", "+", "0"..."9":
            var text = ""
            if character == "-" { text.append("-") }
            if character == "-" || character == "+" { position += 1 }
            while position < characters.count, characters[position].isASCII, characters[position].isNumber {
                text.append(characters[position])
                position += 1
            }
            guard text.last?.isNumber == true else { throw PythonLiteralError(message: "expected digits") }
            _ = consume("L") || consume("l")
            return .integer(text)
        default:
            var word = ""
            while position < characters.count, characters[position].isLetter {
                word.append(characters[position])
                position += 1
            }
            switch word {
            case "True": return .bool(true)
            case "False": return .bool(false)
            case "None": return .none
            default: throw PythonLiteralError(message: word.isEmpty ? "unexpected '\(character)'" : "unexpected name '\(word)'")
            }
        }
    }

    private mutating func consume(_ character: Character) -> Bool {
        guard position < characters.count, characters[position] == character else { return false }
        position += 1
        return true
    }

    private mutating func skipWhitespace() {
        while position < characters.count, characters[position].isWhitespace { position += 1 }
    }
}
