import Foundation

/// Starts a thread under a name the OS knows too, so `ps -L`, `top -H`, `perf` and debuggers show
/// which thread is a NeuronCore (`flexeg-nc0`, …) and which is a helper.
///
/// Foundation on Linux passes `Thread.name` to the OS only when the thread sets it on itself; set from
/// the starting thread it stays Foundation's, and the OS thread keeps its creator's name (often
/// libdispatch's `com.apple.root.default-qos`). Linux names hold at most 15 bytes.
public enum NamedThread {
    public static let maximumNameBytes = 15

    /// Starts a thread that names itself `name`, then runs `body`.
    public static func start(_ name: String, _ body: @escaping @Sendable () -> Void) {
        precondition(name.utf8.count <= maximumNameBytes, "thread name '\(name)' is longer than \(maximumNameBytes) bytes")
        let thread = Thread {
            Thread.current.name = name
            body()
        }
        thread.start()
    }
}
