import CFlexShims
import FlexEG
import Foundation

// The one file of FlexServer that touches FlexEG's runtime and compiler (`NeuronRuntime`,
// `Checkpoint`, `Graph`, `Compiler`, `CompiledModel`, `CompiledPipelineModel`, `LoadedModel`,
// `RuntimeSnapshot`, `RuntimeError`, `Tensor`). Everything else in FlexServer speaks the types
// declared here and in `Protocol/` (`TensorData`, `ServerError`), so a change of the library's API is
// a change of this file only.

/// Which device the server's runtime takes: `cores` NeuronCores, or those of an instance type, or
/// (neither) one per host CPU. `environment` is where `NEURON_RT_VISIBLE_CORES`,
/// `NEURON_RT_NUM_CORES`, `NEURONCORE_GROUP_SIZES` and `FLEXEG_RUNTIME_DIR` are read.
public struct DeviceOptions: Sendable {
    public var cores: Int?
    public var instance: String?
    public var environment: [String: String]

    public init(cores: Int? = nil, instance: String? = nil, environment: [String: String] = ProcessInfo.processInfo.environment) {
        self.cores = cores
        self.instance = instance
        self.environment = environment
    }
}

/// One NeuronCore's counters, for `/metrics`. Core numbers are context indexes (`mx.neuron(i)`).
struct CoreStatus: Sendable {
    var index: Int
    var deviceCore: Int
    var utilization: Double
    var executions: Int
    var switches: Int
    var switchSeconds: Double
    var memoryUsedBytes: Int
    var memoryBudgetBytes: Int
}

/// One loaded instance as the runtime sees it: its id (`HostedInstance.id`), cores and state
/// (`READY`: active on all its cores; `STANDBY`: a switch is needed on at least one).
struct InstanceStatus: Sendable {
    var id: Int
    var cores: [Int]
    var state: String
    var inFlight: Int
}

/// The runtime at one moment (parts consistent each, not one atomic instant).
struct HostSnapshot: Sendable {
    var deviceCoreCount: Int
    var cores: [CoreStatus]
    var instances: [Int: InstanceStatus]
}

/// A checkpoint read (and compiled if it was plain) and ready to be loaded at a context, any number
/// of times. Immutable; its weights are shared by every instance loaded from it.
final class PreparedModel: Sendable {
    let name: String
    /// NeuronCores it needs: its pipeline's stage count.
    let coreCount: Int
    let inputs: [TensorDescription]
    let outputs: [TensorDescription]
    /// The checkpoint prefix it was read from (the compiled cache's when one was used or written).
    let source: String
    /// How it came to be: `"compiled checkpoint"`, `"compiled at load"`, `"compiled cache"`.
    let origin: String
    fileprivate let pipeline: CompiledPipelineModel

    fileprivate init(name: String, pipeline: CompiledPipelineModel, source: String, origin: String) {
        self.name = name
        self.pipeline = pipeline
        self.coreCount = pipeline.stageCount
        self.inputs = pipeline.inputs.map(ModelHost.describe)
        self.outputs = pipeline.outputs.map(ModelHost.describe)
        self.source = source
        self.origin = origin
    }
}

/// Where one inference spent its time, nanoseconds: from arrival until the first core began it
/// (`queue`: waiting in the dynamic batcher's queue, for an in-flight slot and in the core's run
/// queue), and from then until its
/// outputs were in (`infer`: the cores' work, with the hand-offs between pipeline stages).
/// `stacking`: copying its batch into the compiled batch's input (a model served at
/// `max_batch_size` > 0; Triton counts such input preparation as compute input), outside
/// both of the others. `executionBatchSize`: the batch elements of the model execution that served
/// the request (1 for a model without a batch dimension), on the one request that counts that
/// execution (Triton's `execution_count` and `batch_stats`); nil on the others a dynamic batch combined.
struct InferenceTiming: Sendable {
    var queueNanoseconds: UInt64
    var inferNanoseconds: UInt64
    var stackingNanoseconds: UInt64 = 0
    var executionBatchSize: Int? = 1

    /// `duration` in whole nanoseconds (0 when negative).
    static func nanoseconds(_ duration: Duration) -> UInt64 {
        let (seconds, attoseconds) = duration.components
        return UInt64(max(0, seconds)) * 1_000_000_000 + UInt64(max(0, attoseconds / 1_000_000_000))
    }
}

/// One copy of a model loaded on NeuronCores. `infer` may be called from any task at once (requests
/// pipeline through the cores); `unload` blocks its thread until in-flight requests finish, so the
/// server calls it off the cooperative pool (`ModelManager`'s loader thread).
final class HostedInstance: Sendable {
    private let loaded: LoadedModel
    let prepared: PreparedModel

    fileprivate init(loaded: LoadedModel, prepared: PreparedModel) {
        self.loaded = loaded
        self.prepared = prepared
    }

    /// The runtime's id of this instance (keys `HostSnapshot.instances`).
    var id: Int { loaded.id }
    /// Context index it was loaded at (a core, or a group in NeuronCore Group mode).
    var context: Int { loaded.context }
    /// Context indexes of its cores, stage 0 first.
    var cores: [Int] { loaded.cores }
    var isLoaded: Bool { loaded.isLoaded }

    /// Runs one inference: `inputs` in any order, already checked against `prepared.inputs` (names,
    /// datatypes, shapes, byte counts); outputs in `prepared.outputs` order. `rows`: only the first
    /// `rows` samples of the batch carry data, the rest padding (the cores may skip it; those output rows
    /// are meaningless); nil: all. The task suspends while the cores work; no thread blocks.
    func infer(_ inputs: [TensorData], rows: Int? = nil) async throws(ServerError) -> ([TensorData], InferenceTiming) {
        var tensors: [String: Tensor] = [:]
        for input in inputs {
            guard let dtype = ModelHost.dtype(of: input.datatype) else {
                throw .invalid("input '\(input.name)' has datatype \(input.datatype.rawValue), which FlexEG models do not take")
            }
            // A view of the request's own bytes (the body, or the batcher's stacked copy), not a copy:
            // nothing reads or writes them after this, as `submit(handingOver:)` requires.
            tensors[input.name] = Tensor(shape: Shape(input.shape), dtype: dtype, buffer: input.bytes.storage, byteOffset: input.bytes.startIndex)
        }
        let clock = ContinuousClock()
        let arrived = clock.now
        let outputs: [Tensor]
        let started: ContinuousClock.Instant
        do {
            let pending = try await loaded.submit(handingOver: tensors, rows: rows)  // made above, held nowhere else
            outputs = try await pending.outputs()
            // Timed by the core thread, not by this task: after submitting, the task may not run again
            // until the core's thread (on the same CPU) yields, which would count the core's work as queueing.
            started = pending.started ?? pending.submitted
        } catch {
            throw ModelHost.serverError(error, model: prepared.name)
        }
        let finished = clock.now
        let data = zip(prepared.outputs, outputs).map { description, tensor in
            TensorData(TensorDescription(name: description.name, datatype: description.datatype, shape: tensor.shape.dims),
                       bytes: SharedBytes(copying: tensor.rawPointer, count: tensor.byteCount))
        }
        return (data, InferenceTiming(queueNanoseconds: InferenceTiming.nanoseconds(arrived.duration(to: started)),
                                      inferNanoseconds: InferenceTiming.nanoseconds(started.duration(to: finished)),
                                      executionBatchSize: rows ?? 1))
    }

    /// Unloads now: new requests fail as unavailable, those in flight finish first. Blocks the thread.
    func unload() {
        if loaded.isLoaded { try? loaded.unload() }
    }
}

/// The server's NeuronRuntime. Thread-safe: `prepare`, `load` and `shutdown` block their thread
/// (compiling, installing runners on cores) and are called from `ModelManager`'s loader thread;
/// `snapshot` is cheap and called from any task.
final class ModelHost: Sendable {
    private let runtime: NeuronRuntime

    init(_ options: DeviceOptions) throws(ServerError) {
        var configuration = RuntimeConfiguration(environment: options.environment)
        do {
            if let name = options.instance { configuration.instanceType = try InstanceType(named: name) }
        } catch {
            throw Self.serverError(error, model: nil)
        }
        configuration.deviceCoreCount = options.cores
        do {
            runtime = try NeuronRuntime(configuration)
        } catch {
            throw Self.serverError(error, model: nil)
        }
    }

    /// NeuronCores this process holds (context indexes `0 ..< coreCount`).
    var coreCount: Int { runtime.coreCount }
    var deviceCoreCount: Int { runtime.deviceCoreCount }
    /// NeuronCore Group mode: each group's size; nil in FlexEG mode (contexts are core indexes).
    var groupSizes: [Int]? {
        if case .neuronCoreGroups(let groups) = runtime.placementMode { return groups.map(\.count) }
        return nil
    }
    /// Warnings the runtime raised at start (oversubscribed or unpinned cores), as sentences.
    var warnings: [String] { runtime.warnings.map(\.message) }

    /// Reads the checkpoint in `directory` (`<prefix>-symbol.json` + `<prefix>-NNNN.params`, one
    /// prefix). A compiled checkpoint is used as is (`cores`, when given, must equal its stage
    /// count). A plain one is compiled for `cores` (default 1) NeuronCores at `inputShapes`; the
    /// result is cached in `directory/.flexeg-compiled/` and reused while the checkpoint's files and
    /// the shapes and core count are unchanged. Blocks the thread.
    func prepare(name: String, directory: String, inputShapes: [String: [Int]], cores: Int?) throws(ServerError) -> PreparedModel {
        let (prefix, epoch) = try Self.findCheckpoint(in: directory, model: name)
        let checkpoint: Checkpoint
        let graph: Graph
        do {
            checkpoint = try Checkpoint.load(prefix: prefix, epoch: epoch)
            graph = try Graph(symbol: checkpoint.symbol)
        } catch {
            throw .invalid("cannot read model '\(name)' from \(prefix): \(error)")
        }
        var parameters = checkpoint.auxParams
        for (key, value) in checkpoint.argParams { parameters[key] = value }
        if CompiledModel.isCompiled(graph) {
            let compiled: CompiledModel
            do { compiled = try CompiledModel(graph: graph, parameters: parameters) } catch {
                throw .invalid("model '\(name)': \(prefix) is not a valid compiled checkpoint: \(error)")
            }
            if let cores, cores != compiled.stageCount {
                throw .invalid("model '\(name)': its config asks for NEURON_CORES \(cores) but \(prefix) is compiled for \(compiled.stageCount); "
                    + "remove NEURON_CORES or set it to \(compiled.stageCount)")
            }
            return PreparedModel(name: name, pipeline: CompiledPipelineModel(name: name, compiled: compiled), source: prefix, origin: "compiled checkpoint")
        }

        let dataInputs = graph.argumentNames.filter { parameters[$0] == nil }
        var shapes: [String: Shape] = [:]
        for input in dataInputs {
            guard let dims = inputShapes[input] else {
                throw .invalid("model '\(name)': \(prefix) is a plain (uncompiled) checkpoint, so its config must give the dims of input '\(input)' "
                    + "(config.pbtxt: input [{ name: \"\(input)\", data_type: TYPE_FP32, dims: [...] }]); its inputs are \(dataInputs)")
            }
            shapes[input] = Shape(dims)
        }
        let coreCount = cores ?? 1
        let key = Self.cacheKey(prefix: prefix, epoch: epoch, shapes: shapes, cores: coreCount)
        let cacheDirectory = directory + "/.flexeg-compiled/cores\(coreCount)-" + shapes.keys.sorted().map { "\($0)=" + shapes[$0]!.dims.map(String.init).joined(separator: "x") }.joined(separator: ",")
        let cachePrefix = cacheDirectory + "/model"
        if (try? String(contentsOfFile: cacheDirectory + "/source.txt", encoding: .utf8)) == key,
           let cached = try? Checkpoint.load(prefix: cachePrefix, epoch: 0),
           let cachedGraph = try? Graph(symbol: cached.symbol) {
            var cachedParameters = cached.auxParams
            for (k, v) in cached.argParams { cachedParameters[k] = v }
            if let compiled = try? CompiledModel(graph: cachedGraph, parameters: cachedParameters), compiled.stageCount == coreCount {
                return PreparedModel(name: name, pipeline: CompiledPipelineModel(name: name, compiled: compiled), source: cachePrefix, origin: "compiled cache")
            }
        }
        let compiledCheckpoint: CompiledCheckpoint
        let compiled: CompiledModel
        do {
            compiledCheckpoint = try Compiler.compile(graph: graph, parameters: parameters, inputShapes: shapes, cores: coreCount)
            compiled = try CompiledModel(compiledCheckpoint)
        } catch {
            throw .invalid("model '\(name)': cannot compile \(prefix) for \(coreCount) NeuronCore\(coreCount == 1 ? "" : "s"): \(error)")
        }
        // The cache is an optimisation: a repository we cannot write to still serves.
        do {
            try FileManager.default.createDirectory(atPath: cacheDirectory, withIntermediateDirectories: true)
            try Checkpoint(symbol: compiledCheckpoint.hostGraph.symbolFile(), argParams: compiledCheckpoint.argParameters,
                           auxParams: compiledCheckpoint.auxParameters)
                .save(prefix: cachePrefix, epoch: 0)
            try key.write(toFile: cacheDirectory + "/source.txt", atomically: true, encoding: .utf8)
        } catch {}
        return PreparedModel(name: name, pipeline: CompiledPipelineModel(name: name, compiled: compiled), source: prefix, origin: "compiled at load")
    }

    /// Loads `prepared` at `context` (`mx.neuron(context)`). Fails with the runtime's message (valid
    /// start indexes, groups, bytes) and leaves nothing loaded. Blocks the thread.
    func load(_ prepared: PreparedModel, at context: Int) throws(ServerError) -> HostedInstance {
        do {
            return HostedInstance(loaded: try runtime.load(prepared.pipeline, at: context), prepared: prepared)
        } catch {
            throw Self.serverError(error, model: prepared.name)
        }
    }

    func snapshot() -> HostSnapshot {
        let snapshot = runtime.snapshot()
        return HostSnapshot(
            deviceCoreCount: snapshot.deviceCoreCount,
            cores: snapshot.cores.map {
                CoreStatus(index: $0.index, deviceCore: $0.deviceCore, utilization: $0.busyFraction, executions: $0.executions,
                           switches: $0.switches, switchSeconds: $0.switchSeconds,
                           memoryUsedBytes: $0.memoryUsedBytes, memoryBudgetBytes: $0.memoryBudgetBytes)
            },
            instances: Dictionary(uniqueKeysWithValues: snapshot.models.map {
                ($0.id, InstanceStatus(id: $0.id, cores: $0.cores, state: $0.state.rawValue, inFlight: $0.inFlight))
            }))
    }

    /// Unloads everything still loaded and releases the cores (their lock files). Blocks the thread.
    func shutdown() {
        try? runtime.shutdown()
    }

    // MARK: Conversions

    static func describe(_ spec: TensorSpec) -> TensorDescription {
        TensorDescription(name: spec.name, datatype: datatype(of: spec.dtype), shape: spec.shape.dims)
    }

    static func datatype(of dtype: DType) -> TensorDataType {
        switch dtype {
        case .float32: .fp32
        case .float64: .fp64
        case .float16: .fp16
        case .uint8: .uint8
        case .int8: .int8
        case .int32: .int32
        case .int64: .int64
        }
    }

    static func dtype(of datatype: TensorDataType) -> DType? {
        switch datatype {
        case .fp32: .float32
        case .fp64: .float64
        case .fp16: .float16
        case .uint8: .uint8
        case .int8: .int8
        case .int32: .int32
        case .int64: .int64
        default: nil
        }
    }

    /// The runtime's errors with Triton's codes: bad inputs and loads that do not fit are the
    /// caller's (INVALID_ARG); an unloaded model or a full queue is UNAVAILABLE; a failed stage INTERNAL.
    static func serverError(_ error: any Error, model: String?) -> ServerError {
        guard let error = error as? RuntimeError else { return ServerError(.internalError, "\(error)") }
        let message = error.description
        switch error {
        case .modelUnloaded, .shutDown, .queueFull, .timeout:
            return .unavailable(message)
        case .stageFailed, .systemError, .blockingCallOnCoreThread:
            return ServerError(.internalError, message)
        default:
            return .invalid(message)
        }
    }

    // MARK: Files

    /// The one checkpoint in `directory`: `model-symbol.json` if present, else the only
    /// `*-symbol.json`; its epoch is the highest `<prefix>-NNNN.params`.
    private static func findCheckpoint(in directory: String, model: String) throws(ServerError) -> (prefix: String, epoch: Int) {
        let files = (try? FileManager.default.contentsOfDirectory(atPath: directory)) ?? []
        let symbols = files.filter { $0.hasSuffix("-symbol.json") }.sorted()
        let stem: String
        if symbols.contains("model-symbol.json") {
            stem = "model"
        } else if symbols.count == 1 {
            stem = String(symbols[0].dropLast("-symbol.json".count))
        } else if symbols.isEmpty {
            throw .invalid("model '\(model)': \(directory) holds no MXNet checkpoint (expected model-symbol.json and model-0000.params)")
        } else {
            throw .invalid("model '\(model)': \(directory) holds several checkpoints (\(symbols.joined(separator: ", "))); keep one, or name it model-symbol.json")
        }
        let epochs = files.compactMap { file -> Int? in
            guard file.hasPrefix(stem + "-"), file.hasSuffix(".params") else { return nil }
            let digits = file.dropFirst(stem.count + 1).dropLast(".params".count)
            return digits.count == 4 ? Int(digits) : nil
        }
        guard let epoch = epochs.max() else {
            throw .invalid("model '\(model)': \(directory) has \(stem)-symbol.json but no \(stem)-NNNN.params")
        }
        return (directory + "/" + stem, epoch)
    }

    /// What the compiled cache was made from: the checkpoint files' sizes and modification times, the
    /// input shapes, the core count, the target instruction set and the build of FlexEG that compiled
    /// it (a cache from another build is recompiled: its kernel choices are that build's).
    private static func cacheKey(prefix: String, epoch: Int, shapes: [String: Shape], cores: Int) -> String {
        let files = [Checkpoint.symbolPath(prefix: prefix), Checkpoint.paramsPath(prefix: prefix, epoch: epoch)]
        let stats = files.map { path -> String in
            let attributes = (try? FileManager.default.attributesOfItem(atPath: path)) ?? [:]
            let size = (attributes[.size] as? NSNumber)?.intValue ?? -1
            let modified = (attributes[.modificationDate] as? Date)?.timeIntervalSince1970 ?? 0
            return "\(path) \(size) \(modified)"
        }
        let shapeText = shapes.keys.sorted().map { "\($0)=\(shapes[$0]!.dims)" }.joined(separator: " ")
        // The target instruction set too: a cache compiled under another FLEXEG_MAX_ISA is rebuilt, not
        // refused (above the cap) or run with kernels chosen for a lower one.
        return (stats + ["cores \(cores)", "shapes \(shapeText)", "target \(InstructionSet.active.rawValue)", "build \(build)"])
            .joined(separator: "\n") + "\n"
    }

    /// The running executable's GNU build ID in hex (FlexEG is linked into it); where it has none, its
    /// path, size and modification time.
    static let build: String = {
        var bytes = [UInt8](repeating: 0, count: 64)
        let length = Int(flexeg_executable_build_id(&bytes, Int32(bytes.count)))
        if length > 0 { return bytes[..<length].map { String(format: "%02x", $0) }.joined() }
        let path = Bundle.main.executablePath ?? CommandLine.arguments.first ?? "?"
        let attributes = (try? FileManager.default.attributesOfItem(atPath: path)) ?? [:]
        let size = (attributes[.size] as? NSNumber)?.intValue ?? -1
        let modified = (attributes[.modificationDate] as? Date)?.timeIntervalSince1970 ?? 0
        return "\(path) \(size) \(modified)"
    }()
}
