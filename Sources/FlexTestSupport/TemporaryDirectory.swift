import Foundation

/// A fresh directory under the system's temporary directory, removed when the last reference goes.
public final class TemporaryDirectory: Sendable {
    public let path: String

    public init(prefix: String = "flexeg") throws {
        path = NSTemporaryDirectory() + "/\(prefix)-\(UUID().uuidString)"
        try FileManager.default.createDirectory(atPath: path, withIntermediateDirectories: true)
    }

    deinit { try? FileManager.default.removeItem(atPath: path) }
}
