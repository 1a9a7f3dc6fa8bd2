import ArgumentParser
import FlexKernels
import Foundation

/// Runs a command body, printing any error as one line on stderr (`flexeg: error: …`) and exiting
/// non-zero, so users see what to fix instead of a usage dump or a stack trace. A malformed
/// `FLEXEG_MAX_ISA` stops every command before it starts.
func reportingErrors(_ body: () throws -> Void) throws {
    do {
        _ = try Fast.InstructionSet.environmentCap()
        try body()
    } catch let exit as ExitCode {
        throw exit
    } catch {
        let message = "flexeg: error: \(error)\n"
        FileHandle.standardError.write(Data(message.utf8))
        throw ExitCode.failure
    }
}

/// An error the CLI itself detects (bad command-line values).
struct CommandLineError: Error, CustomStringConvertible {
    let description: String
    init(_ description: String) { self.description = description }
}
