import ArgumentParser
import FlexEG
import FlexRuntime
import Foundation
#if canImport(Glibc)
import Glibc
#endif

/// `flexeg top`: a live view of every runtime's NeuronCores and models (`TopScreen`), like neuron-top.
/// In a terminal it redraws in place (alternate screen) every period and reads keys: `1`–`9` pick a
/// tab, `a`/`d` move to the previous/next tab, `q` (or Ctrl-C) quits and restores the terminal.
/// When stdout is not a terminal it prints the "all" tab as plain text each period instead.
///
/// Thread ownership: everything runs on the command's thread (drawing, key reading, sleeping in `poll`).
struct TopCommand: ParsableCommand {
    static let configuration = CommandConfiguration(
        commandName: "top",
        abstract: "Watch every process's NeuronCores, models, switches and latency live (like neuron-top).",
        discussion: """
            Reads the runtimes publishing in FLEXEG_RUNTIME_DIR (default /tmp/flexeg-runtime). Keys: 1-9 select \
            a tab (1 is "all", then one per process), a/d the previous/next tab, q quits. Without a terminal on \
            stdout, prints a plain report every period (--count bounds how many).
            """
    )

    @Option(help: "Seconds between refreshes.")
    var period: Double = 1

    @Option(help: ArgumentHelp("Stop after N refreshes (default: until q).", valueName: "n"))
    var count: Int?

    func run() throws {
        try reportingErrors {
            guard period > 0, period.isFinite else { throw CommandLineError("--period must be a positive number of seconds; it is \(period)") }
            if let count, count < 1 { throw CommandLineError("--count must be at least 1; it is \(count)") }
            if isatty(STDOUT_FILENO) != 0 { try interactive() } else { plain() }
        }
    }

    private func plain() {
        let directory = RuntimeStateReader.runtimeDirectory()
        var previous: MachineView?
        var system = SystemUsage.now()
        var frames = 0
        while true {
            let view = MachineView.read(runtimeDirectory: directory)
            let now = SystemUsage.now()
            let screen = TopScreen(view: view, previous: previous, system: (system, now), selected: 0, height: 1000)
            print((frames > 0 ? "\n" : "") + screen.lines().joined(separator: "\n"))
            fflush(nil)
            frames += 1
            if let count, frames >= count { return }
            (previous, system) = (view, now)
            Thread.sleep(forTimeInterval: period)
        }
    }

    private func interactive() throws {
        let directory = RuntimeStateReader.runtimeDirectory()
        let terminal = RawTerminal()
        defer { terminal.restore() }
        // SIGTERM and SIGHUP end the loop (the poll wakes with EINTR) so the terminal is restored.
        signal(SIGTERM) { _ in topStopRequested = 1 }
        signal(SIGHUP) { _ in topStopRequested = 1 }
        var selected = 0
        var previous: MachineView?
        var system = (earlier: SystemUsage.now(), later: SystemUsage.now())
        var frames = 0
        var view = MachineView.read(runtimeDirectory: directory)
        var nextRefresh = Date()
        while topStopRequested == 0 {
            if Date() >= nextRefresh {
                if let count, frames >= count { return }
                if frames > 0 {
                    previous = view
                    view = MachineView.read(runtimeDirectory: directory)
                    system = (system.later, SystemUsage.now())
                }
                nextRefresh = Date().addingTimeInterval(period)
                frames += 1
            }
            let (columns, rows) = terminal.size()
            selected = min(selected, view.processes.count)
            let screen = TopScreen(view: view, previous: previous, system: system, selected: selected, width: columns, height: rows)
            terminal.draw(screen.lines())
            guard let key = terminal.readKey(timeout: nextRefresh.timeIntervalSinceNow) else { continue }
            let tabCount = view.processes.count + 1
            switch key {
            case UInt8(ascii: "q"), UInt8(ascii: "Q"), 3, 4: return
            case UInt8(ascii: "1")...UInt8(ascii: "9"):
                let tab = Int(key - UInt8(ascii: "1"))
                if tab < tabCount { selected = tab }
            case UInt8(ascii: "a"): selected = (selected + tabCount - 1) % tabCount
            case UInt8(ascii: "d"): selected = (selected + 1) % tabCount
            default: break
            }
        }
    }
}

/// Set by `flexeg top`'s SIGTERM/SIGHUP handlers, read by its loop (one flag, written only by handlers).
nonisolated(unsafe) var topStopRequested: sig_atomic_t = 0

/// The terminal in raw mode on the alternate screen, for `flexeg top`: keys arrive one byte at a
/// time without echo (Ctrl-C as byte 3, not a signal); `restore` puts everything back.
///
/// Thread ownership: used on the command's thread only.
final class RawTerminal {
    private var saved = termios()
    private let hasInput: Bool

    init() {
        hasInput = isatty(STDIN_FILENO) != 0 && tcgetattr(STDIN_FILENO, &saved) == 0
        if hasInput {
            var raw = saved
            raw.c_lflag &= ~tcflag_t(ICANON | ECHO | ISIG)
            withUnsafeMutableBytes(of: &raw.c_cc) { bytes in
                bytes[Int(VMIN)] = 0
                bytes[Int(VTIME)] = 0
            }
            tcsetattr(STDIN_FILENO, TCSANOW, &raw)
        }
        write("\u{1B}[?1049h\u{1B}[?25l\u{1B}[H\u{1B}[2J")
    }

    func restore() {
        write("\u{1B}[?25h\u{1B}[?1049l")
        if hasInput { tcsetattr(STDIN_FILENO, TCSANOW, &saved) }
    }

    /// Columns and rows (80 × 24 when the terminal does not say).
    func size() -> (Int, Int) {
        var size = winsize()
        guard ioctl(STDOUT_FILENO, UInt(TIOCGWINSZ), &size) == 0, size.ws_col > 0, size.ws_row > 0 else { return (80, 24) }
        return (Int(size.ws_col), Int(size.ws_row))
    }

    /// Redraws in place: each line cleared to its end, then everything below the last one.
    func draw(_ lines: [String]) {
        write("\u{1B}[H" + lines.joined(separator: "\u{1B}[K\r\n") + "\u{1B}[K\u{1B}[J")
    }

    /// The next key byte, waiting at most `timeout` seconds; nil if none came.
    func readKey(timeout: Double) -> UInt8? {
        guard hasInput else {
            Thread.sleep(forTimeInterval: max(0, timeout))
            return nil
        }
        var descriptor = pollfd(fd: STDIN_FILENO, events: Int16(POLLIN), revents: 0)
        guard poll(&descriptor, 1, Int32(max(0, min(timeout, 60)) * 1000)) > 0 else { return nil }
        var byte: UInt8 = 0
        if Glibc.read(STDIN_FILENO, &byte, 1) == 1 { return byte }
        // End of input (stdin closed): no more keys; wait out the period instead of spinning.
        Thread.sleep(forTimeInterval: max(0, timeout))
        return nil
    }

    private func write(_ text: String) {
        FileHandle.standardOutput.write(Data(text.utf8))
    }
}
