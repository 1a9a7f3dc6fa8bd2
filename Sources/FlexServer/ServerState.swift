import FlexJSON
import FlexRuntime
import Foundation
import Logging

/// What every protocol front end (REST now, gRPC later) asks of the server: readiness, metadata,
/// statistics, inference and repository management. Protocol-neutral: it speaks `JSONValue`,
/// `TensorData` and `ServerError`; the front ends only translate.
///
/// Thread ownership: shared by every request task; its own state is the readiness flag (a mutex).
final class ServerState: Sendable {
    let manager: ModelManager
    let logger: Logger
    let sharedMemory = SharedMemoryRegistry()
    private let ready = Locked(false)

    static let name = "flexeg"
    static let version = "0.1.0"
    /// Triton extensions this server implements.
    static let extensions = ["model_repository", "model_configuration", "binary_tensor_data", "statistics", "system_shared_memory"]

    init(manager: ModelManager, logger: Logger) {
        self.manager = manager
        self.logger = logger
    }

    /// Ready: the start-up loads are done, the server is not shutting down, and (in `none` mode)
    /// every model of the repository is ready (Triton's strict readiness).
    var isReady: Bool {
        guard ready.withLock({ $0 }) else { return false }
        if manager.mode == .none {
            return manager.index(readyOnly: false).allSatisfy { $0.state == .ready }
        }
        return true
    }

    func setReady(_ value: Bool) { ready.withLock { $0 = value } }

    var serverMetadata: JSONValue {
        .object([("name", .string(Self.name)), ("version", .string(Self.version)), ("extensions", .array(Self.extensions.map { .string($0) }))])
    }

    func modelMetadata(_ name: String, version: String?) throws(ServerError) -> JSONValue {
        let model = try manager.model(name, version: version)
        func tensors(_ list: [TensorDescription]) -> JSONValue {
            .array(list.map { .object([("name", .string($0.name)), ("datatype", .string($0.datatype.rawValue)), ("shape", .array($0.shape.map { .int($0) }))]) })
        }
        return .object([
            ("name", .string(model.name)),
            ("versions", .array([.string(String(model.version))])),
            ("platform", .string(model.config.platform ?? "flexeg_mxnet")),
            ("inputs", tensors(model.inputs)),
            ("outputs", tensors(model.outputs)),
            ("neuron_cores", .array(model.neuronCores.map { .int($0) })),
        ])
    }

    /// The repository index, with FlexEG's `neuron_cores` on loaded models.
    func repositoryIndex(readyOnly: Bool) -> JSONValue {
        .array(manager.index(readyOnly: readyOnly).map { entry in
            var members: [(key: String, value: JSONValue)] = [("name", .string(entry.name))]
            if let version = entry.version { members.append(("version", .string(String(version)))) }
            members.append(("state", .string(entry.state.rawValue)))
            members.append(("reason", .string(entry.reason)))
            if let cores = entry.neuronCores { members.append(("neuron_cores", .array(cores.map { .int($0) }))) }
            return .object(members)
        })
    }

    /// Statistics of one model (NOT_FOUND / UNAVAILABLE when it is not loaded).
    func statisticsChecked(of name: String, version: String?) throws(ServerError) -> JSONValue {
        _ = try manager.model(name, version: version)
        return statistics(of: name, version: version)
    }

    /// Triton's statistics extension: every loaded model, or just `name`.
    func statistics(of name: String?, version: String?) -> JSONValue {
        let models = manager.servingModels.filter { name == nil || $0.name == name }
        return .object([("model_stats", .array(models.map { model in
            let stats = manager.statistics(of: model.name).current
            func duration(_ d: ModelStatistics.Duration) -> JSONValue { .object([("count", .uint(d.count)), ("ns", .uint(d.ns))]) }
            return .object([
                ("name", .string(model.name)),
                ("version", .string(String(model.version))),
                ("last_inference", .uint(stats.lastInference)),
                ("inference_count", .uint(stats.inferenceCount)),
                ("execution_count", .uint(stats.executionCount)),
                ("inference_stats", .object([
                    ("success", duration(stats.success)), ("fail", duration(stats.fail)), ("queue", duration(stats.queue)),
                    ("compute_input", duration(stats.computeInput)), ("compute_infer", duration(stats.computeInfer)),
                    ("compute_output", duration(stats.computeOutput)),
                    ("cache_hit", duration(.init())), ("cache_miss", duration(.init())),
                ])),
                ("response_stats", .object([])),
                ("batch_stats", .array(stats.executionsByBatchSize.sorted { $0.key < $1.key }.map { size, durations in
                    .object([("batch_size", .int(size)), ("compute_input", duration(durations.computeInput)),
                             ("compute_infer", duration(durations.computeInfer)), ("compute_output", duration(durations.computeOutput))])
                })),
                ("memory_usage", .array([])),
            ])
        }))])
    }

    // MARK: Inference

    /// Decodes a REST body, runs it on one of the model's instances, encodes the response.
    func infer(_ name: String, version: String?, body: SharedBytes, headerLength: Int?) async throws(ServerError) -> (body: [UInt8], headerLength: Int?) {
        try await infer(name, version: version) { model throws(ServerError) in
            try InferenceCodec.decode(body: body, headerLength: headerLength, model: model, sharedMemory: sharedMemory)
        } encode: { outputs, request, model in
            InferenceCodec.encode(outputs, request: request, model: model)
        }
    }

    /// Runs one request of any protocol: `decode` turns the request into checked inputs for the
    /// model found, the inputs run on one of its instances, `encode` makes the response. Counts
    /// success and failure (with Triton's `reason`) in the model's statistics.
    func infer<Response>(
        _ name: String, version: String?,
        decode: (ServingModel) throws(ServerError) -> DecodedInference,
        encode: ([TensorData], DecodedInference, ServingModel) -> Response
    ) async throws(ServerError) -> Response {
        let model = try manager.model(name, version: version)
        let stats = manager.statistics(of: name)
        stats.started(version: model.version)
        let clock = ContinuousClock()
        let received = clock.now
        do {
            let request = try decode(model)
            let decoded = clock.now
            let (outputs, timing) = try await model.run(request.inputs)
            let computed = clock.now
            try request.writeSharedMemoryOutputs(outputs)
            let response = encode(outputs, request, model)
            let done = clock.now
            stats.succeeded(total: Self.ns(received, done), input: Self.ns(received, decoded), timing: timing,
                            output: Self.ns(computed, done), batch: request.batchSize)
            return response
        } catch {
            let reason = switch error.code {
            case .unavailable: "REJECTED"
            case .internalError: "BACKEND"
            default: "OTHER"
            }
            stats.failed(total: Self.ns(received, clock.now), reason: reason)
            throw error
        }
    }

    private static func ns(_ from: ContinuousClock.Instant, _ to: ContinuousClock.Instant) -> UInt64 {
        let (seconds, attoseconds) = from.duration(to: to).components
        return UInt64(max(0, seconds)) * 1_000_000_000 + UInt64(max(0, attoseconds / 1_000_000_000))
    }

    // MARK: System shared memory

    /// Registers region `name`: `byteSize` bytes from `offset` of the shared memory object `key`.
    func registerSharedMemory(_ name: String, key: String, offset: Int, byteSize: Int) throws(ServerError) {
        do {
            try sharedMemory.register(name: name, key: key, offset: offset, byteSize: byteSize)
            logger.info("registered system shared memory region", metadata: ["region": "\(name)", "key": "\(key)", "offset": "\(offset)", "bytes": "\(byteSize)"])
        } catch {
            logger.notice("system shared memory registration failed", metadata: ["region": "\(name)", "error": "\(error.message)"])
            throw error
        }
    }

    /// Unregisters region `name` (nil: all).
    func unregisterSharedMemory(_ name: String?) {
        sharedMemory.unregister(name)
        logger.info("unregistered system shared memory", metadata: ["region": "\(name ?? "(all)")"])
    }

    /// Triton's status: `[{"name", "key", "offset", "byte_size"}]`, every region or only `name`.
    func sharedMemoryStatus(_ name: String?) throws(ServerError) -> JSONValue {
        .array(try sharedMemory.status(name).map { region in
            .object([("name", .string(region.name)), ("key", .string(region.key)), ("offset", .int(region.offset)), ("byte_size", .int(region.byteSize))])
        })
    }

    // MARK: Repository

    private func checkExplicit(_ operation: String) throws(ServerError) {
        guard manager.mode == .explicit else {
            throw .unavailable("explicit model \(operation) is not allowed: the server runs with --model-control-mode none (start it with --model-control-mode explicit)")
        }
    }

    /// A load request's parameter value: from REST's JSON (a `file:` one decoded from base64), or
    /// gRPC's `ModelRepositoryParameter`.
    enum LoadParameter: Sendable {
        case text(String)
        case bytes([UInt8])
        /// A flag or a number: no load parameter FlexEG reads takes one.
        case other
    }

    /// `POST v2/repository/models/{name}/load`: body empty, or `{"parameters": {"config": "<JSON>",
    /// "file:<version>/<file>": "<base64>", …}}`.
    func load(_ name: String, body: SharedBytes) async throws(ServerError) {
        try checkExplicit("load")
        var parameters: [(key: String, value: LoadParameter)] = []
        if !body.isEmpty {
            let json: JSONValue
            do { json = try JSONValue.parse(body, maximumDepth: JSONLimits.depth) } catch { throw .invalid("malformed JSON in the load request: \(error)") }
            guard json.isObject else { throw .invalid("the load request must be a JSON object") }
            if case .object(let members)? = json["parameters"] {
                for (key, value) in members {
                    if key.hasPrefix(ModelUpload.prefix) {
                        guard let text = value.string, let data = Data(base64Encoded: text) else {
                            throw .invalid("load parameter '\(key)' must be the file's bytes in base64 (tritonclient's load_model(files=...) encodes them so)")
                        }
                        parameters.append((key, .bytes(Array(data))))
                    } else {
                        parameters.append((key, value.string.map(LoadParameter.text) ?? .other))
                    }
                }
            }
        }
        try await load(name, parameters: parameters)
    }

    /// A load of either protocol. `config` (the model config as JSON) merges over the repository's;
    /// `file:<version>/<file>` parameters upload a model, which then loads from those files and
    /// `config` alone (Triton's rule: files need a config). Other parameters are ignored.
    func load(_ name: String, parameters: [(key: String, value: LoadParameter)]) async throws(ServerError) {
        try checkExplicit("load")
        var override: ModelConfig?
        var files: [(key: String, bytes: [UInt8])] = []
        for (key, value) in parameters {
            if key == "config" {
                guard case .text(let text) = value else { throw .invalid("the load parameter \"config\" must be a string holding the model config as JSON") }
                override = try ModelConfig(ConfigNode.parseJSON(Array(text.utf8), what: "the load request's config"), what: "the load request's config")
            } else if key.hasPrefix(ModelUpload.prefix) {
                guard case .bytes(let bytes) = value else { throw .invalid("load parameter '\(key)' must hold the file's bytes") }
                files.append((key, bytes))
            }
        }
        var upload: ModelUpload?
        if let first = files.first {
            guard override != nil else {
                throw .invalid("load parameter '\(first.key)' needs a \"config\" parameter as well: uploaded files load with that config alone, as in Triton")
            }
            upload = try ModelUpload(files: files)
        }
        try await manager.load(name, override: override, upload: upload)
    }

    /// `POST v2/repository/models/{name}/unload`; `unload_dependents` is accepted (there are none).
    func unload(_ name: String, body: SharedBytes) async throws(ServerError) {
        try checkExplicit("unload")
        if !body.isEmpty {
            do { _ = try JSONValue.parse(body, maximumDepth: JSONLimits.depth) } catch { throw .invalid("malformed JSON in the unload request: \(error)") }
        }
        try await manager.unload(name)
    }
}
