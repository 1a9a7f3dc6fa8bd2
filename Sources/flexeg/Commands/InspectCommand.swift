import ArgumentParser
import FlexEG
import Foundation

/// `flexeg inspect`: what a checkpoint holds and whether FlexEG can run it.
struct InspectCommand: ParsableCommand {
    static let configuration = CommandConfiguration(
        commandName: "inspect",
        abstract: "Show a checkpoint's inputs, outputs, operators, parameters and unsupported nodes."
    )

    @Argument(help: "Checkpoint prefix: reads PREFIX-symbol.json and PREFIX-EEEE.params.")
    var prefix: String

    @Option(help: "Checkpoint epoch.")
    var epoch: Int = 0

    @Flag(help: "Print JSON instead of text.")
    var json = false

    func run() throws {
        try reportingErrors {
            let checkpoint = try Checkpoint.load(prefix: prefix, epoch: epoch)
            let summary = ModelSummary(checkpoint: checkpoint)
            if json {
                let encoder = JSONEncoder()
                encoder.outputFormatting = [.prettyPrinted, .sortedKeys]
                print(String(decoding: try encoder.encode(summary), as: UTF8.self))
            } else {
                print(render(summary))
            }
            if !summary.unsupported.isEmpty { throw ExitCode(2) }
        }
    }

    private func render(_ summary: ModelSummary) -> String {
        var lines: [String] = []
        lines.append("Inputs:")
        for input in summary.inputs {
            let shape = input.shape.map { "(" + $0.map { $0 == 0 ? "?" : String($0) }.joined(separator: ",") + ")" } ?? "(shape unknown)"
            lines.append("  \(input.name)  \(shape)")
        }
        lines.append("Outputs:")
        for output in summary.outputs { lines.append("  \(output)") }
        lines.append("Operators (\(summary.operators.values.reduce(0, +)) nodes):")
        for (op, count) in summary.operators.sorted(by: { ($0.value, $1.key) > ($1.value, $0.key) }) {
            lines.append("  \(String(count).leftPadded(to: 5))  \(op)")
        }
        lines.append("Parameters: \(summary.parameterCount) values, \(summary.parameterBytes) bytes")
        if summary.unsupported.isEmpty {
            lines.append("FlexEG can run every node.")
        } else {
            lines.append("Nodes FlexEG cannot run (\(summary.unsupported.count)):")
            for node in summary.unsupported { lines.append("  \(node.reason)") }
        }
        return lines.joined(separator: "\n")
    }
}

extension String {
    func leftPadded(to width: Int) -> String {
        count >= width ? self : String(repeating: " ", count: width - count) + self
    }
}
