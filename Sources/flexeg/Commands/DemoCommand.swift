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

/// `flexeg demo`: the seed's example end to end. Four small MXNet models (shipped with flexeg) are
/// compiled for 2, 4 and 3 and 4 NeuronCores and placed on an inf1.6xlarge's 16 cores the ways the
/// seed describes, each scene measured: disjoint at 0, 2, 6, 9; remapped without restarting; the bad
/// placement where B and C share core 5; legacy NeuronCore Groups `2,4,3,4`; and a load that fails.
struct DemoCommand: ParsableCommand {
    static let configuration = CommandConfiguration(
        commandName: "demo",
        abstract: "The seed's FlexEG example: four models placed, remapped, sharing a core, in NeuronCore Groups, and a load that fails.",
        discussion: """
            The demo makes its own devices (an inf1.6xlarge's 16 NeuronCores, an inf1.xlarge's 4); of the \
            environment it reads only FLEXEG_RUNTIME_DIR (where NeuronCore locks live).
            """
    )

    @Option(help: "Requests sent to each model in each scene.")
    var requests: Int = 48

    @Flag(help: "Print the whole demo as one JSON document.")
    var json = false

    static let device = "inf1.6xlarge"
    static let smallDevice = "inf1.xlarge"

    /// The demo's runtimes see only `FLEXEG_RUNTIME_DIR` of the process's environment: the demo
    /// chooses cores and groups itself.
    static var environment: [String: String] {
        ProcessInfo.processInfo.environment.filter { $0.key == "FLEXEG_RUNTIME_DIR" }
    }

    func validate() throws {
        guard requests >= 1 else { throw ValidationError("--requests must be at least 1; it is \(requests)") }
    }

    func run() throws {
        try reportingErrors { try runDemo() }
    }

    private func say(_ text: String = "") {
        if !json { print(text) }
    }

    private func runDemo() throws {
        let instance = try InstanceType(named: Self.device)
        let hostCPUs = HostCPUs.available().count
        say("FlexEG demo: the seed's models A, B, C and D on an \(instance.name) (\(instance.coreCount) NeuronCores), "
            + "\(requests) requests per model per scene")
        say()

        let directory = try DemoModel.directory
        let models = try DemoModel.catalog.map { try DemoModel.load(letter: $0.letter, source: $0.source, cores: $0.cores, from: directory) }
        let byLetter = Dictionary(uniqueKeysWithValues: models.map { ($0.letter, $0) })
        for model in models {
            say("  \(model.letter)  \(model.source)  compiled for \(model.cores) NeuronCores in \(String(format: "%.2f", model.compileSeconds)) s  (\(model.summary))")
        }

        let environment = Self.environment
        // Warnings about the host (oversubscribed or unpinned cores) are shown once, from the first runtime.
        var hostWarnings: [String] = []
        var shownKinds: Set<RuntimeWarning.Kind> = []
        func start(_ configuration: RuntimeConfiguration) throws -> (NeuronRuntime, ContinuousClock.Instant) {
            let started = ContinuousClock.now
            let runtime = try NeuronRuntime(configuration)
            for warning in runtime.warnings where warning.kind != .sharedCores && shownKinds.insert(warning.kind).inserted {
                hostWarnings.append(warning.message)
                say()
                say("note: " + warning.message + ".")
                if warning.kind == .oversubscribedCores {
                    say("      Throughput here is what \(hostCPUs) CPU\(hostCPUs == 1 ? "" : "s") give; placements, switches and outputs are exact.")
                }
            }
            return (runtime, started)
        }

        var scenes: [DemoReport.Scene] = []
        // Scenes 1-3: one FlexEG runtime; models are unloaded and loaded again while it lives.
        let (flexRuntime, flexStarted) = try start(RuntimeConfiguration(instanceType: instance, environment: environment))
        do {
            defer { try? flexRuntime.shutdown() }
            scenes.append(try scene(
                "disjoint", "1. FlexEG: A, B, C and D at mx.neuron(0), (2), (6) and (9): no NeuronCore shared, all four run in parallel",
                flexRuntime, flexStarted, [("A", 0), ("B", 2), ("C", 6), ("D", 9)], byLetter))
            scenes.append(try scene(
                "remapped", "2. Remapped without restarting: C, A, D and B at mx.neuron(0), (3), (5) and (9) (the models were unloaded and loaded again)",
                flexRuntime, flexStarted, [("C", 0), ("A", 3), ("D", 5), ("B", 9)], byLetter))
            scenes.append(try scene(
                "shared", "3. The bad placement: A, B, C and D at mx.neuron(0), (2), (5) and (9): B (2-5) and C (5-7) share NeuronCore 5",
                flexRuntime, flexStarted, [("A", 0), ("B", 2), ("C", 5), ("D", 9)], byLetter))
            try flexRuntime.shutdown()
        }

        // Scene 4: a new runtime with NeuronCore Groups fixed at start.
        var groupEnvironment = environment
        groupEnvironment["NEURONCORE_GROUP_SIZES"] = "2,4,3,4"
        let (groupRuntime, groupStarted) = try start(RuntimeConfiguration(instanceType: instance, environment: groupEnvironment))
        do {
            defer { try? groupRuntime.shutdown() }
            var groups = try scene(
                "ncg", "4. NeuronCore Groups (NEURONCORE_GROUP_SIZES=2,4,3,4): A, B, C and D at mx.neuron(0), (1), (2) and (3) name groups 0-3",
                groupRuntime, groupStarted, [("A", 0), ("B", 1), ("C", 2), ("D", 3)], byLetter)
            let cores = { (scene: DemoReport.Scene) in
                Dictionary(uniqueKeysWithValues: (scene.placement?.models ?? []).map { ($0.name, $0.cores) })
            }
            groups.sameCoresAsDisjoint = cores(groups) == cores(scenes[0])
            say(groups.sameCoresAsDisjoint == true
                ? "Same NeuronCores as scene 1 (FlexEG at 0, 2, 6, 9)."
                : "NeuronCores differ from scene 1: \(cores(groups)) vs \(cores(scenes[0]))")
            scenes.append(groups)
            try groupRuntime.shutdown()
        }

        // Scene 5: the seed's failing load.
        scenes.append(try failingLoad(byLetter["A"]!, start: start))

        let errors = scenes.compactMap(\.outputsMaxRelativeError)
        let maxError = errors.max() ?? .infinity
        let tolerance = models.map(\.tolerance).min() ?? 0
        let outputs = DemoReport.Outputs(match: maxError <= tolerance, maxRelativeError: maxError, tolerance: tolerance)
        say()
        say(outputs.match
            ? "Outputs match MXNet in every scene (max relative L2 error \(Self.scientific(maxError)), tolerance \(Self.scientific(tolerance)))."
            : "Outputs DIFFER from MXNet: max relative L2 error \(Self.scientific(maxError)) exceeds \(Self.scientific(tolerance)).")
        if json {
            let report = DemoReport(
                device: .init(instance: instance.name, cores: instance.coreCount, hostCPUs: hostCPUs),
                warnings: hostWarnings,
                models: models.map { .init(name: $0.letter, source: $0.source, description: $0.summary, cores: $0.cores, compileSeconds: $0.compileSeconds) },
                scenes: scenes, outputs: outputs)
            print(PlacementReport.encode(report))
        }
        if !outputs.match { throw ExitCode.failure }
    }

    /// Binds each `(letter, context)` as the seed does (`sym.bind(ctx: mx.neuron(i), ...)`), sends
    /// every model `requests` requests at once, checks each model's output on MXNet's input, prints
    /// the scene and unloads the models.
    private func scene(
        _ name: String, _ title: String, _ runtime: NeuronRuntime, _ started: ContinuousClock.Instant,
        _ placements: [(String, Int)], _ models: [String: DemoModel]
    ) throws -> DemoReport.Scene {
        say()
        say(title)
        var scenario = PlacementScenario(runtime: runtime, started: started)
        var executors: [Executor] = []
        defer { for executor in executors { try? executor.unload() } }
        for (letter, context) in placements {
            let model = models[letter]!
            let executor = try model.symbol.bind(ctx: mx.neuron(context), args: model.args, auxStates: model.aux, gradReq: .null, runtime: runtime)
            executors.append(executor)
            scenario.entries.append(PlacementScenario.Entry(
                name: letter, executor: executor, inputs: PlacementScenario.randomInputs(for: executor, count: 4), concurrency: model.cores))
        }
        let report = try scenario.measure(requests: requests)
        var maxError = 0.0
        for (executor, (letter, _)) in zip(executors, placements) {
            maxError = max(maxError, models[letter]!.relativeError(of: try executor.forward(data: models[letter]!.input)))
        }
        for executor in executors { try executor.unload() }
        say()
        say(report.text())
        say("Outputs on MXNet's inputs match MXNet's: max relative L2 error \(Self.scientific(maxError)).")
        return DemoReport.Scene(name: name, title: title, placement: report, outputsMaxRelativeError: maxError)
    }

    /// The seed's failing load: a 2-core model at `mx.neuron(3)` on a 4-core device; then the valid
    /// start indexes the error names, each loaded for real.
    private func failingLoad(
        _ model: DemoModel, start: (RuntimeConfiguration) throws -> (NeuronRuntime, ContinuousClock.Instant)
    ) throws -> DemoReport.Scene {
        let small = try InstanceType(named: Self.smallDevice)
        let title = "5. A load that fails: \(model.letter) needs \(model.cores) NeuronCores; an \(small.name) has \(small.coreCount), so mx.neuron(3) leaves 1"
        say()
        say(title)
        let (runtime, _) = try start(RuntimeConfiguration(instanceType: small, environment: Self.environment))
        defer { try? runtime.shutdown() }
        let context = small.coreCount - 1
        let failure: RuntimeError
        do {
            let executor = try model.symbol.bind(ctx: mx.neuron(context), args: model.args, auxStates: model.aux, gradReq: .null, runtime: runtime)
            try executor.unload()
            throw CommandLineError("loading \(model.letter) at mx.neuron(\(context)) on \(small.coreCount) NeuronCores succeeded; it must fail")
        } catch let error as RuntimeError {
            failure = error
        }
        guard case .notEnoughCores(_, _, _, _, let validStarts) = failure else { throw failure }
        say("error: \(failure)")
        var loadedAt: [Int] = []
        for start in validStarts {
            let executor = try model.symbol.bind(ctx: mx.neuron(start), args: model.args, auxStates: model.aux, gradReq: .null, runtime: runtime)
            let cores = executor.loadedModel?.cores ?? []
            try executor.unload()
            say("  mx.neuron(\(start)) loads \(model.letter) on NeuronCores \(PlacementReport.coreRange(cores))")
            loadedAt.append(start)
        }
        try runtime.shutdown()
        return DemoReport.Scene(
            name: "failing_load", title: title,
            failedLoad: .init(model: model.letter, context: context, deviceCores: small.coreCount, error: failure.description,
                              validStarts: validStarts, loadedAt: loadedAt))
    }

    static func scientific(_ value: Double) -> String { String(format: "%.1e", value) }
}
