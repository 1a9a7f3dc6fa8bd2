/// A problem reading or writing an MXNet file: names the file and, for `.params` files, the array and
/// the byte offset where the problem starts.
///
/// `description` is one line, e.g.
/// `model-0000.params: array 3 'arg:fc1_weight' at byte 1180: unsupported dtype flag 7 (bool)`.
public struct MXNetFormatError: Error, Sendable, Equatable, CustomStringConvertible {
    /// The file's path, or `<data>` for bytes given in memory.
    public var file: String
    /// Index of the array in a `.params` file, when the problem is inside one record.
    public var arrayIndex: Int?
    /// Name of that array, when the file has names and they could be read.
    public var arrayName: String?
    /// Byte offset from the start of the file where the offending item starts.
    public var byteOffset: Int?
    /// What is wrong, and what was expected.
    public var message: String

    public init(file: String, arrayIndex: Int? = nil, arrayName: String? = nil, byteOffset: Int? = nil, message: String) {
        self.file = file
        self.arrayIndex = arrayIndex
        self.arrayName = arrayName
        self.byteOffset = byteOffset
        self.message = message
    }

    public var description: String {
        var location = file
        if let arrayIndex {
            location += ": array \(arrayIndex)"
            if let arrayName { location += " '\(arrayName)'" }
            if let byteOffset { location += " at byte \(byteOffset)" }
        } else if let byteOffset {
            location += " at byte \(byteOffset)"
        }
        return location + ": " + message
    }
}
