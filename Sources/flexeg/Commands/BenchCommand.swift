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

/// `flexeg bench`: measures a model's throughput, latency and achieved GFLOP/s on NeuronCores.
///
/// Compiles the checkpoint in memory for `--cores` cores unless it is already compiled, starts a runtime
/// of `cores × copies` NeuronCores, loads `--copies` instances on consecutive core ranges (copy i on cores
/// `i·K ..< (i+1)·K`), warms up, then keeps `--concurrency` requests in flight per copy (one client thread
/// each, submitting its next request as soon as the previous one completes) for `--iterations` requests
/// or `--duration` seconds. Results go to stdout (text, or JSON with `--json`); progress goes to stderr
/// when it is a terminal.
struct BenchCommand: ParsableCommand {
    static let configuration = CommandConfiguration(
        commandName: "bench",
        abstract: "Measure throughput, latency and GFLOP/s of a model on NeuronCores.",
        discussion: """
            Throughput counts every batch element (inferences/s = requests/s × the first input's batch \
            size). Latency runs from submitting a request to having its outputs. GFLOP/s uses the \
            compiled model's direct FLOP count (a Winograd convolution counts its direct FLOPs).
            --json prints one object: throughput, latency_ms {p50, p90, p99, mean, min, max}, gflops, \
            and the run's settings, per-core busy fractions and the process's CPU use (with --profile, \
            also "steps": every step's name, op, kernel, epilogue, mean milliseconds and GFLOP/s).
            """
    )

    @Argument(help: "Checkpoint prefix: reads PREFIX-symbol.json and PREFIX-EEEE.params (plain or compiled).")
    var prefix: String

    @Option(help: "Checkpoint epoch.")
    var epoch: Int = 0

    @Option(name: .customLong("input"), help: ArgumentHelp(
        "A model input as NAME=SHAPE (random values, e.g. data=1,3,224,224) or NAME=FILE.npy; repeat for each input.",
        valueName: "name=shape|file.npy"))
    var inputs: [InputAssignment] = []

    @Option(help: "NeuronCores per model copy (the pipeline stages it is compiled for).")
    var cores: Int = 1

    @Option(help: "Model copies, loaded on consecutive core ranges.")
    var copies: Int = 1

    @Option(help: "Timed requests in total (instead of --duration).")
    var iterations: Int?

    @Option(help: "Timed seconds (default 5 unless --iterations is given).")
    var duration: Double?

    @Option(help: "Untimed requests per client thread before timing.")
    var warmup: Int = 3

    @Option(help: "Requests in flight per copy (one client thread each).")
    var concurrency: Int = 1

    @Option(help: ArgumentHelp("Afterwards, time every step over N runs on the calling thread and list the slowest.", valueName: "N"))
    var profile: Int?

    @Option(help: ArgumentHelp("Afterwards, write the outputs of one more inference on the NeuronCores to DIR/out_<i>.npy.",
                               valueName: "dir"))
    var outputDir: String?

    @Flag(help: "Print one JSON object instead of text.")
    var json = false

    func run() throws {
        try reportingErrors {
            try checkArguments()
            let progress = ProgressLine(enabled: isatty(STDERR_FILENO) != 0)
            let setup = try BenchSetup.prepare(prefix: prefix, epoch: epoch, inputs: inputs, cores: cores, progress: progress)
            let result = try BenchRun(setup: setup, copies: copies, concurrency: concurrency, warmup: warmup,
                                      limit: iterations.map(BenchRun.Limit.requests) ?? .seconds(duration ?? 5),
                                      outputDirectory: outputDir, progress: progress).execute()
            var steps: [StepProfile] = []
            if let profile {
                progress.show("profiling \(profile) runs")
                let inputs = setup.model.inputs.map { setup.inputs[$0.name]! }
                steps = setup.model.profile(inputs, iterations: profile)
            }
            progress.clear()
            print(json ? result.json(steps: steps) : result.text(steps: steps))
        }
    }

    private func checkArguments() throws {
        guard cores >= 1 else { throw CommandLineError("--cores must be at least 1, got \(cores)") }
        guard copies >= 1 else { throw CommandLineError("--copies must be at least 1, got \(copies)") }
        guard concurrency >= 1 else { throw CommandLineError("--concurrency must be at least 1, got \(concurrency)") }
        guard warmup >= 0 else { throw CommandLineError("--warmup must be 0 or more, got \(warmup)") }
        if iterations != nil && duration != nil { throw CommandLineError("give either --iterations or --duration, not both") }
        if let profile, profile < 1 { throw CommandLineError("--profile must be at least 1 run, got \(profile)") }
        if let iterations, iterations < 1 { throw CommandLineError("--iterations must be at least 1, got \(iterations)") }
        if let duration, !(duration > 0 && duration.isFinite) {
            throw CommandLineError("--duration must be a positive number of seconds, got \(duration)")
        }
        guard !inputs.isEmpty else { throw CommandLineError("give every model input as --input NAME=SHAPE (e.g. --input data=1,3,224,224)") }
    }
}
