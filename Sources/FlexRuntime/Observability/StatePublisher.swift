import Foundation
#if canImport(Glibc)
import Glibc
#endif

/// Serves one runtime's live state (`PublishedState`, one JSON document) to other processes of the
/// same user, over a Unix-domain socket in the runtime directory beside the core locks:
/// `<FLEXEG_RUNTIME_DIR>/state.<uid>/flexeg-<pid>-<n>.sock` (the folder mode 0700, the socket 0600,
/// so only that user can connect). A client connects and reads to end of file; nothing is sent to the
/// publisher. The state is taken only when someone asks, so an unobserved runtime pays nothing.
///
/// Thread ownership: one background thread of its own (named `flexeg-state`) waits in `poll` for
/// connections and answers them one at a time; it never touches a NeuronCore thread and takes the
/// runtime's locks only as `NeuronRuntime.snapshot()` does. `stop` may be called from any thread,
/// more than once; the thread closes the socket and removes its file as it ends.
final class StatePublisher: Sendable {
    /// `FLEXEG_PUBLISH_STATE=0` (or `false`, `no`, `off`) turns publishing off.
    static let switchVariable = "FLEXEG_PUBLISH_STATE"
    static let threadMarker = "FlexEG.StatePublisher"
    /// Longest a slow reader may hold the publisher's thread on one answer.
    static let sendTimeoutSeconds = 2

    let socketPath: String
    private let wakeWriter: Int32
    private let finished = OneShot<Void>()
    private let stopped = Locked(false)

    private static let counter = Locked(0)

    /// Whether `environment` leaves publishing on (the default).
    static func isEnabled(_ environment: [String: String]) -> Bool {
        guard let value = environment[switchVariable]?.trimmingCharacters(in: .whitespaces).lowercased() else { return true }
        return !["0", "false", "no", "off"].contains(value)
    }

    /// Creates the socket in `runtimeDirectory`'s per-user state folder (removing dead processes'
    /// leftovers there first) and starts the thread that answers with `state()`'s bytes.
    init(runtimeDirectory: String, state: @escaping @Sendable () -> Data?) throws(RuntimeError) {
        let directory = try RuntimeStateReader.prepareStateDirectory(runtimeDirectory)
        RuntimeStateReader.removeLeftovers(in: directory)
        let number = Self.counter.withLock { value in
            value += 1
            return value
        }
        let path = directory + "/flexeg-\(getpid())-\(number).sock"
        let listener = try Self.makeListener(at: path)
        var pipeEnds: [Int32] = [0, 0]
        guard pipe(&pipeEnds) == 0 else {
            let code = errno
            close(listener)
            unlink(path)
            throw .systemError(operation: "creating the state publisher's wake-up pipe", path: path, errno: code)
        }
        _ = fcntl(pipeEnds[0], F_SETFD, FD_CLOEXEC)
        _ = fcntl(pipeEnds[1], F_SETFD, FD_CLOEXEC)
        socketPath = path
        wakeWriter = pipeEnds[1]
        let (wakeReader, done) = (pipeEnds[0], finished)
        NamedThread.start("flexeg-state") {
            Thread.current.threadDictionary[Self.threadMarker] = true
            Self.serve(listener: listener, wake: wakeReader, state: state)
            close(listener)
            close(wakeReader)
            unlink(path)
            done.fulfill(())
        }
    }

    deinit { stop() }

    /// Ends the thread and removes the socket; waits for that unless called on the thread itself.
    func stop() {
        let first = stopped.withLock { stopped in
            defer { stopped = true }
            return !stopped
        }
        if first {
            var byte: UInt8 = 1
            _ = write(wakeWriter, &byte, 1)
            close(wakeWriter)
        }
        if Thread.current.threadDictionary[Self.threadMarker] == nil { _ = finished.wait(until: nil) }
    }

    /// A listening, non-blocking, close-on-exec Unix socket bound at `path`, mode 0600. It is bound and
    /// made to listen under a staging name (`RuntimeStateReader.stagingSuffix`, which readers ignore)
    /// and only then renamed to `path`: a reader that found it bound but not yet listening would get
    /// ECONNREFUSED and remove it as a dead process's.
    private static func makeListener(at path: String) throws(RuntimeError) -> Int32 {
        let staging = path + RuntimeStateReader.stagingSuffix
        var address = sockaddr_un()
        guard let addressLength = RuntimeStateReader.fill(&address, path: staging) else {
            throw .systemError(operation: "naming the state socket (the path is longer than a Unix socket allows; set a shorter FLEXEG_RUNTIME_DIR)",
                               path: path, errno: ENAMETOOLONG)
        }
        let descriptor = socket(AF_UNIX, RuntimeStateReader.streamType, 0)
        guard descriptor >= 0 else { throw .systemError(operation: "creating the state socket", path: path, errno: errno) }
        _ = fcntl(descriptor, F_SETFD, FD_CLOEXEC)
        unlink(staging)
        let bound = withUnsafePointer(to: &address) {
            $0.withMemoryRebound(to: sockaddr.self, capacity: 1) { bind(descriptor, $0, addressLength) }
        }
        guard bound == 0, chmod(staging, 0o600) == 0, listen(descriptor, 16) == 0, rename(staging, path) == 0 else {
            let code = errno
            close(descriptor)
            unlink(staging)
            throw .systemError(operation: "binding the state socket", path: path, errno: code)
        }
        _ = fcntl(descriptor, F_SETFL, fcntl(descriptor, F_GETFL) | O_NONBLOCK)
        return descriptor
    }

    /// The thread's loop: answer each connection with the state, until the wake pipe is written.
    private static func serve(listener: Int32, wake: Int32, state: @Sendable () -> Data?) {
        var descriptors = [pollfd(fd: listener, events: Int16(POLLIN), revents: 0),
                           pollfd(fd: wake, events: Int16(POLLIN), revents: 0)]
        while true {
            descriptors[0].revents = 0
            descriptors[1].revents = 0
            let ready = poll(&descriptors, 2, -1)
            if ready < 0 && errno == EINTR { continue }
            guard ready > 0, descriptors[1].revents == 0 else { return }
            while true {
                let client = accept(listener, nil, nil)
                guard client >= 0 else { break }
                _ = fcntl(client, F_SETFD, FD_CLOEXEC)
                _ = fcntl(client, F_SETFL, fcntl(client, F_GETFL) & ~O_NONBLOCK)
                var timeout = timeval(tv_sec: sendTimeoutSeconds, tv_usec: 0)
                _ = setsockopt(client, SOL_SOCKET, SO_SNDTIMEO, &timeout, socklen_t(MemoryLayout<timeval>.size))
                if let data = state() { RuntimeStateReader.writeAll(data, to: client) }
                close(client)
            }
        }
    }
}

