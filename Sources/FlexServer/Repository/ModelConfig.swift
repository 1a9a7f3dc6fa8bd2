import FlexJSON

/// The part of Triton's `ModelConfig` FlexEG uses, read from `config.pbtxt` / `config.json` or the
/// load API's `config` override. Absent fields are nil; `completed(with:)` fills them from the model
/// (Triton's auto-complete), and `json` is what `GET …/config` returns.
///
/// FlexEG's parameters (Triton's Inferentia scripts name them so): `NEURON_CORE_START_INDEX`, the
/// `mx.neuron(i)` index (a core, or a group in NeuronCore Group mode; default 0); `NEURON_CORES`, the
/// cores to compile a plain checkpoint for (default 1). `instance_group [{ count: N }]` loads N copies
/// on consecutive core ranges (groups) from the start index.
///
/// Thread ownership: a value.
public struct ModelConfig: Sendable, Equatable {
    public struct TensorConfig: Sendable, Equatable {
        public var name: String
        public var dataType: TensorDataType?
        public var dims: [Int]?
    }

    public struct DynamicBatching: Sendable, Equatable {
        public var maxQueueDelayMicroseconds: Int = 0
        public var preferredBatchSizes: [Int] = []
    }

    public var name: String?
    public var platform: String?
    public var backend: String?
    public var maxBatchSize: Int?
    public var inputs: [TensorConfig]?
    public var outputs: [TensorConfig]?
    /// `instance_group`'s total count (FlexEG supports one group).
    public var instanceCount: Int?
    /// `dynamic_batching { max_queue_delay_microseconds, preferred_batch_size }`; nil: none.
    public var dynamicBatching: DynamicBatching?
    /// `parameters`: key → `string_value`.
    public var parameters: [String: String] = [:]

    public static let startIndexKey = "NEURON_CORE_START_INDEX"
    public static let coresKey = "NEURON_CORES"

    public init() {}

    /// From a parsed config; `what` names its source in errors.
    init(_ node: ConfigNode, what: String) throws(ServerError) {
        name = node["name"]?.text
        platform = node["platform"]?.text
        backend = node["backend"]?.text
        if let text = node["max_batch_size"]?.text {
            guard let value = Int(text), value >= 0 else { throw .invalid("\(what): max_batch_size must be a whole number >= 0, not '\(text)'") }
            maxBatchSize = value
        }
        if node["input"] != nil { inputs = try Self.tensors(node.all("input"), field: "input", what: what) }
        if node["output"] != nil { outputs = try Self.tensors(node.all("output"), field: "output", what: what) }
        let groups = node.all("instance_group")
        if !groups.isEmpty {
            guard groups.count == 1 else {
                throw .invalid("\(what): FlexEG takes one instance_group (its count copies on consecutive NeuronCore ranges), not \(groups.count)")
            }
            let text = groups[0]["count"]?.text ?? "1"
            guard let count = Int(text), count >= 1 else { throw .invalid("\(what): instance_group count must be a whole number >= 1, not '\(text)'") }
            instanceCount = count
        }
        if let batching = node["dynamic_batching"] {
            var value = DynamicBatching()
            if let text = batching["max_queue_delay_microseconds"]?.text {
                guard let delay = Int(text), delay >= 0 else { throw .invalid("\(what): max_queue_delay_microseconds must be a whole number >= 0, not '\(text)'") }
                value.maxQueueDelayMicroseconds = delay
            }
            for size in batching.all("preferred_batch_size") {
                guard let text = size.text, let number = Int(text), number >= 1 else { throw .invalid("\(what): preferred_batch_size must be whole numbers >= 1") }
                value.preferredBatchSizes.append(number)
            }
            dynamicBatching = value
        }
        for (key, value) in node["parameters"]?.members ?? [] {
            guard let text = value["string_value"]?.text ?? value.text else {
                throw .invalid("\(what): parameter '\(key)' needs a string_value (parameters { key: \"\(key)\" value { string_value: \"...\" } })")
            }
            parameters[key] = text
        }
        for (key, least, meaning) in [(Self.startIndexKey, 0, "the mx.neuron(i) index"), (Self.coresKey, 1, "the NeuronCores to compile for")] {
            if let text = parameters[key], !(Int(text).map { $0 >= least } ?? false) {
                throw .invalid("\(what): parameter \(key) (\(meaning)) must be a whole number >= \(least), not '\(text)'")
            }
        }
    }

    /// The rules that tie fields together, checked on the config in force (the file's merged with a load's
    /// override): dynamic batching needs a batching model, and its preferred sizes fit the largest batch.
    func checkConsistent(what: String) throws(ServerError) {
        guard let batching = dynamicBatching else { return }
        let maxBatch = maxBatchSize ?? 0
        guard maxBatch > 0 else {
            throw .invalid("\(what): dynamic_batching needs max_batch_size >= 1 (the batch the model is compiled at); this config's is \(maxBatch)")
        }
        if let size = batching.preferredBatchSizes.first(where: { $0 > maxBatch }) {
            throw .invalid("\(what): dynamic_batching's preferred_batch_size \(size) is over max_batch_size \(maxBatch)")
        }
    }

    private static func tensors(_ nodes: [ConfigNode], field: String, what: String) throws(ServerError) -> [TensorConfig] {
        var result: [TensorConfig] = []
        for node in nodes {
            let tensor = try tensor(node, field: field, what: what)
            guard !result.contains(where: { $0.name == tensor.name }) else { throw .invalid("\(what): \(field) '\(tensor.name)' is listed twice") }
            result.append(tensor)
        }
        return result
    }

    private static func tensor(_ node: ConfigNode, field: String, what: String) throws(ServerError) -> TensorConfig {
        guard let name = node["name"]?.text, !name.isEmpty else { throw .invalid("\(what): every \(field) needs a name") }
        var config = TensorConfig(name: name)
        if let type = node["data_type"]?.text {
            guard let parsed = TensorDataType(name: type) else {
                throw .invalid("\(what): \(field) '\(name)' has data_type '\(type)'; valid: " + TensorDataType.allCases.map(\.configName).joined(separator: ", "))
            }
            config.dataType = parsed
        }
        if node["dims"] != nil {
            config.dims = try node.all("dims").map { dim throws(ServerError) in
                guard let text = dim.text, let value = Int(text), value >= 1 || value == -1 else {
                    throw .invalid("\(what): \(field) '\(name)' has dim '\(dim.text ?? "")'; each dim is a whole number >= 1, or -1 for any size")
                }
                return value
            }
        }
        return config
    }

    var startIndex: Int? { parameters[Self.startIndexKey].flatMap { Int($0) } }
    var coreCount: Int? { parameters[Self.coresKey].flatMap { Int($0) } }

    /// `override`'s fields replace this config's; `parameters` merge key by key (so an override that
    /// only sets `NEURON_CORE_START_INDEX` keeps the file's `NEURON_CORES` and input dims).
    func merged(with override: ModelConfig) -> ModelConfig {
        var result = self
        if let value = override.name { result.name = value }
        if let value = override.platform { result.platform = value }
        if let value = override.backend { result.backend = value }
        if let value = override.maxBatchSize { result.maxBatchSize = value }
        if let value = override.inputs { result.inputs = value }
        if let value = override.outputs { result.outputs = value }
        if let value = override.instanceCount { result.instanceCount = value }
        if let value = override.dynamicBatching { result.dynamicBatching = value }
        result.parameters.merge(override.parameters) { _, new in new }
        return result
    }

    /// The config in force for a loaded model: name, platform, inputs and outputs from the model
    /// (the config's own dims must agree), the start index and core count filled in.
    func completed(name: String, inputs: [TensorDescription], outputs: [TensorDescription], coreCount: Int, startIndex: Int) -> ModelConfig {
        var result = self
        result.name = name
        result.platform = platform ?? "flexeg_mxnet"
        result.backend = backend ?? "flexeg"
        result.maxBatchSize = maxBatchSize ?? 0
        let batched = (maxBatchSize ?? 0) > 0
        result.inputs = inputs.map { TensorConfig(name: $0.name, dataType: $0.datatype, dims: batched ? Array($0.shape.dropFirst()) : $0.shape) }
        result.outputs = outputs.map { TensorConfig(name: $0.name, dataType: $0.datatype, dims: batched ? Array($0.shape.dropFirst()) : $0.shape) }
        result.instanceCount = instanceCount ?? 1
        result.parameters[Self.startIndexKey] = String(startIndex)
        result.parameters[Self.coresKey] = String(coreCount)
        return result
    }

    /// Triton's JSON form (`GET v2/models/{name}/config`).
    var json: JSONValue {
        var members: [(key: String, value: JSONValue)] = []
        if let name { members.append(("name", .string(name))) }
        if let platform { members.append(("platform", .string(platform))) }
        if let backend { members.append(("backend", .string(backend))) }
        members.append(("max_batch_size", .int(maxBatchSize ?? 0)))
        func tensors(_ list: [TensorConfig]?) -> JSONValue {
            .array((list ?? []).map { tensor in
                var fields: [(key: String, value: JSONValue)] = [("name", .string(tensor.name))]
                if let type = tensor.dataType { fields.append(("data_type", .string(type.configName))) }
                if let dims = tensor.dims { fields.append(("dims", .array(dims.map { .int($0) }))) }
                return .object(fields)
            })
        }
        members.append(("input", tensors(inputs)))
        members.append(("output", tensors(outputs)))
        if let batching = dynamicBatching {
            members.append(("dynamic_batching", .object([
                ("preferred_batch_size", .array(batching.preferredBatchSizes.map { .int($0) })),
                ("max_queue_delay_microseconds", .int(batching.maxQueueDelayMicroseconds)),
            ])))
        }
        members.append(("instance_group", .array([.object([
            ("name", .string(name ?? "")), ("kind", .string("KIND_MODEL")), ("count", .int(instanceCount ?? 1)),
        ])])))
        members.append(("parameters", .object(parameters.keys.sorted().map { key in
            (key, .object([("string_value", .string(parameters[key]!))]))
        })))
        return .object(members)
    }
}

extension ModelConfig.TensorConfig {
    init(name: String) {
        self.name = name
    }
}
