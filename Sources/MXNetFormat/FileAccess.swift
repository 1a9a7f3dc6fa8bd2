import Foundation

/// Whole-file reads and writes with errors that name the path.
enum FileAccess {
    static func read(_ path: String) throws(MXNetFormatError) -> Data {
        var isDirectory: ObjCBool = false
        guard FileManager.default.fileExists(atPath: path, isDirectory: &isDirectory) else {
            if let target = try? FileManager.default.destinationOfSymbolicLink(atPath: path) {
                throw MXNetFormatError(file: path, message: "is a symbolic link to '\(target)', which does not exist"
                    + (target.hasPrefix("/") ? "" : " (a relative link breaks when its directory is copied elsewhere; copy with cp -rL)"))
            }
            throw MXNetFormatError(file: path, message: "no such file")
        }
        guard !isDirectory.boolValue else { throw MXNetFormatError(file: path, message: "is a directory, not a file") }
        do {
            return try Data(contentsOf: URL(fileURLWithPath: path), options: .mappedIfSafe)
        } catch {
            throw MXNetFormatError(file: path, message: "cannot read: \(error.localizedDescription)")
        }
    }

    /// Writes atomically (a temporary file renamed into place), so readers never see half a file.
    static func write(_ data: Data, to path: String) throws(MXNetFormatError) {
        do {
            try data.write(to: URL(fileURLWithPath: path), options: .atomic)
        } catch {
            throw MXNetFormatError(file: path, message: "cannot write: \(error.localizedDescription)")
        }
    }
}
