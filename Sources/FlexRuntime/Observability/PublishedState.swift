import Foundation

/// What a running `NeuronRuntime` tells other processes on the machine about itself (`StatePublisher`
/// serves it, `RuntimeStateReader` collects it): who the process is, its snapshot, and the raw
/// counters tools need to compute rates between two readings (busy seconds, CPU seconds), with
/// latency percentiles and memory per model. JSON with snake_case keys; absent values are `null`.
///
/// Thread ownership: a value, made on the publisher's thread for each request.
public struct PublishedState: Sendable, Codable, Equatable {
    /// Bumped when a field changes meaning; readers skip states of another version.
    public static let currentVersion = 1

    public var version: Int
    public var pid: Int32
    /// The process's command line (arguments joined by spaces).
    public var command: String
    /// `NEURON_PROCESS_TAG` (at most 255 characters), else the pid.
    public var tag: String
    /// Unix time (seconds) the runtime started and the state was taken.
    public var startedAt: Double
    public var takenAt: Double
    /// Seconds since the runtime started (monotonic clock), when the state was taken.
    public var uptimeSeconds: Double
    /// CPU time of the whole process so far (`getrusage`), seconds.
    public var cpuUserSeconds: Double
    public var cpuSystemSeconds: Double
    public var snapshot: RuntimeSnapshot
    /// Per core (same order as `snapshot.cores`): busy seconds so far.
    public var cores: [Core]
    /// Per loaded model (same order as `snapshot.models`): memory and latency percentiles.
    public var models: [Model]
    /// Latency percentiles over all models' recent inferences together (seconds), nil while none ran.
    public var latencySeconds: LatencyPercentiles?

    public struct Core: Sendable, Codable, Equatable {
        public var index: Int
        public var deviceCore: Int
        /// Time running stages or switching since the core started, seconds.
        public var busySeconds: Double
        /// Seconds since the core started.
        public var uptimeSeconds: Double

        enum CodingKeys: String, CodingKey {
            case index
            case deviceCore = "device_core"
            case busySeconds = "busy_seconds"
            case uptimeSeconds = "uptime_seconds"
        }
    }

    public struct Model: Sendable, Codable, Equatable {
        public var id: Int
        public var name: String
        /// What the model holds on each of its cores, stage 0 first.
        public var memory: [CoreMemory]
        /// Latency percentiles over the model's recent inferences (seconds), nil while it has none.
        public var latencySeconds: LatencyPercentiles?

        public var memoryBytes: Int { memory.reduce(0) { $0 + $1.weightBytes + $1.instanceBytes } }

        enum CodingKeys: String, CodingKey {
            case id, name, memory
            case latencySeconds = "latency_seconds"
        }

        public func encode(to encoder: any Encoder) throws {
            var container = encoder.container(keyedBy: CodingKeys.self)
            try container.encode(id, forKey: .id)
            try container.encode(name, forKey: .name)
            try container.encode(memory, forKey: .memory)
            try container.encode(latencySeconds, forKey: .latencySeconds)
        }
    }

    /// One model's charge on one core (`MemoryLedger`): its weights (shared by every instance of one
    /// compiled model, so counted once per core on the core but in every instance here) and its own
    /// workspace and in-flight activations.
    public struct CoreMemory: Sendable, Codable, Equatable {
        public var core: Int
        public var deviceCore: Int
        public var weightBytes: Int
        public var instanceBytes: Int

        enum CodingKeys: String, CodingKey {
            case core
            case deviceCore = "device_core"
            case weightBytes = "weight_bytes"
            case instanceBytes = "instance_bytes"
        }
    }

    /// neuron-monitor's latency percentiles, seconds (nearest rank; p0 is the fastest, p100 the slowest).
    public struct LatencyPercentiles: Sendable, Codable, Equatable {
        public var p0, p1, p25, p50, p75, p99, p100: Double

        public static let ranks: [Double] = [0, 1, 25, 50, 75, 99, 100]

        init(_ values: [Double]) {
            (p0, p1, p25, p50, p75, p99, p100) = (values[0], values[1], values[2], values[3], values[4], values[5], values[6])
        }
    }

    enum CodingKeys: String, CodingKey {
        case version, pid, command, tag
        case startedAt = "started_at"
        case takenAt = "taken_at"
        case uptimeSeconds = "uptime_seconds"
        case cpuUserSeconds = "cpu_user_seconds"
        case cpuSystemSeconds = "cpu_system_seconds"
        case snapshot, cores, models
        case latencySeconds = "latency_seconds"
    }

    public func encode(to encoder: any Encoder) throws {
        var container = encoder.container(keyedBy: CodingKeys.self)
        try container.encode(version, forKey: .version)
        try container.encode(pid, forKey: .pid)
        try container.encode(command, forKey: .command)
        try container.encode(tag, forKey: .tag)
        try container.encode(startedAt, forKey: .startedAt)
        try container.encode(takenAt, forKey: .takenAt)
        try container.encode(uptimeSeconds, forKey: .uptimeSeconds)
        try container.encode(cpuUserSeconds, forKey: .cpuUserSeconds)
        try container.encode(cpuSystemSeconds, forKey: .cpuSystemSeconds)
        try container.encode(snapshot, forKey: .snapshot)
        try container.encode(cores, forKey: .cores)
        try container.encode(models, forKey: .models)
        try container.encode(latencySeconds, forKey: .latencySeconds)
    }

    /// The state as one line of JSON (keys sorted).
    public func json() -> Data {
        let encoder = JSONEncoder()
        encoder.outputFormatting = [.sortedKeys]
        // Every field is a finite number, string, array or null, so encoding cannot fail.
        return try! encoder.encode(self)
    }
}
