import Foundation

/// A single status line on stderr that rewrites itself in place, for commands that take a while:
///
///     compiling [##########--------------]  41%  fold-batchnorm  (1.8 s)
///
/// It shows only when stderr is a terminal (`isatty(2)`), so piped or redirected output never holds
/// its control characters. The line stays under 80 columns so it never wraps. Used from one thread.
final class TerminalProgress {
    private let title: String
    private let isEnabled: Bool
    private let start = ContinuousClock.now
    private var isShowing = false
    private static let barWidth = 24
    private static let stepWidth = 24

    init(title: String, isEnabled: Bool = isatty(STDERR_FILENO) == 1) {
        self.title = title
        self.isEnabled = isEnabled
    }

    /// Shows `step` (a short name) and `fraction` done (0…1, shown as a whole percentage).
    func update(step: String, fraction: Double) {
        guard isEnabled else { return }
        let percent = Int((min(max(fraction, 0), 1) * 100).rounded(.down))
        let filled = percent * Self.barWidth / 100
        let bar = String(repeating: "#", count: filled) + String(repeating: "-", count: Self.barWidth - filled)
        let elapsed = (ContinuousClock.now - start) / .milliseconds(100)
        let seconds = "\(Int(elapsed) / 10).\(Int(elapsed) % 10) s"
        let percentText = String(percent).leftPadded(to: 3)
        write("\r\u{1B}[2K\(title) [\(bar)] \(percentText)%  \(step.prefix(Self.stepWidth))  (\(seconds))")
        isShowing = true
    }

    /// Erases the line, so whatever is printed next starts on a clean line.
    func finish() {
        guard isShowing else { return }
        write("\r\u{1B}[2K")
        isShowing = false
    }

    private func write(_ text: String) {
        FileHandle.standardError.write(Data(text.utf8))
    }
}
