/// A `.npy` file FlexEG cannot read or write; `description` is one line naming the file and the problem,
/// e.g. `in_data.npy: dtype '>f4' is big-endian; save it little-endian (arr.astype('<f4'))`.
public struct NPYError: Error, Sendable, Equatable, CustomStringConvertible {
    /// The file's path, or `<data>` for bytes given in memory.
    public var file: String
    public var message: String

    public init(file: String, message: String) {
        self.file = file
        self.message = message
    }

    public var description: String { "\(file): \(message)" }
}
