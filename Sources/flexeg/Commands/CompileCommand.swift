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

/// `flexeg compile`: compiles a checkpoint for K NeuronCores into a Neuron-style compiled checkpoint.
struct CompileCommand: ParsableCommand {
    static let configuration = CommandConfiguration(
        commandName: "compile",
        abstract: "Compile a checkpoint for K NeuronCores (a K-stage pipeline) into a compiled checkpoint.",
        discussion: """
            Shapes are fixed at compile time, batch size included. Writes OUTPREFIX-symbol.json (one \
            _neuron_subgraph_op node per compiled region, excluded nodes as ordinary MXNet nodes) and \
            OUTPREFIX-0000.params (with each region's compiled artifact as <node>_neuronbin). Run it with \
            `flexeg infer` or bind it to mx.neuron(i).
            """
    )

    @Argument(help: "Checkpoint prefix: reads PREFIX-symbol.json and PREFIX-EEEE.params.")
    var prefix: String

    @Option(help: "Checkpoint epoch (the EEEE in PREFIX-EEEE.params).")
    var epoch: Int = 0

    @Option(name: .customLong("input"), help: ArgumentHelp("A model input's shape as NAME=SHAPE (e.g. data=1,3,224,224); repeat for each input.", valueName: "name=shape"))
    var inputs: [String] = []

    @Option(help: "NeuronCores to compile for: pipeline stages, at least 1.")
    var cores: Int

    @Option(help: ArgumentHelp("Operator nodes to keep on the host, uncompiled (comma-separated; may repeat).", valueName: "node,..."))
    var exclude: [String] = []

    @Option(help: ArgumentHelp("Prefix of the compiled checkpoint to write (its directory must exist).", valueName: "outprefix"))
    var output: String

    @Option(help: ArgumentHelp("Instruction set to choose kernels for: native (this process's best: the CPU's, capped by FLEXEG_MAX_ISA), avx512, avx2 or portable. The model then runs on CPUs that have it.", valueName: "isa"))
    var target: String = "native"

    func run() throws {
        try reportingErrors {
            let shapes = try inputShapes()
            let target = try Self.parseTarget(target)
            try checkOutputDirectory()
            let progress = TerminalProgress(title: "compiling")
            defer { progress.finish() }

            progress.update(step: "read checkpoint", fraction: 0)
            let checkpoint = try Checkpoint.load(prefix: prefix, epoch: epoch)
            let graph = try Graph(symbol: checkpoint.symbol)
            let parameters = checkpoint.argParams.merging(checkpoint.auxParams) { argument, _ in argument }
            try checkInputs(shapes, graph: graph, parameters: parameters)

            let model = try compile(graph, parameters, shapes, target: target) {
                // Writing the files is the last step, so the compiler's end ("done") is shown as "write".
                if $0.fraction < 1 { progress.update(step: $0.pass, fraction: $0.fraction * 0.95) }
            }
            progress.update(step: "write", fraction: 0.95)
            let compiled = Checkpoint(symbol: model.hostGraph.symbolFile(), argParams: model.argParameters, auxParams: model.auxParameters)
            try compiled.save(prefix: output, epoch: 0)
            progress.finish()
            print(summaryLine(try CompiledModel(describing: model).summary()))
        }
    }

    /// `--target`: `native` is the best instruction set this process may use.
    static func parseTarget(_ text: String) throws -> Fast.InstructionSet {
        if text == "native" { return .active }
        guard let target = Fast.InstructionSet(name: text) else {
            throw CommandLineError("--target '\(text)' is not an instruction set; use native, avx512, avx2 or portable")
        }
        return target
    }

    /// `--input` values by name, each a valid shape given once.
    private func inputShapes() throws -> [String: Shape] {
        var shapes: [String: Shape] = [:]
        for argument in inputs {
            guard let assignment = InputAssignment(argument: argument) else {
                throw CommandLineError("--input '\(argument)' is not NAME=SHAPE (e.g. data=1,3,224,224)")
            }
            guard shapes[assignment.name] == nil else { throw CommandLineError("input '\(assignment.name)' is given twice") }
            shapes[assignment.name] = try assignment.shape()
        }
        return shapes
    }

    /// The directory `--output` names must exist and take new files, checked before the compilation
    /// by creating and removing a probe file (permission bits alone say nothing for root or for
    /// read-only file systems).
    private func checkOutputDirectory() throws {
        let directory = URL(fileURLWithPath: output).deletingLastPathComponent().path
        var isDirectory: ObjCBool = false
        guard FileManager.default.fileExists(atPath: directory, isDirectory: &isDirectory), isDirectory.boolValue else {
            throw CommandLineError("output directory '\(directory)' does not exist; create it or choose another --output prefix")
        }
        if URL(fileURLWithPath: output).standardizedFileURL == URL(fileURLWithPath: prefix).standardizedFileURL {
            throw CommandLineError("--output '\(output)' is the source checkpoint's prefix; choose another, so the source is kept")
        }
        let probe = URL(fileURLWithPath: directory).appendingPathComponent(".flexeg-compile-\(getpid())").path
        guard FileManager.default.createFile(atPath: probe, contents: nil) else {
            throw CommandLineError("output directory '\(directory)' is not writable; choose another --output prefix")
        }
        try? FileManager.default.removeItem(atPath: probe)
    }

    /// Every `--input` names a model input (or a variable inference never reads, such as
    /// `SoftmaxOutput`'s label, which is ignored), and every model input has a shape.
    private func checkInputs(_ shapes: [String: Shape], graph: Graph, parameters: [String: Tensor]) throws {
        let inputs = ModelSummary.inputs(of: graph, parameters: parameters)
        let unused = Set(graph.unusedVariableIndicesAtInference.map { graph.nodes[$0].name })
        for name in shapes.keys.sorted() where !inputs.contains(where: { $0.name == name }) && !unused.contains(name) {
            throw GraphError.unknownInput(name: name, known: inputs.map(\.name))
        }
        for input in inputs where shapes[input.name] == nil {
            let expected = input.shape.map { " (the model takes " + Self.render($0) + ")" } ?? ""
            let example = input.shape.map { dims in dims.map { $0 == 0 ? "N" : String($0) }.joined(separator: ",") } ?? "SHAPE"
            throw CommandLineError("missing the shape of input '\(input.name)'\(expected); add --input \(input.name)=\(example)")
        }
    }

    /// Compiles; when shape inference fails, blames an input whose shape differs from the one the
    /// parameters imply (the weights fix the channel count, say), as `flexeg infer` does, rather than
    /// a node deep inside the graph.
    private func compile(_ graph: Graph, _ parameters: [String: Tensor], _ shapes: [String: Shape], target: Fast.InstructionSet,
                         progress: @escaping (CompileProgress) -> Void) throws -> CompiledCheckpoint {
        let excluded = Set(exclude.flatMap { $0.split(separator: ",").map(String.init) })
        do {
            return try Compiler.compile(graph: graph, parameters: parameters, inputShapes: shapes, cores: cores,
                                        exclude: excluded, target: target, progress: progress)
        } catch {
            guard case .graph(let graphError) = error else { throw error }
            for input in ModelSummary.inputs(of: graph, parameters: parameters) {
                guard let dims = input.shape, let shape = shapes[input.name] else { continue }
                if dims.count != shape.rank || zip(dims, shape.dims).contains(where: { $0 != 0 && $0 != $1 }) {
                    throw CommandLineError("input '\(input.name)' is given shape \(shape); the model takes \(Self.render(dims)) (\(graphError))")
                }
            }
            throw graphError
        }
    }

    /// `(?,3,?,?)`: a partially known shape, 0 shown as `?`.
    private static func render(_ dims: [Int]) -> String {
        "(" + dims.map { $0 == 0 ? "?" : String($0) }.joined(separator: ",") + ")"
    }

    /// One line: cores, each stage's share of the estimated cost, activation and weight memory, files.
    private func summaryLine(_ summary: CompiledModelSummary) -> String {
        let total = summary.stages.reduce(0) { $0 + $1.estimatedMicroseconds }
        let shares = summary.stages.map { stage in
            "\(stage.index): " + String(format: "%.1f%%", total > 0 ? 100 * stage.estimatedMicroseconds / total : 0)
        }
        let activations = summary.stages.reduce(0) { $0 + $1.workspaceBytes + $1.activationBytes }
        let weights = summary.stages.reduce(0) { $0 + $1.weightBytes }
        let host = summary.hostNodes.isEmpty ? "" : ", \(counted(summary.hostNodes.count, "host node"))"
        return "compiled for \(counted(summary.cores, "NeuronCore")) (target \(summary.target))\(host); estimated cost per stage "
            + shares.joined(separator: ", ") + "; peak memory \(formatBytes(activations)) workspace and activations + \(formatBytes(weights)) weights; wrote "
            + Checkpoint.symbolPath(prefix: output) + ", " + Checkpoint.paramsPath(prefix: output, epoch: 0)
    }
}
