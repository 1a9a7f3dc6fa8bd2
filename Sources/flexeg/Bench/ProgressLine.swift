import FlexRuntime
import Foundation

/// A one-line status display on stderr, rewritten in place (`\r`, erase to end of line). Disabled (every
/// call does nothing but `warn`) when stderr is not a terminal, so logs and pipes stay clean.
///
/// Thread ownership: any thread; writes are serialized.
final class ProgressLine: Sendable {
    let enabled: Bool
    private let shown = Locked(false)

    init(enabled: Bool) {
        self.enabled = enabled
    }

    /// Replaces the status line with `text`.
    func show(_ text: String) {
        guard enabled else { return }
        shown.withLock { shown in
            FileHandle.standardError.write(Data("\r\u{1B}[K\(text)".utf8))
            shown = true
        }
    }

    /// Erases the status line.
    func clear() {
        guard enabled else { return }
        shown.withLock { shown in
            if shown { FileHandle.standardError.write(Data("\r\u{1B}[K".utf8)) }
            shown = false
        }
    }

    /// Prints `message` as a warning line on stderr (terminal or not), keeping the status line below it.
    func warn(_ message: String) {
        shown.withLock { shown in
            let prefix = shown ? "\r\u{1B}[K" : ""
            FileHandle.standardError.write(Data("\(prefix)flexeg: warning: \(message)\n".utf8))
        }
    }
}
