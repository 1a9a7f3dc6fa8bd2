import ArgumentParser
import FlexArtifact
import FlexCompiler
import FlexEG
import FlexExecution
import FlexGraph
import FlexKernels
import FlexRuntime
import Foundation
import MXNetFormat

/// `flexeg inspect`: what a checkpoint holds and whether FlexEG can run it; for a compiled
/// checkpoint, its pipeline stages (`CompiledModelSummary`).
struct InspectCommand: ParsableCommand {
    static let configuration = CommandConfiguration(
        commandName: "inspect",
        abstract: "Show a checkpoint's inputs, outputs, operators, parameters and unsupported nodes.",
        discussion: """
            For a compiled checkpoint: its NeuronCores, and per pipeline stage the operators, estimated             cost, boundary tensors and memory; the artifact format version; the nodes left on the host.             A compiled artifact that cannot be read is an error.
            """
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
            if ModelSummary.isCompiled(checkpoint.symbol) {
                let graph = try Graph(symbol: checkpoint.symbol)
                let parameters = checkpoint.argParams.merging(checkpoint.auxParams) { argument, _ in argument }
                // Described without the target check: a model compiled for another CPU can be inspected anywhere.
                let summary = try CompiledModel(describing: graph, parameters: parameters).summary()
                print(json ? try encoded(summary) : render(summary))
                return
            }
            let summary = ModelSummary(checkpoint: checkpoint)
            print(json ? try encoded(summary) : render(summary))
            if !summary.unsupported.isEmpty { throw ExitCode(2) }
        }
    }

    private func encoded(_ value: some Encodable) throws -> String {
        let encoder = JSONEncoder()
        encoder.outputFormatting = [.prettyPrinted, .sortedKeys]
        return String(decoding: try encoder.encode(value), as: UTF8.self)
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

    private func render(_ summary: CompiledModelSummary) -> String {
        let total = summary.stages.reduce(0) { $0 + $1.estimatedMicroseconds }
        let mean = total / Double(max(summary.stages.count, 1))
        let costliest = summary.stages.map(\.estimatedMicroseconds).max() ?? 0
        var lines: [String] = []
        lines.append("Compiled for \(counted(summary.cores, "NeuronCore")), target \(summary.target) (artifact format version \(summary.formatVersion))")
        lines.append("Inputs:")
        for input in summary.inputs { lines.append("  \(input)") }
        lines.append("Outputs:")
        for output in summary.outputs { lines.append("  \(output)") }
        for stage in summary.stages {
            let share = total > 0 ? 100 * stage.estimatedMicroseconds / total : 0
            lines.append("Stage \(stage.index): \(counted(stage.nodes, "step")) (\(counted(stage.sourceNodes, "MXNet node"))), "
                + "\(formatFlops(stage.flops)), \(formatBytes(Int(stage.bytes))) moved, "
                + String(format: "estimated %.0f µs (%.1f%%)", stage.estimatedMicroseconds, share))
            let histogram = stage.operatorCounts.sorted { ($0.value, $1.key) > ($1.value, $0.key) }
            lines.append("  operators: " + histogram.map { "\($0.key) ×\($0.value)" }.joined(separator: ", "))
            lines.append("  receives: " + (stage.receives.isEmpty ? "nothing" : stage.receives.map(\.description).joined(separator: "; ")))
            lines.append("  sends:    " + (stage.sends.isEmpty ? "nothing" : stage.sends.map(\.description).joined(separator: "; ")))
            lines.append("  memory: workspace \(formatBytes(stage.workspaceBytes)) per loaded copy (arena \(formatBytes(stage.peakArenaBytes)), "
                + "\(formatBytes(stage.unsharedArenaBytes)) without sharing; kernel scratch \(formatBytes(stage.scratchBytes))), "
                + "\(formatBytes(stage.activationBytes)) per request in flight, weights \(formatBytes(stage.weightBytes))")
            if stage.samplesPerPass.contains(where: { $0 > 1 }) {
                lines.append("  batch: parts run " + stage.samplesPerPass.map { $0 > 1 ? "\($0) samples one at a time, then batched" : "batched" }
                    .joined(separator: "; "))
            }
        }
        lines.append(String(format: "Balance: the costliest stage is %.2f× the mean stage cost", mean > 0 ? costliest / mean : 1))
        let activations = summary.stages.reduce(0) { $0 + $1.workspaceBytes + $1.activationBytes }
        let weights = summary.stages.reduce(0) { $0 + $1.weightBytes }
        lines.append("Peak memory: \(formatBytes(activations)) workspace and activations (all stages, one copy, one request) + "
            + "\(formatBytes(weights)) weights")
        lines.append("Subgraphs:")
        for subgraph in summary.subgraphs {
            let stages = subgraph.stages.count == 1 ? "stage \(subgraph.stages[0])" : "stages \(subgraph.stages.map(String.init).joined(separator: ","))"
            lines.append("  \(subgraph.name): \(counted(subgraph.steps, "step")) on \(stages), artifact \(formatBytes(subgraph.artifactBytes))")
        }
        lines.append(summary.hostNodes.isEmpty ? "Host nodes: none" : "Host nodes (excluded, run on the CPU): " + summary.hostNodes.joined(separator: ", "))
        return lines.joined(separator: "\n")
    }
}

extension String {
    func leftPadded(to width: Int) -> String {
        count >= width ? self : String(repeating: " ", count: width - count) + self
    }
}
