import Foundation

/// Machine-wide ownership of NeuronCores: one advisory lock (`flock`) per device core, on the file
/// `nc<core>.lock` in the runtime directory, holding the owner's pid as text.
///
/// A core belongs to one runtime at a time on the machine (a second runtime in the same process
/// conflicts too: flock locks belong to open file descriptions). The kernel drops the locks when the
/// descriptors close, so a process that exits or is killed (even with SIGKILL) frees its cores.
/// Descriptors are opened close-on-exec, so child processes never inherit a core.
///
/// Thread ownership: created on the thread that starts the runtime; `release` may run on any thread
/// and only once has an effect.
final class CoreLocks: Sendable {
    let directory: String
    /// Device core indexes held, ascending.
    let deviceCores: [Int]
    private let descriptors: Locked<[Int32]>

    private init(directory: String, deviceCores: [Int], descriptors: [Int32]) {
        self.directory = directory
        self.deviceCores = deviceCores
        self.descriptors = Locked(descriptors)
    }

    deinit { release() }

    /// Locks the cores `request` names on a device of `deviceCoreCount` cores, all or none.
    static func acquire(
        _ request: RuntimeEnvironment.Cores, deviceCoreCount: Int, directory: String
    ) throws(RuntimeError) -> CoreLocks {
        do {
            try FileManager.default.createDirectory(atPath: directory, withIntermediateDirectories: true)
        } catch {
            throw .systemError(operation: "creating the runtime directory", path: directory, errno: Int32((error as NSError).code))
        }
        var held: [(core: Int, descriptor: Int32)] = []
        var holders: [CoreHolder] = []
        func releaseHeld() { for entry in held { close(entry.descriptor) } }

        let candidates: [Int]
        let wanted: Int
        switch request {
        case .all:
            candidates = Array(0..<deviceCoreCount)
            wanted = deviceCoreCount
        case .exactly(let cores):
            candidates = cores
            wanted = cores.count
        case .count(let count):
            candidates = Array(0..<deviceCoreCount)
            wanted = count
        }
        for core in candidates where held.count < wanted {
            switch lock(core: core, directory: directory) {
            case .locked(let descriptor): held.append((core, descriptor))
            case .heldBy(let pid): holders.append(CoreHolder(core: core, pid: pid))
            case .failed(let operation, let path, let code):
                releaseHeld()
                throw .systemError(operation: operation, path: path, errno: code)
            }
        }
        guard held.count == wanted else {
            releaseHeld()
            switch request {
            case .count(let count):
                throw .tooFewFreeCores(wanted: count, deviceCoreCount: deviceCoreCount, holders: holders, lockDirectory: directory)
            case .all, .exactly:
                throw .coresUnavailable(requested: candidates, holders: holders, lockDirectory: directory)
            }
        }
        let pid = "\(getpid())\n"
        for entry in held {
            _ = ftruncate(entry.descriptor, 0)
            _ = pid.withCString { pwrite(entry.descriptor, $0, strlen($0), 0) }
        }
        return CoreLocks(directory: directory, deviceCores: held.map(\.core), descriptors: held.map(\.descriptor))
    }

    /// Closes the lock files, freeing the cores for other processes.
    func release() {
        let open = descriptors.withLock { descriptors in
            let open = descriptors
            descriptors = []
            return open
        }
        for descriptor in open { close(descriptor) }
    }

    private enum Attempt {
        case locked(Int32)
        case heldBy(Int32?)
        case failed(operation: String, path: String, errno: Int32)
    }

    private static func lock(core: Int, directory: String) -> Attempt {
        let path = directory + "/nc\(core).lock"
        let descriptor = open(path, O_RDWR | O_CREAT | O_CLOEXEC, 0o644)
        guard descriptor >= 0 else { return .failed(operation: "opening a core lock file", path: path, errno: errno) }
        if flock(descriptor, LOCK_EX | LOCK_NB) == 0 { return .locked(descriptor) }
        let code = errno
        defer { close(descriptor) }
        guard code == EWOULDBLOCK else { return .failed(operation: "locking a core lock file", path: path, errno: code) }
        return .heldBy(holderPID(descriptor))
    }

    private static func holderPID(_ descriptor: Int32) -> Int32? {
        var bytes = [UInt8](repeating: 0, count: 32)
        let count = pread(descriptor, &bytes, bytes.count, 0)
        guard count > 0 else { return nil }
        let text = String(decoding: bytes.prefix(count), as: UTF8.self)
        return Int32(text.trimmingCharacters(in: .whitespacesAndNewlines))
    }
}
