import Foundation
#if canImport(Glibc)
import Glibc
#endif

/// Reads what every runtime on the machine publishes (`StatePublisher`) and who holds each core lock,
/// for `flexeg ls`, `top` and `monitor`.
///
/// A socket whose process is gone (or that nobody answers: its runtime ended without cleaning up) is
/// a leftover: it is skipped and removed. Only the calling user's state folder is read (the others'
/// are not readable).
///
/// Thread ownership: stateless; every function may run on any thread. `read` blocks for at most
/// `timeoutSeconds` per runtime that accepts but does not answer.
public enum RuntimeStateReader {
    /// What one reading of the runtime directory found.
    public struct Scan: Sendable {
        public var runtimeDirectory: String
        /// Runtimes that answered, by pid then socket name.
        public var states: [PublishedState]
        /// Device core → pid of the live process holding its lock (from the lock files), including
        /// processes that do not publish (FLEXEG_PUBLISH_STATE=0, or not FlexEG runtimes).
        public var lockHolders: [Int: Int32]
        /// Leftover sockets removed during this reading.
        public var removed: [String]
        /// Sockets that could not be read, with why (e.g. a runtime too busy to answer in time).
        public var problems: [String]
    }

    public static let timeoutSeconds = 2

    /// `FLEXEG_RUNTIME_DIR` from `environment`, else `/tmp/flexeg-runtime` (where the cores' lock files are).
    public static func runtimeDirectory(_ environment: [String: String] = ProcessInfo.processInfo.environment) -> String {
        guard let value = environment[RuntimeEnvironment.runtimeDirectoryVariable], !value.allSatisfy(\.isWhitespace) else {
            return RuntimeEnvironment.defaultRuntimeDirectory
        }
        return value
    }

    /// This user's state folder in `runtimeDirectory`.
    public static func stateDirectory(_ runtimeDirectory: String) -> String {
        runtimeDirectory + "/state.\(getuid())"
    }

    /// Reads every runtime's state in `runtimeDirectory` and the lock files' holders.
    public static func read(runtimeDirectory: String) -> Scan {
        let directory = stateDirectory(runtimeDirectory)
        var scan = Scan(runtimeDirectory: runtimeDirectory, states: [], lockHolders: lockHolders(runtimeDirectory), removed: [], problems: [])
        for (name, pid) in sockets(in: directory) {
            let path = directory + "/" + name
            guard isAlive(pid) else {
                if unlink(path) == 0 { scan.removed.append(path) }
                continue
            }
            switch fetch(path) {
            case .state(let state):
                scan.states.append(state)
            case .nobodyListening:
                if unlink(path) == 0 { scan.removed.append(path) }
            case .failed(let problem):
                scan.problems.append("\(path): \(problem)")
            }
        }
        scan.states.sort { ($0.pid, $0.startedAt) < ($1.pid, $1.startedAt) }
        return scan
    }

    // MARK: Shared with StatePublisher

    /// Creates (mode 0700) or checks this user's state folder; throws naming the folder if another
    /// user owns it or it is open to others.
    static func prepareStateDirectory(_ runtimeDirectory: String) throws(RuntimeError) -> String {
        let directory = stateDirectory(runtimeDirectory)
        do {
            try FileManager.default.createDirectory(atPath: runtimeDirectory, withIntermediateDirectories: true)
        } catch {
            throw .systemError(operation: "creating the runtime directory", path: runtimeDirectory, errno: Int32((error as NSError).code))
        }
        if mkdir(directory, 0o700) != 0 && errno != EEXIST {
            throw .systemError(operation: "creating the state folder", path: directory, errno: errno)
        }
        var info = stat()
        guard lstat(directory, &info) == 0 else { throw .systemError(operation: "checking the state folder", path: directory, errno: errno) }
        guard (info.st_mode & S_IFMT) == S_IFDIR, info.st_uid == getuid() else {
            throw .systemError(operation: "using the state folder (it must be a folder owned by user \(getuid()); remove it)",
                               path: directory, errno: EPERM)
        }
        if info.st_mode & 0o077 != 0 && chmod(directory, 0o700) != 0 {
            throw .systemError(operation: "making the state folder private (mode 0700)", path: directory, errno: errno)
        }
        return directory
    }

    /// What a publisher's socket is called until it listens (`StatePublisher.makeListener`); readers skip it.
    static let stagingSuffix = ".binding"

    /// Removes the sockets, published or still staged, of processes that no longer exist.
    static func removeLeftovers(in directory: String) {
        for (name, pid) in sockets(in: directory) where !isAlive(pid) { unlink(directory + "/" + name) }
        for (name, pid) in sockets(in: directory, suffix: ".sock" + stagingSuffix) where !isAlive(pid) { unlink(directory + "/" + name) }
    }

    #if canImport(Glibc)
    package static let streamType = Int32(SOCK_STREAM.rawValue)
    #else
    package static let streamType = SOCK_STREAM
    #endif

    /// Sets `address` to the Unix socket `path`; nil if the path does not fit.
    static func fill(_ address: inout sockaddr_un, path: String) -> socklen_t? {
        address.sun_family = sa_family_t(AF_UNIX)
        let bytes = Array(path.utf8)
        let capacity = MemoryLayout.size(ofValue: address.sun_path)
        guard bytes.count < capacity else { return nil }
        withUnsafeMutableBytes(of: &address.sun_path) { buffer in
            buffer.initializeMemory(as: UInt8.self, repeating: 0)
            buffer.copyBytes(from: bytes)
        }
        return socklen_t(MemoryLayout<sockaddr_un>.size)
    }

    /// Writes all of `data` (stops at the first error, e.g. a reader that went away or timed out).
    package static func writeAll(_ data: Data, to descriptor: Int32) {
        data.withUnsafeBytes { buffer in
            var offset = 0
            while offset < buffer.count {
                let written = send(descriptor, buffer.baseAddress! + offset, buffer.count - offset, Int32(MSG_NOSIGNAL))
                if written < 0 && errno == EINTR { continue }
                guard written > 0 else { return }
                offset += written
            }
        }
    }

    // MARK: Reading

    private enum Fetched {
        case state(PublishedState)
        case nobodyListening
        case failed(String)
    }

    /// `flexeg-<pid>-<n>.sock` files in `directory`, with their pids.
    /// Entries `flexeg-<pid>-<n><suffix>` in `directory` and their pids.
    private static func sockets(in directory: String, suffix: String = ".sock") -> [(name: String, pid: Int32)] {
        let names = (try? FileManager.default.contentsOfDirectory(atPath: directory)) ?? []
        return names.sorted().compactMap { name in
            guard name.hasPrefix("flexeg-"), name.hasSuffix(suffix) else { return nil }
            let parts = name.dropFirst("flexeg-".count).dropLast(suffix.count).split(separator: "-")
            guard parts.count == 2, let pid = Int32(parts[0]), pid > 0 else { return nil }
            return (name, pid)
        }
    }

    private static func isAlive(_ pid: Int32) -> Bool {
        kill(pid, 0) == 0 || errno == EPERM
    }

    private static func fetch(_ path: String) -> Fetched {
        var address = sockaddr_un()
        guard let length = fill(&address, path: path) else { return .failed("path too long for a Unix socket") }
        let descriptor = socket(AF_UNIX, streamType, 0)
        guard descriptor >= 0 else { return .failed("socket: errno \(errno)") }
        defer { close(descriptor) }
        var timeout = timeval(tv_sec: timeoutSeconds, tv_usec: 0)
        _ = setsockopt(descriptor, SOL_SOCKET, SO_RCVTIMEO, &timeout, socklen_t(MemoryLayout<timeval>.size))
        _ = setsockopt(descriptor, SOL_SOCKET, SO_SNDTIMEO, &timeout, socklen_t(MemoryLayout<timeval>.size))
        let connected = withUnsafePointer(to: &address) {
            $0.withMemoryRebound(to: sockaddr.self, capacity: 1) { connect(descriptor, $0, length) }
        }
        guard connected == 0 else {
            let code = errno
            return code == ECONNREFUSED || code == ENOENT ? .nobodyListening : .failed("connect: errno \(code)")
        }
        var data = Data()
        var buffer = [UInt8](repeating: 0, count: 64 << 10)
        while true {
            let count = recv(descriptor, &buffer, buffer.count, 0)
            if count < 0 && errno == EINTR { continue }
            if count < 0 { return .failed("no answer within \(timeoutSeconds) s (errno \(errno))") }
            if count == 0 { break }
            data.append(contentsOf: buffer[0..<count])
        }
        guard !data.isEmpty else { return .failed("the runtime closed the connection without an answer (shutting down?)") }
        do {
            let state = try JSONDecoder().decode(PublishedState.self, from: data)
            guard state.version == PublishedState.currentVersion else {
                return .failed("state version \(state.version); this reader knows version \(PublishedState.currentVersion)")
            }
            return .state(state)
        } catch {
            return .failed("unreadable state: \(error)")
        }
    }

    /// Device core → pid holding `nc<core>.lock` now. On Linux from `/proc/locks` (the kernel's
    /// list of flock holders, matched by inode), so a freed lock file's old pid is not taken for a
    /// holder; elsewhere the pid written in the file, if that process is alive.
    private static func lockHolders(_ runtimeDirectory: String) -> [Int: Int32] {
        let names = (try? FileManager.default.contentsOfDirectory(atPath: runtimeDirectory)) ?? []
        var inodes: [UInt64: Int] = [:]
        var written: [Int: Int32] = [:]
        for name in names where name.hasPrefix("nc") && name.hasSuffix(".lock") {
            guard let core = Int(name.dropFirst(2).dropLast(5)) else { continue }
            let path = runtimeDirectory + "/" + name
            var info = stat()
            guard stat(path, &info) == 0 else { continue }
            inodes[UInt64(info.st_ino)] = core
            if let text = try? String(contentsOfFile: path, encoding: .utf8),
               let pid = Int32(text.trimmingCharacters(in: .whitespacesAndNewlines)) {
                written[core] = pid
            }
        }
        guard let table = ProcFile.text("/proc/locks") else {
            return written.filter { isAlive($0.value) }
        }
        var holders: [Int: Int32] = [:]
        // "1: FLOCK  ADVISORY  WRITE 12345 08:01:1234567 0 EOF" (blocked waiters carry "->" and are skipped).
        for line in table.split(separator: "\n") {
            let fields = line.split(separator: " ", omittingEmptySubsequences: true)
            guard fields.count >= 6, fields[1] == "FLOCK", fields[2] != "->", let pid = Int32(fields[4]) else { continue }
            guard let inode = fields[5].split(separator: ":").last.flatMap({ UInt64($0) }), let core = inodes[inode] else { continue }
            holders[core] = pid
        }
        return holders
    }
}
