#if canImport(Glibc)
import Glibc
#endif

/// Whole `/proc` files. procfs reports their size as 0 and hands out the text about a page per
/// `read`; Foundation's `String(contentsOfFile:)` and `FileManager.contents(atPath:)` stop after the
/// first read, 4 KB, which cut `/proc/locks` short on a machine holding many locks (core locks went
/// missing from `flexeg ls`) and dropped `/proc/stat`'s lines after the long `intr` one.
public enum ProcFile {
    /// The file's bytes, read until end of file; nil when it cannot be opened or read.
    public static func bytes(_ path: String) -> [UInt8]? {
        let descriptor = open(path, O_RDONLY | O_CLOEXEC)
        guard descriptor >= 0 else { return nil }
        defer { close(descriptor) }
        var bytes: [UInt8] = []
        var chunk = [UInt8](repeating: 0, count: 64 << 10)
        while true {
            let count = chunk.withUnsafeMutableBytes { read(descriptor, $0.baseAddress, $0.count) }
            if count < 0 {
                if errno == EINTR { continue }
                return nil
            }
            if count == 0 { return bytes }
            bytes.append(contentsOf: chunk[0..<count])
        }
    }

    /// The file as UTF-8 text (invalid bytes replaced).
    public static func text(_ path: String) -> String? {
        bytes(path).map { String(decoding: $0, as: UTF8.self) }
    }

    /// `/proc/<pid>/cmdline` (or `self`) with its NUL separators as spaces; nil when unreadable or empty.
    public static func commandLine(_ process: String) -> String? {
        guard let bytes = bytes("/proc/\(process)/cmdline"), !bytes.isEmpty else { return nil }
        return bytes.split(separator: 0).map { String(decoding: $0, as: UTF8.self) }.joined(separator: " ")
    }
}
