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

/// `flexeg run`: a placement scenario. Loads compiled checkpoints at the contexts given (as
/// `sym.bind(ctx: mx.neuron(i))` does), sends every model requests at once and reports what the
/// NeuronCores did: a core map, per-model throughput and latency, per-core executions, switches and
/// busy time, and the runtime's warnings.
struct RunCommand: ParsableCommand {
    static let configuration = CommandConfiguration(
        commandName: "run",
        abstract: "Load compiled models at mx.neuron(i) contexts, drive them all at once, and report the placement.",
        discussion: """
            Each --model NAME=PREFIX@INDEX loads the compiled checkpoint PREFIX (from `flexeg compile`) at \
            context INDEX: in FlexEG mode the model's k stages go on NeuronCores INDEX ..< INDEX+k; when \
            NEURONCORE_GROUP_SIZES is set (e.g. 2,4,3,4), INDEX names a NeuronCore Group. Models may share \
            cores (they then take turns, and the report shows the switches). Requests use random inputs of \
            the compiled shapes. A load that fails ends the command with its error.
            """
    )

    @Option(help: "NeuronCores on the device (default: the host's CPUs, or the instance type's).")
    var cores: Int?

    @Option(help: ArgumentHelp("Instance type whose NeuronCores to use, e.g. inf1.6xlarge (16) or inf1.xlarge (4).", valueName: "type"))
    var instance: String?

    @Option(name: .customLong("model"), help: ArgumentHelp(
        "A compiled checkpoint to load under NAME at context INDEX; repeat for each model.", valueName: "name=prefix@index"))
    var models: [ModelPlacementArgument] = []

    @Option(help: "Checkpoint epoch of every model.")
    var epoch: Int = 0

    @Option(help: "Requests sent to each model.")
    var requests: Int = 64

    @Option(help: "Requests in flight at a time per model (default: the model's NeuronCore count, which fills its pipeline).")
    var concurrency: Int?

    @Flag(help: "Print the report as JSON.")
    var json = false

    @Option(help: ArgumentHelp("Also draw the placement as an SVG picture into FILE.", valueName: "file"))
    var svg: String?

    @Option(help: ArgumentHelp(
        "After the report, keep the models loaded and serving (one request at a time each) for SECONDS, for flexeg ls/top/monitor to watch.",
        valueName: "seconds"))
    var hold: Double?

    func validate() throws {
        guard !models.isEmpty else { throw ValidationError("give at least one --model NAME=PREFIX@INDEX") }
        if cores != nil && instance != nil { throw ValidationError("give either --cores or --instance, not both") }
        if let cores, cores < 1 { throw ValidationError("--cores must be at least 1; it is \(cores)") }
        guard requests >= 1 else { throw ValidationError("--requests must be at least 1; it is \(requests)") }
        if let concurrency, concurrency < 1 { throw ValidationError("--concurrency must be at least 1; it is \(concurrency)") }
        if let hold, !(hold >= 0 && hold.isFinite) { throw ValidationError("--hold must be 0 or more seconds; it is \(hold)") }
        var seen = Set<String>()
        for model in models where !seen.insert(model.name).inserted {
            throw ValidationError("model name '\(model.name)' is given twice; give each --model its own NAME")
        }
    }

    func run() throws {
        try reportingErrors {
            let instanceType = try instance.map { name throws(RuntimeError) in try InstanceType(named: name) }
            let started = ContinuousClock.now
            let runtime = try NeuronRuntime(RuntimeConfiguration(deviceCoreCount: cores, instanceType: instanceType))
            defer { try? runtime.shutdown() }

            var scenario = PlacementScenario(runtime: runtime, started: started, allWarnings: true)
            for model in models {
                let executor: Executor
                do {
                    let (symbol, args, aux) = try mx.model.loadCheckpoint(model.prefix, epoch)
                    executor = try Symbol(graph: symbol.graph, name: model.name)
                        .bind(ctx: mx.neuron(model.context), args: args, auxStates: aux, gradReq: .null, runtime: runtime)
                } catch {
                    throw CommandLineError("cannot load model '\(model.name)' from \(model.prefix) at mx.neuron(\(model.context)): \(error)")
                }
                scenario.entries.append(PlacementScenario.Entry(
                    name: model.name, executor: executor,
                    inputs: PlacementScenario.randomInputs(for: executor, count: 4),
                    concurrency: concurrency ?? executor.loadedModel?.cores.count ?? 1))
            }
            let report = try scenario.measure(requests: requests)
            print(json ? report.json() : report.text())
            if let svg { try SVGCoreMap(map: report.coreMap, title: "flexeg run: \(report.device.processCores) NeuronCores").write(to: svg) }
            if let hold {
                fflush(nil)
                scenario.serve(for: hold)
            }
        }
    }
}
