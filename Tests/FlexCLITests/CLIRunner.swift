import FlexTestSupport
import Foundation

/// Runs the `flexeg` executable that SwiftPM builds beside the test bundle.
enum CLIRunner {
    /// `.build/<config>/flexeg`, found by walking up from the test binary.
    static var executable: String {
        var directory = URL(fileURLWithPath: CommandLine.arguments[0]).deletingLastPathComponent()
        while !FileManager.default.fileExists(atPath: directory.appendingPathComponent("flexeg").path),
              directory.path != "/" {
            directory.deleteLastPathComponent()
        }
        return directory.appendingPathComponent("flexeg").path
    }

    static func run(_ arguments: [String], environment: [String: String] = [:]) throws -> ProcessRunner.Result {
        try ProcessRunner.run(executable, arguments, environment: environment)
    }
}
