/// A tensor shape: dimension sizes, outermost first (row-major, as MXNet and NumPy lay them out).
///
/// A rank-0 shape (`[]`) is a scalar with one element.
public struct Shape: Hashable, Sendable, Codable, ExpressibleByArrayLiteral, CustomStringConvertible {
    public var dims: [Int]

    public init(_ dims: [Int]) { self.dims = dims }
    public init(arrayLiteral elements: Int...) { self.dims = elements }

    /// Encoded as a plain array (`[1,3,224,224]`), as JSON readers expect a shape.
    public init(from decoder: any Decoder) throws {
        dims = try decoder.singleValueContainer().decode([Int].self)
    }

    public func encode(to encoder: any Encoder) throws {
        var container = encoder.singleValueContainer()
        try container.encode(dims)
    }

    public var rank: Int { dims.count }
    /// Number of elements (product of the dimensions; 1 for a scalar).
    public var elementCount: Int { dims.reduce(1, *) }
    public subscript(axis: Int) -> Int {
        get { dims[axis] }
        set { dims[axis] = newValue }
    }

    /// Row-major strides in elements.
    public var strides: [Int] {
        var result = [Int](repeating: 1, count: dims.count)
        var running = 1
        for axis in stride(from: dims.count - 1, through: 0, by: -1) {
            result[axis] = running
            running *= dims[axis]
        }
        return result
    }

    /// Parses MXNet/CLI notation: `1,3,224,224`, `(1, 3, 224, 224)` or `[1,3]`; `()` is a scalar.
    public init?(parsing text: String) {
        let trimmed = text.trimmingCharacters(in: " ()[]")
        if trimmed.isEmpty { self.dims = []; return }
        var dims: [Int] = []
        for part in trimmed.split(separator: ",", omittingEmptySubsequences: true) {
            let piece = part.trimmingCharacters(in: " L")
            if piece.isEmpty { continue }
            guard let value = Int(piece) else { return nil }
            dims.append(value)
        }
        self.dims = dims
    }

    /// `(1,3,224,224)`: the notation MXNet uses in attributes and error messages.
    public var description: String {
        dims.count == 1 ? "(\(dims[0]),)" : "(" + dims.map(String.init).joined(separator: ",") + ")"
    }
}

extension StringProtocol {
    /// Trims any of `characters` from both ends (Foundation-free, so FlexTensor stays dependency-free).
    /// Package-wide: attribute parsing in FlexGraph uses it too.
    package func trimmingCharacters(in characters: String) -> String {
        let set = Set(characters)
        var slice = Substring(self)
        while let first = slice.first, set.contains(first) { slice = slice.dropFirst() }
        while let last = slice.last, set.contains(last) { slice = slice.dropLast() }
        return String(slice)
    }
}
