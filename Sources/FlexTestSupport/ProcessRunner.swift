import Foundation

/// Runs a child process to completion, capturing its output (through temporary files, so neither pipe
/// can fill up and block the child).
public enum ProcessRunner {
    public struct Result: Sendable {
        public var command: String
        public var status: Int32
        public var stdout: String
        public var stderr: String

        /// Throws `ProcessFailure` unless the process exited with status 0.
        public func check() throws {
            guard status == 0 else { throw ProcessFailure(command: command, status: status, stderr: stderr) }
        }
    }

    public static func run(_ executable: String, _ arguments: [String], environment: [String: String] = [:]) throws -> Result {
        let directory = try TemporaryDirectory(prefix: "process")
        let stdoutURL = URL(fileURLWithPath: directory.path + "/stdout")
        let stderrURL = URL(fileURLWithPath: directory.path + "/stderr")
        guard FileManager.default.createFile(atPath: stdoutURL.path, contents: nil),
              FileManager.default.createFile(atPath: stderrURL.path, contents: nil) else {
            throw ProcessFailure(command: executable, status: -1, stderr: "cannot create output files in \(directory.path)")
        }
        let stdout = try FileHandle(forWritingTo: stdoutURL)
        let stderr = try FileHandle(forWritingTo: stderrURL)
        let process = Process()
        process.executableURL = URL(fileURLWithPath: executable)
        process.arguments = arguments
        process.environment = ProcessInfo.processInfo.environment.merging(environment) { $1 }
        process.standardOutput = stdout
        process.standardError = stderr
        try process.run()
        process.waitUntilExit()
        try stdout.close()
        try stderr.close()
        return Result(
            command: ([executable] + arguments).joined(separator: " "),
            status: process.terminationStatus,
            stdout: (try? String(contentsOf: stdoutURL, encoding: .utf8)) ?? "",
            stderr: (try? String(contentsOf: stderrURL, encoding: .utf8)) ?? "")
    }
}

/// A child process that exited with a non-zero status; `description` has its stderr.
public struct ProcessFailure: Error, CustomStringConvertible {
    public var command: String
    public var status: Int32
    public var stderr: String

    public var description: String { "\(command) exited with status \(status): \(stderr)" }
}
