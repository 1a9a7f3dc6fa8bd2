import CFlexShims
import Foundation

/// Starts a thread under a name the OS knows too, so `ps -L`, `top -H`, `perf` and debuggers show
/// which thread is a NeuronCore (`flexeg-nc0`, …) and which is a helper.
///
/// The thread names itself through the OS (`flexeg_name_current_thread`). Foundation's `Thread.name`,
/// set as well for Foundation's readers, does not reliably reach the OS on Linux: in one CI run a core
/// thread kept its creator's name (libdispatch's, shown as `oot.default-qos`) although it had set
/// `Thread.current.name` first thing. Linux names hold at most 15 bytes.
public enum NamedThread {
    public static let maximumNameBytes = 15

    /// Starts a thread that names itself `name`, then runs `body`.
    public static func start(_ name: String, _ body: @escaping @Sendable () -> Void) {
        precondition(name.utf8.count <= maximumNameBytes, "thread name '\(name)' is longer than \(maximumNameBytes) bytes")
        let thread = Thread {
            Thread.current.name = name
            _ = flexeg_name_current_thread(name)  // a missing name only shows in tools, so no error path
            body()
        }
        thread.start()
    }
}
