import FlexArtifact
import FlexCompiler
import FlexEG
import FlexExecution
import FlexGraph
import FlexKernels
import FlexRuntime
import FlexTestSupport
import Foundation
import MXNetFormat
import Testing

/// The MXNet-style facade as the seed writes it: `mx.model.loadCheckpoint`, `sym.bind(ctx:
/// mx.neuron(i), ...)`, `forward(data:)`, on the seed's four models (the demo models A, B, C, D,
/// compiled for 2, 4, 3 and 4 NeuronCores) on a 16-core device. Outputs are checked against MXNet's.
///
/// Serialized: the seed's code binds to the process's runtime (`mx.useRuntime`), which is global.
@Suite("MXNet facade", .serialized)
struct FacadeTests {
    /// A demo model: its compiled checkpoint, MXNet's input and output.
    struct Model {
        let prefix: String
        let plainPrefix: String
        let input: NDArray
        let expected: Tensor
        let tolerance: Double
    }

    let scratch: TemporaryDirectory
    let models: [String: Model]

    /// Compiles A, B, C and D into `scratch` as checkpoints `<letter>-0000.params`.
    init() throws {
        scratch = try TemporaryDirectory(prefix: "facade")
        var models: [String: Model] = [:]
        for (letter, source, cores) in [("A", "model_a", 2), ("B", "model_b", 4), ("C", "model_c", 3), ("D", "model_d", 4)] {
            let directory = RepositoryPaths.root() + "/Sources/flexeg/DemoModels/" + source
            let fixture = try Fixture(directory: directory)
            // As Neuron-MXNet users compile: mx.contrib.neuron.compile(sym, args, aux, inputs), then save.
            let (symbol, args, aux) = try mx.model.loadCheckpoint(directory + "/" + source, 0)
            let example = ["data": NDArray(Tensor(zeros: [1, 3, 32, 32]))]
            let (csym, cargs, caux) = try mx.contrib.neuron.compile(symbol, args, aux, inputs: example, cores: cores)
            let prefix = scratch.path + "/" + letter
            try mx.model.saveCheckpoint(prefix, 0, csym, cargs, caux)
            models[letter] = Model(
                prefix: prefix, plainPrefix: directory + "/" + source,
                input: NDArray(try fixture.inputs()["data"]!), expected: try fixture.expectedOutputs()[0], tolerance: fixture.manifest.tolerance)
        }
        self.models = models
    }

    /// A 16-NeuronCore runtime (unpinned threads, its own lock directory), made the process's runtime
    /// for `body`, shut down afterwards.
    func withDevice<Result>(groups: String? = nil, _ body: (NeuronRuntime) throws -> Result) throws -> Result {
        let locks = try TemporaryDirectory(prefix: "facade-cores")
        var environment = ["FLEXEG_RUNTIME_DIR": locks.path]
        environment["NEURONCORE_GROUP_SIZES"] = groups
        let runtime = try NeuronRuntime(RuntimeConfiguration(deviceCoreCount: 16, environment: environment, pinThreads: false))
        defer { try? runtime.shutdown() }
        mx.useRuntime(runtime)
        return try body(runtime)
    }

    func expectMXNetOutput(_ results: [NDArray], _ letter: String, sourceLocation: SourceLocation = #_sourceLocation) {
        let model = models[letter]!
        #expect(results.count == 1, sourceLocation: sourceLocation)
        guard let output = results.first else { return }
        #expect(output.shape == model.expected.shape.dims, sourceLocation: sourceLocation)
        let error = relativeL2Error(output.tensor, model.expected)
        #expect(error <= model.tolerance, "model \(letter): relative L2 error \(error)", sourceLocation: sourceLocation)
    }

    // MARK: The seed's code

    @Test func seedFlexEGPlacementThenRemappedWithoutRestarting() throws {
        try withDevice { runtime in
            let (mx_model0_file, mx_model1_file, mx_model2_file, mx_model3_file) =
                (models["A"]!.prefix, models["B"]!.prefix, models["C"]!.prefix, models["D"]!.prefix)
            let (inputs0, inputs1, inputs2, inputs3) = (models["A"]!.input, models["B"]!.input, models["C"]!.input, models["D"]!.input)

            // Load models (MXNet)
            // loaded into the 2 cores starting with core 0
            var (sym, args, aux) = try mx.model.loadCheckpoint(mx_model0_file, 0)
            var model0: Executor? = try sym.bind(ctx: mx.neuron(0), args: args, auxStates: aux, gradReq: .null)
            // loaded into the 4 cores starting with core 2
            (sym, args, aux) = try mx.model.loadCheckpoint(mx_model1_file, 0)
            var model1: Executor? = try sym.bind(ctx: mx.neuron(2), args: args, auxStates: aux, gradReq: .null)
            // loaded into the 3 cores starting with core 6
            (sym, args, aux) = try mx.model.loadCheckpoint(mx_model2_file, 0)
            var model2: Executor? = try sym.bind(ctx: mx.neuron(6), args: args, auxStates: aux, gradReq: .null)
            // loaded into the 4 cores starting with core 9
            (sym, args, aux) = try mx.model.loadCheckpoint(mx_model3_file, 0)
            var model3: Executor? = try sym.bind(ctx: mx.neuron(9), args: args, auxStates: aux, gradReq: .null)

            // run inference by simply calling the loaded model
            let results0 = try model0!.forward(data: inputs0)
            let results1 = try model1!.forward(data: inputs1)
            let results2 = try model2!.forward(data: inputs2)
            let results3 = try model3!.forward(data: inputs3)

            for (results, letter) in [(results0, "A"), (results1, "B"), (results2, "C"), (results3, "D")] { expectMXNetOutput(results, letter) }
            #expect([model0, model1, model2, model3].map { $0?.loadedModel?.cores } == [[0, 1], [2, 3, 4, 5], [6, 7, 8], [9, 10, 11, 12]])
            #expect(!runtime.warnings.contains { $0.kind == .sharedCores })
            #expect(runtime.snapshot().cores.allSatisfy { $0.switches == 0 })

            // Without closing the application: release the executors (which unloads them) and map
            // C to mx.neuron(0), A to mx.neuron(3), D to mx.neuron(5) and B to mx.neuron(9).
            (model0, model1, model2, model3) = (nil, nil, nil, nil)
            #expect(runtime.loadedModels.isEmpty)
            (sym, args, aux) = try mx.model.loadCheckpoint(mx_model2_file, 0)
            model2 = try sym.bind(ctx: mx.neuron(0), args: args, auxStates: aux, gradReq: .null)
            (sym, args, aux) = try mx.model.loadCheckpoint(mx_model0_file, 0)
            model0 = try sym.bind(ctx: mx.neuron(3), args: args, auxStates: aux, gradReq: .null)
            (sym, args, aux) = try mx.model.loadCheckpoint(mx_model3_file, 0)
            model3 = try sym.bind(ctx: mx.neuron(5), args: args, auxStates: aux, gradReq: .null)
            (sym, args, aux) = try mx.model.loadCheckpoint(mx_model1_file, 0)
            model1 = try sym.bind(ctx: mx.neuron(9), args: args, auxStates: aux, gradReq: .null)
            #expect([model0, model1, model2, model3].map { $0?.loadedModel?.cores } == [[3, 4], [9, 10, 11, 12], [0, 1, 2], [5, 6, 7, 8]])
            expectMXNetOutput(try model0!.forward(data: inputs0), "A")
            expectMXNetOutput(try model1!.forward(data: inputs1), "B")
            expectMXNetOutput(try model2!.forward(data: inputs2), "C")
            expectMXNetOutput(try model3!.forward(data: inputs3), "D")
            #expect(!runtime.warnings.contains { $0.kind == .sharedCores })
        }
    }

    @Test func seedNeuronCoreGroupsGiveTheSameCores() throws {
        try withDevice(groups: "2,4,3,4") { runtime in
            #expect(runtime.placementMode == .neuronCoreGroups([0..<2, 2..<6, 6..<9, 9..<13]))
            var executors: [Executor] = []
            // loaded into the first group of NC0-NC1, the second of NC2-NC5, the third of NC6-NC8, the fourth of NC9-NC12
            for (group, letter) in ["A", "B", "C", "D"].enumerated() {
                let (sym, args, aux) = try mx.model.loadCheckpoint(models[letter]!.prefix, 0)
                executors.append(try sym.bind(ctx: mx.neuron(group), args: args, auxStates: aux, gradReq: .null))
            }
            #expect(executors.map { $0.loadedModel?.cores } == [[0, 1], [2, 3, 4, 5], [6, 7, 8], [9, 10, 11, 12]])
            for (executor, letter) in zip(executors, ["A", "B", "C", "D"]) {
                expectMXNetOutput(try executor.forward(data: models[letter]!.input), letter)
            }
            // A 4-core model does not fit group 0 (2 cores).
            let (sym, args, aux) = try mx.model.loadCheckpoint(models["B"]!.prefix, 0)
            #expect(throws: RuntimeError.groupTooSmall(model: "B", needed: 4, group: 0, groupSizes: [2, 4, 3, 4])) {
                try sym.bind(ctx: mx.neuron(0), args: args, auxStates: aux, gradReq: .null)
            }
            #expect(runtime.loadedModels.count == 4)
        }
    }

    @Test func seedBadPlacementSharesCoreFiveAndSwitches() throws {
        try withDevice { runtime in
            var executors: [String: Executor] = [:]
            for (letter, context) in [("A", 0), ("B", 2), ("C", 5), ("D", 9)] {
                let (sym, args, aux) = try mx.model.loadCheckpoint(models[letter]!.prefix, 0)
                executors[letter] = try sym.bind(ctx: mx.neuron(context), args: args, auxStates: aux, gradReq: .null)
            }
            let shared = runtime.warnings.filter { $0.kind == .sharedCores }
            #expect(shared.map(\.models) == [["B", "C"]])
            #expect(shared.map(\.cores) == [[5]])
            // B and C alternate on core 5: every request after the first needs a switch there.
            for _ in 0..<3 {
                expectMXNetOutput(try executors["C"]!.forward(data: models["C"]!.input), "C")
                expectMXNetOutput(try executors["B"]!.forward(data: models["B"]!.input), "B")
            }
            let snapshot = runtime.snapshot()
            #expect(snapshot.cores[5].switches >= 5)
            #expect(snapshot.cores.filter { $0.index != 5 }.allSatisfy { $0.switches == 0 })
        }
    }

    @Test func twoCoreModelOnFourCoresStartsAtZeroToTwo() throws {
        let locks = try TemporaryDirectory(prefix: "facade-cores")
        let runtime = try NeuronRuntime(RuntimeConfiguration(
            instanceType: InstanceType(named: "inf1.xlarge"), environment: ["FLEXEG_RUNTIME_DIR": locks.path], pinThreads: false))
        defer { try? runtime.shutdown() }
        let (sym, args, aux) = try mx.model.loadCheckpoint(models["A"]!.prefix, 0)
        for start in 0...2 {
            let model = try sym.bind(ctx: mx.neuron(start), args: args, auxStates: aux, gradReq: .null, runtime: runtime)
            #expect(model.loadedModel?.cores == [start, start + 1])
        }
        #expect(throws: RuntimeError.notEnoughCores(model: "A", needed: 2, start: 3, available: 4, validStarts: [0, 1, 2])) {
            try sym.bind(ctx: mx.neuron(3), args: args, auxStates: aux, gradReq: .null, runtime: runtime)
        }
        #expect(runtime.loadedModels.isEmpty)
    }

    // MARK: Contexts and errors

    /// A wrong input is the same `GraphError` whether the model runs on the CPU or on NeuronCores.
    @Test func wrongInputsGiveTheSameErrorOnEveryContext() throws {
        try withDevice { _ in
            let model = models["B"]!
            let (sym, args, aux) = try mx.model.loadCheckpoint(model.prefix, 0)
            #expect(sym.isCompiled)
            let onCPU = try sym.bind(ctx: mx.cpu(), args: args, auxStates: aux)
            let onCores = try sym.bind(ctx: mx.neuron(2), args: args, auxStates: aux)
            let wrongShape = NDArray(Tensor(zeros: [1, 3, 16, 16]))
            let cases: [([String: NDArray], GraphError)] = [
                (["data": wrongShape], .inputShapeMismatch(name: "data", expected: [1, 3, 32, 32], actual: [1, 3, 16, 16])),
                (["image": model.input], .unknownInput(name: "image", known: ["data"])),
                ([:], .missingInput(name: "data", expected: [1, 3, 32, 32])),
            ]
            for (inputs, expected) in cases {
                #expect(throws: expected) { try onCPU.forward(inputs) }
                #expect(throws: expected) { try onCores.forward(inputs) }
            }
            expectMXNetOutput(try onCPU.forward(data: model.input), "B")
            expectMXNetOutput(try onCores.forward(data: model.input), "B")
        }
    }

    @Test func uncompiledSymbolOnANeuronCoreSaysToCompileFirst() throws {
        try withDevice { runtime in
            let (sym, args, aux) = try mx.model.loadCheckpoint(models["A"]!.plainPrefix, 0)
            #expect(!sym.isCompiled)
            do {
                _ = try sym.bind(ctx: mx.neuron(0), args: args, auxStates: aux, gradReq: .null)
                Issue.record("binding an uncompiled symbol to mx.neuron(0) must fail")
            } catch let error as FacadeError {
                #expect(error == .notCompiled(context: mx.neuron(0)))
                #expect(error.description.contains("compile it first"))
                #expect(error.description.contains("mx.cpu()"))
            }
            #expect(runtime.loadedModels.isEmpty)
            #expect(throws: FacadeError.trainingUnsupported(.write)) {
                try sym.bind(ctx: mx.cpu(), args: args, auxStates: aux, gradReq: .write)
            }
        }
    }

    @Test func cpuContextRunsPlainAndCompiledCheckpoints() throws {
        for letter in ["A", "C"] {
            for prefix in [models[letter]!.plainPrefix, models[letter]!.prefix] {
                let (sym, args, aux) = try mx.model.loadCheckpoint(prefix, 0)
                let model = try sym.bind(ctx: mx.cpu(), args: args, auxStates: aux, gradReq: .null)
                #expect(model.context == mx.cpu())
                #expect(model.loadedModel == nil)
                #expect(model.inputNames == ["data"])
                expectMXNetOutput(try model.forward(data: models[letter]!.input), letter)
                expectMXNetOutput(try model.forward(["data": models[letter]!.input]), letter)
            }
        }
    }

    // MARK: Async, unloading, concurrency

    @Test func asyncForwardFromManyTasks() async throws {
        let locks = try TemporaryDirectory(prefix: "facade-cores")
        let runtime = try NeuronRuntime(RuntimeConfiguration(deviceCoreCount: 16, environment: ["FLEXEG_RUNTIME_DIR": locks.path], pinThreads: false))
        defer { try? runtime.shutdown() }
        let (sym, args, aux) = try mx.model.loadCheckpoint(models["B"]!.prefix, 0)
        let model = try sym.bind(ctx: mx.neuron(2), args: args, auxStates: aux, gradReq: .null, runtime: runtime)
        let input = models["B"]!.input
        let results = try await withThrowingTaskGroup(of: [NDArray].self) { group in
            for _ in 0..<24 { group.addTask { try await model.forward(data: input) } }
            return try await group.reduce(into: []) { $0.append($1) }
        }
        #expect(results.count == 24)
        for result in results { expectMXNetOutput(result, "B") }
        #expect(runtime.snapshot().models.first?.inferences == 24)
    }

    @Test func unloadExplicitlyAndOnRelease() throws {
        try withDevice { runtime in
            let (sym, args, aux) = try mx.model.loadCheckpoint(models["C"]!.prefix, 0)
            let idle = runtime.snapshot().cores.map(\.memoryUsedBytes)
            let explicit = try sym.bind(ctx: mx.neuron(0), args: args, auxStates: aux, gradReq: .null)
            #expect(runtime.snapshot().cores[0].memoryUsedBytes > idle[0])
            try explicit.unload()
            #expect(runtime.loadedModels.isEmpty)
            #expect(runtime.snapshot().cores.map(\.memoryUsedBytes) == idle)
            #expect(throws: RuntimeError.modelUnloaded(model: "C")) { try explicit.forward(data: models["C"]!.input) }
            try explicit.unload()

            do {
                let released = try sym.bind(ctx: mx.neuron(4), args: args, auxStates: aux, gradReq: .null)
                #expect(runtime.loadedModels.map(\.cores) == [[4, 5, 6]])
                expectMXNetOutput(try released.forward(data: models["C"]!.input), "C")
            }
            #expect(runtime.loadedModels.isEmpty)
            #expect(runtime.snapshot().cores.map(\.memoryUsedBytes) == idle)
        }
    }

    @Test func loadsAndUnloadsWhileOthersServe() throws {
        try withDevice { runtime in
            let serving = try ["A", "B"].enumerated().map { index, letter in
                let (sym, args, aux) = try mx.model.loadCheckpoint(models[letter]!.prefix, 0)
                return try sym.bind(ctx: mx.neuron(index * 2), args: args, auxStates: aux, gradReq: .null)
            }
            let requests = 40
            let outcomes = Outcomes()
            let group = DispatchGroup()
            for (executor, letter) in zip(serving, ["A", "B"]) {
                for _ in 0..<2 {
                    group.enter()
                    let model = models[letter]!
                    Thread {
                        for _ in 0..<(requests / 2) {
                            do {
                                let output = try executor.forward(data: model.input)
                                outcomes.record(letter, correct: relativeL2Error(output[0].tensor, model.expected) <= model.tolerance)
                            } catch {
                                outcomes.record(letter, correct: false)
                            }
                        }
                        group.leave()
                    }.start()
                }
            }
            // Meanwhile C and D come and go on the other cores, sometimes sharing B's last core.
            var cycles = 0
            repeat {
                for (letter, context) in [("C", 6), ("D", 9), ("C", 5), ("D", 12)] {
                    let (sym, args, aux) = try mx.model.loadCheckpoint(models[letter]!.prefix, 0)
                    let guest = try sym.bind(ctx: mx.neuron(context), args: args, auxStates: aux, gradReq: .null)
                    expectMXNetOutput(try guest.forward(data: models[letter]!.input), letter)
                    try guest.unload()
                }
                cycles += 1
            } while outcomes.total < 2 * requests && cycles < 50
            group.wait()
            #expect(outcomes.counts == ["A": requests, "B": requests])
            #expect(outcomes.failures == 0)
            #expect(runtime.loadedModels.map(\.name) == ["A", "B"])
            #expect(runtime.snapshot().models.allSatisfy { $0.errors == 0 })
        }
    }
}

/// Requests completed per model and how many went wrong, from many threads.
private final class Outcomes: @unchecked Sendable {
    private let lock = NSLock()
    private var completed: [String: Int] = [:]
    private var wrong = 0

    func record(_ model: String, correct: Bool) {
        lock.lock()
        defer { lock.unlock() }
        if correct { completed[model, default: 0] += 1 } else { wrong += 1 }
    }

    var counts: [String: Int] { lock.lock(); defer { lock.unlock() }; return completed }
    var failures: Int { lock.lock(); defer { lock.unlock() }; return wrong }
    var total: Int { lock.lock(); defer { lock.unlock() }; return completed.values.reduce(0, +) + wrong }
}
