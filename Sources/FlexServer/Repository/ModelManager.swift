import FlexRuntime
import Foundation
import Logging

/// `--model-control-mode`: `none` loads every model at start and refuses load/unload requests;
/// `explicit` loads the `--load-model` ones and takes load/unload requests while serving.
public enum ModelControlMode: String, Sendable, CaseIterable {
    case none
    case explicit
}

/// Triton's model states (`model_lifecycle.cc`).
enum ModelLifecycleState: String, Sendable {
    case ready = "READY"
    case unavailable = "UNAVAILABLE"
    case loading = "LOADING"
    case unloading = "UNLOADING"
}

/// The models of a repository and their lifecycle, as Triton's `model_repository_manager` does it:
/// a reload keeps the old version serving until the new one is ready; an unload takes the model out
/// of service at once, then waits for requests in flight before it returns; a load that fails leaves
/// nothing loaded (and the old version serving, for a reload).
///
/// Thread ownership: the table of records is behind a mutex and read by request tasks without
/// waiting on loads. Loads and unloads run one at a time on `loader`, a serial dispatch queue of its
/// own (they block: compiling, installing runners on cores, draining in-flight requests), so they
/// never hold a cooperative-pool thread nor delay other models' requests.
final class ModelManager: Sendable {
    struct Record: Sendable {
        var state: ModelLifecycleState
        var reason: String
        var serving: ServingModel?
        /// Where the serving version's uploaded files are staged (a load with `file:` parameters);
        /// removed when that version is replaced or unloaded.
        var uploadDirectory: String? = nil
    }

    struct IndexEntry: Sendable {
        var name: String
        var version: Int?
        var state: ModelLifecycleState
        var reason: String
        var neuronCores: [Int]?
    }

    let repository: ModelRepository
    let host: ModelHost
    let mode: ModelControlMode
    /// Where uploaded model files are staged, one directory per load: in the temporary directory,
    /// private to this process, removed at shutdown.
    let uploadsRoot: String
    private let logger: Logger
    private let records = Locked<[String: Record]>([:])
    private let statistics = Locked<[String: ModelStatistics]>([:])
    private let loader = DispatchQueue(label: "flexeg.serve.model-loader")

    init(repository: ModelRepository, host: ModelHost, mode: ModelControlMode, logger: Logger) {
        self.repository = repository
        self.host = host
        self.mode = mode
        self.logger = logger
        uploadsRoot = ModelUpload.uploadsRoot(of: getpid(), in: NSTemporaryDirectory())
        for stale in ModelUpload.removeStale(in: NSTemporaryDirectory()) {
            logger.info("removed the uploads of a server that no longer runs", metadata: ["directory": "\(stale)"])
        }
    }

    /// The statistics of model `name` (created on first use; kept across reloads).
    func statistics(of name: String) -> ModelStatistics {
        statistics.withLock { table in
            if let existing = table[name] { return existing }
            let created = ModelStatistics()
            table[name] = created
            return created
        }
    }

    var allStatistics: [(String, ModelStatistics)] {
        statistics.withLock { table in table.keys.sorted().map { ($0, table[$0]!) } }
    }

    /// Every model serving now, by name.
    var servingModels: [ServingModel] {
        records.withLock { table in table.keys.sorted().compactMap { table[$0]?.serving } }
    }

    /// The model serving requests for `name` (and `version`, when given). NOT_FOUND for a model the
    /// repository does not have or a version not loaded; UNAVAILABLE for one not loaded now.
    func model(_ name: String, version: String?) throws(ServerError) -> ServingModel {
        let record = records.withLock { $0[name] }
        guard let record else {
            if (try? repository.directory(of: name)) != nil {
                throw .unavailable("model '\(name)' is not loaded (load it with POST v2/repository/models/\(name)/load)")
            }
            throw .notFound("unknown model '\(name)': the repository has " + Self.list(repository.modelNames()))
        }
        guard let serving = record.serving else {
            throw .unavailable("model '\(name)' is not ready: \(record.state.rawValue)" + (record.reason.isEmpty ? "" : " (\(record.reason))"))
        }
        if let version, version != String(serving.version) {
            throw .notFound("model '\(name)' has no version '\(version)' loaded; version \(serving.version) is")
        }
        return serving
    }

    /// Whether `name` can take requests.
    func isReady(_ name: String, version: String?) -> Bool {
        (try? model(name, version: version)) != nil
    }

    /// The repository index: every model directory, with its state (models never loaded are
    /// UNAVAILABLE with an empty reason, as in Triton).
    func index(readyOnly: Bool) -> [IndexEntry] {
        let table = records.withLock { $0 }
        let names = Set(repository.modelNames()).union(table.keys).sorted()
        return names.compactMap { name in
            let record = table[name]
            let entry = IndexEntry(
                name: name, version: record?.serving?.version, state: record?.serving != nil && record?.state != .unloading ? .ready : (record?.state ?? .unavailable),
                reason: record?.reason ?? "", neuronCores: record?.serving?.neuronCores)
            return readyOnly && entry.state != .ready ? nil : entry
        }
    }

    // MARK: Loading

    /// Loads (or reloads) `name`, with `override` merged over its config file; or, given `upload`,
    /// from the uploaded files and `override` alone (`name` need not be in the repository). Returns
    /// when it serves.
    func load(_ name: String, override: ModelConfig? = nil, upload: ModelUpload? = nil) async throws(ServerError) {
        let result: Result<Void, ServerError> = await withCheckedContinuation { continuation in
            loader.async {
                continuation.resume(returning: Result { () throws(ServerError) in try self.loadBlocking(name, override: override, upload: upload) })
            }
        }
        try result.get()
    }

    /// Takes `name` out of service now and unloads it; returns when requests in flight have finished
    /// and its cores are free.
    func unload(_ name: String) async throws(ServerError) {
        _ = try repositoryOrLoaded(name)
        let result: Result<Void, ServerError> = await withCheckedContinuation { continuation in
            loader.async {
                continuation.resume(returning: Result { () throws(ServerError) in try self.unloadBlocking(name) })
            }
        }
        try result.get()
    }

    /// Unloads every model and removes the uploads (shutdown).
    func unloadAll() async {
        let names = records.withLock { table in table.keys.filter { table[$0]?.serving != nil }.sorted() }
        for name in names { try? await unload(name) }
        ModelUpload.remove(uploadsRoot)
    }

    private func repositoryOrLoaded(_ name: String) throws(ServerError) -> Bool {
        if records.withLock({ $0[name] }) != nil { return true }
        _ = try repository.directory(of: name)
        return false
    }

    private func loadBlocking(_ name: String, override: ModelConfig?, upload: ModelUpload?) throws(ServerError) {
        // A name neither loaded nor in the repository is 404 and leaves no record: a record would
        // list it in the index and answer later requests for it with 503 UNAVAILABLE. Uploaded files
        // bring their own model, under any name that is one directory name.
        if upload == nil { _ = try repositoryOrLoaded(name) } else { try ModelRepository.checkName(name) }
        let clock = ContinuousClock()
        let started = clock.now
        let staged = try upload?.stage(name: name, in: uploadsRoot)
        let previous = records.withLock { table -> Record? in
            let old = table[name]
            table[name] = Record(state: .loading, reason: "", serving: old?.serving, uploadDirectory: old?.uploadDirectory)
            return old
        }
        do {
            let files: ModelRepository.ModelFiles
            if let staged {
                files = try ModelRepository.files(in: staged, name: name, override: override)
            } else {
                files = try repository.files(of: name, override: override)
            }
            let serving = try makeServingModel(name, files: files, started: started, clock: clock)
            records.withLock { $0[name] = Record(state: .ready, reason: "", serving: serving, uploadDirectory: staged) }
            logger.info("loaded model", metadata: [
                "model": "\(name)", "version": "\(serving.version)", "neuron_cores": "\(CoreRanges.format(serving.neuronCores))",
                "instances": "\(serving.instances.count)", "origin": "\(serving.instances[0].prepared.origin)",
                "seconds": "\(String(format: "%.3f", serving.loadSeconds))",
            ])
            if let old = previous?.serving {
                for instance in old.instances { instance.unload() }
                logger.info("unloaded previous version", metadata: ["model": "\(name)", "version": "\(old.version)"])
            }
            if let directory = previous?.uploadDirectory { ModelUpload.remove(directory) }
        } catch let failure {
            var error = failure
            if let staged {
                ModelUpload.remove(staged)
                // Name the files as the client sent them, not where they were staged.
                error = ServerError(failure.code, failure.message.replacingOccurrences(of: staged + "/", with: "uploaded file:"))
            }
            // An upload under a name with no record and no repository directory leaves no record either.
            let leavesNoTrace = upload != nil && previous == nil && (try? repository.directory(of: name)) == nil
            records.withLock { table in
                if let old = previous?.serving {
                    table[name] = Record(state: .ready, reason: "", serving: old, uploadDirectory: previous?.uploadDirectory)
                } else if leavesNoTrace {
                    table[name] = nil
                } else {
                    table[name] = Record(state: .unavailable, reason: error.message, serving: nil)
                }
            }
            logger.error("failed to load model", metadata: ["model": "\(name)", "error": "\(error.message)"])
            throw ServerError(error.code, "failed to load '\(name)': \(error.message)" + (previous?.serving != nil ? "; the previous version keeps serving" : ""))
        }
    }

    private func makeServingModel(_ name: String, files: ModelRepository.ModelFiles, started: ContinuousClock.Instant, clock: ContinuousClock) throws(ServerError) -> ServingModel {
        var shapes: [String: [Int]] = [:]
        // With max_batch_size B > 0 the config's dims exclude the batch dimension, and a plain
        // checkpoint is compiled at batch B.
        let maxBatch = files.config.maxBatchSize ?? 0
        for input in files.config.inputs ?? [] {
            if let dims = input.dims { shapes[input.name] = maxBatch > 0 ? [maxBatch] + dims : dims }
        }
        let prepared = try host.prepare(name: name, directory: files.versionDirectory, inputShapes: shapes, cores: files.config.coreCount)
        try Self.check(files.config, against: prepared)
        if maxBatch > 0 {
            for tensor in prepared.inputs + prepared.outputs where tensor.shape.first != maxBatch {
                throw .invalid("model '\(name)': max_batch_size is \(maxBatch) but the model's '\(tensor.name)' has shape \(tensor.shape); "
                    + "a batching model is compiled at batch \(maxBatch) (leading dimension)")
            }
        }
        let start = files.config.startIndex ?? 0
        let count = files.config.instanceCount ?? 1
        let ncg = host.groupSizes != nil
        var instances: [HostedInstance] = []
        do {
            for copy in 0..<count {
                instances.append(try host.load(prepared, at: ncg ? start + copy : start + copy * prepared.coreCount))
            }
        } catch {
            for instance in instances { instance.unload() }
            throw count > 1 ? ServerError(error.code, "instance \(instances.count) of \(count): " + error.message) : error
        }
        let config = files.config.completed(name: name, inputs: prepared.inputs, outputs: prepared.outputs, coreCount: prepared.coreCount, startIndex: start)
        let (seconds, attoseconds) = started.duration(to: clock.now).components
        return ServingModel(name: name, version: files.version, config: config, instances: instances,
                            loadSeconds: Double(seconds) + Double(attoseconds) * 1e-18,
                            maxBatchSize: maxBatch, batching: files.config.dynamicBatching)
    }

    /// A config's inputs and outputs, where it names them, must be the model's.
    private static func check(_ config: ModelConfig, against prepared: PreparedModel) throws(ServerError) {
        for (field, configured, actual) in [("input", config.inputs, prepared.inputs), ("output", config.outputs, prepared.outputs)] {
            for tensor in configured ?? [] {
                guard let match = actual.first(where: { $0.name == tensor.name }) else {
                    throw .invalid("model '\(prepared.name)': its config names \(field) '\(tensor.name)', which the model does not have; its \(field)s are "
                        + list(actual.map(\.name)))
                }
                if let type = tensor.dataType, type != match.datatype {
                    throw .invalid("model '\(prepared.name)': its config gives \(field) '\(tensor.name)' data_type \(type.configName); the model's is \(match.datatype.configName)")
                }
                let shape = (config.maxBatchSize ?? 0) > 0 ? Array(match.shape.dropFirst()) : match.shape
                if let dims = tensor.dims, dims != shape, !(dims.count == shape.count && zip(dims, shape).allSatisfy { $0 == -1 || $0 == $1 }) {
                    throw .invalid("model '\(prepared.name)': its config gives \(field) '\(tensor.name)' dims \(dims); the model is compiled for \(match.shape)")
                }
            }
        }
    }

    private func unloadBlocking(_ name: String) throws(ServerError) {
        let unloading = records.withLock { table -> Record? in
            guard let record = table[name], record.serving != nil else { return nil }
            table[name] = Record(state: .unloading, reason: "", serving: nil)
            return record
        }
        guard let unloading, let serving = unloading.serving else {
            // Unloading a model that is not loaded succeeds, as in Triton.
            return
        }
        for instance in serving.instances { instance.unload() }
        if let directory = unloading.uploadDirectory { ModelUpload.remove(directory) }
        records.withLock { $0[name] = Record(state: .unavailable, reason: "unloaded", serving: nil) }
        logger.info("unloaded model", metadata: ["model": "\(name)", "version": "\(serving.version)"])
    }

    static func list(_ names: [String]) -> String {
        names.isEmpty ? "no models" : names.map { "'\($0)'" }.joined(separator: ", ")
    }
}

/// `[2, 3, 4, 5, 9]` → `"2-5,9"`.
enum CoreRanges {
    static func format(_ cores: [Int]) -> String {
        var parts: [String] = []
        var index = 0
        let sorted = cores.sorted()
        while index < sorted.count {
            var end = index
            while end + 1 < sorted.count, sorted[end + 1] == sorted[end] + 1 { end += 1 }
            parts.append(end == index ? "\(sorted[index])" : "\(sorted[index])-\(sorted[end])")
            index = end + 1
        }
        return parts.joined(separator: ",")
    }
}
