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

/// `flexeg infer`: runs a checkpoint on the CPU and writes each output as `.npy`.
struct InferCommand: ParsableCommand {
    static let configuration = CommandConfiguration(
        commandName: "infer",
        abstract: "Run a checkpoint (plain or compiled) on the CPU and write its outputs as .npy files.",
        discussion: "Writes output i (in the symbol's head order, from 0) to DIR/out_<i>.npy."
    )

    @Argument(help: "Checkpoint prefix: reads PREFIX-symbol.json and PREFIX-EEEE.params.")
    var prefix: String

    @Option(help: "Checkpoint epoch (the EEEE in PREFIX-EEEE.params).")
    var epoch: Int = 0

    @Option(name: .customLong("input"), help: ArgumentHelp("A model input as NAME=FILE.npy; repeat for each input.", valueName: "name=file.npy"))
    var inputs: [InputAssignment] = []

    @Option(help: "Directory for out_<i>.npy (created if missing).")
    var outputDir: String

    func run() throws {
        try reportingErrors {
            let (symbol, args, aux) = try mx.model.loadCheckpoint(prefix, epoch)
            let executor = try symbol.bind(ctx: mx.cpu(), args: args, auxStates: aux)
            var arrays: [String: NDArray] = [:]
            for input in inputs {
                guard arrays[input.name] == nil else { throw CommandLineError("input '\(input.name)' is given twice") }
                arrays[input.name] = try NDArray(npyFile: input.value)
            }
            let outputs = try executor.forward(arrays)
            try FileManager.default.createDirectory(atPath: outputDir, withIntermediateDirectories: true)
            for (index, output) in outputs.enumerated() {
                let path = (outputDir as NSString).appendingPathComponent("out_\(index).npy")
                try output.save(npyFile: path)
                print("\(path)  \(output.tensor.shape) \(output.dtype)")
            }
        }
    }
}
