import Foundation

/// Model files sent with a load request: Triton's `file:<version>/<path>` load parameters (base64
/// over REST, bytes over gRPC), which must come with a `config`. The model is then loaded from them
/// alone, in a directory of their own; the repository's directory of that name, if any, is not read.
///
/// Thread ownership: an immutable value. `stage` writes a new directory that the caller owns (and
/// removes with `remove`).
struct ModelUpload: Sendable {
    /// Paths relative to the model directory (`"1/model-symbol.json"`) and their bytes, in request order.
    let files: [(path: String, bytes: [UInt8])]

    /// Checks each `file:` key; `files` pairs the keys (with the `file:` prefix) and their bytes.
    init(files: [(key: String, bytes: [UInt8])]) throws(ServerError) {
        var checked: [(path: String, bytes: [UInt8])] = []
        for (key, bytes) in files {
            let path = String(key.dropFirst(Self.prefix.count))
            try Self.checkPath(path, key: key)
            guard !checked.contains(where: { $0.path == path }) else { throw .invalid("load parameter '\(key)' is given twice") }
            checked.append((path, bytes))
        }
        self.files = checked
    }

    static let prefix = "file:"

    /// A path is `<version>/<file>[/<file>…]`: a version directory (a whole number) and at least one
    /// name under it, none empty, `.`, `..` or holding NUL or `\`, so nothing lands outside the model's
    /// directory.
    static func checkPath(_ path: String, key: String) throws(ServerError) {
        let components = path.split(separator: "/", omittingEmptySubsequences: false)
        let valid = components.count >= 2
            && Int(components[0]).map { $0 >= 0 && String($0) == components[0] } == true
            && components.dropFirst().allSatisfy { !$0.isEmpty && $0 != "." && $0 != ".." && !$0.contains("\0") && !$0.contains("\\") }
        guard valid else {
            throw .invalid("load parameter '\(key)': a model file is named 'file:<version>/<file>' (e.g. 'file:1/model-symbol.json'), "
                + "with no empty, '.' or '..' parts")
        }
    }

    /// Writes the files under a new directory inside `root` (created if missing) and returns that
    /// directory, to load model `name` from. Removes what it wrote if a write fails.
    func stage(name: String, in root: String) throws(ServerError) -> String {
        let directory = root + "/\(name)-\(UUID().uuidString)"
        do {
            for (path, bytes) in files {
                let url = URL(fileURLWithPath: directory + "/" + path)
                try FileManager.default.createDirectory(at: url.deletingLastPathComponent(), withIntermediateDirectories: true)
                try Data(bytes).write(to: url)
            }
        } catch {
            Self.remove(directory)
            throw ServerError(.internalError, "cannot stage the uploaded files of model '\(name)' in \(root): \(error.localizedDescription)")
        }
        return directory
    }

    /// An uploads directory's name is `flexeg-serve-<pid>-uploads`: these around the server's pid.
    private static let rootPrefix = "flexeg-serve-", rootSuffix = "-uploads"

    /// The uploads directory of server process `pid` in `temporary`.
    static func uploadsRoot(of pid: Int32, in temporary: String) -> String {
        URL(fileURLWithPath: temporary).appendingPathComponent(rootPrefix + "\(pid)" + rootSuffix).path
    }

    /// Removes the uploads directories in `temporary` of server processes that no longer run (killed
    /// before their shutdown could remove them); returns what it removed.
    static func removeStale(in temporary: String) -> [String] {
        let entries = (try? FileManager.default.contentsOfDirectory(atPath: temporary)) ?? []
        return entries.compactMap { entry -> String? in
            guard entry.hasPrefix(rootPrefix), entry.hasSuffix(rootSuffix),
                  let pid = Int32(entry.dropFirst(rootPrefix.count).dropLast(rootSuffix.count)), pid > 0, pid != getpid(),
                  kill(pid, 0) == -1, errno == ESRCH else { return nil }
            let path = uploadsRoot(of: pid, in: temporary)
            remove(path)
            return path
        }
    }

    /// Deletes a staged directory (and anything compiled into it).
    static func remove(_ directory: String) {
        try? FileManager.default.removeItem(atPath: directory)
    }
}
