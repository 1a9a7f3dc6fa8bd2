import Foundation

/// A point-in-time view of a runtime, like `neuron-top` / `neuron-monitor` show: per core and per
/// loaded model. Encodes to JSON with stable snake_case keys (absent values are `null`, never missing).
///
/// Thread ownership: a value, taken by `NeuronRuntime.snapshot()` from any thread. Counters are read
/// core by core and model by model, so the parts are each consistent but not one atomic instant.
public struct RuntimeSnapshot: Sendable, Codable, Equatable {
    /// NeuronCores on the device (all processes).
    public var deviceCoreCount: Int
    /// `flexeg` or `neuroncore_groups`.
    public var mode: String
    /// NeuronCore Group mode: the context indexes of each group's cores; empty in FlexEG mode.
    public var groups: [[Int]]
    public var cores: [CoreSnapshot]
    public var models: [ModelSnapshot]

    enum CodingKeys: String, CodingKey {
        case deviceCoreCount = "device_core_count"
        case mode, groups, cores, models
    }

    /// The snapshot as JSON text (keys sorted).
    public func json(prettyPrinted: Bool = true) -> String {
        let encoder = JSONEncoder()
        encoder.outputFormatting = prettyPrinted ? [.sortedKeys, .prettyPrinted] : [.sortedKeys]
        // Every field is a finite number, string, array or null, so encoding cannot fail.
        let data = try! encoder.encode(self)
        return String(decoding: data, as: UTF8.self)
    }
}

/// A loaded model as other records name it. (Every snapshot type is an immutable value.)
public struct ModelReference: Sendable, Codable, Equatable, Hashable {
    /// Unique within the runtime (instances of one compiled model differ by id).
    public var id: Int
    public var name: String

    public init(id: Int, name: String) {
        self.id = id
        self.name = name
    }
}

/// One NeuronCore's state and counters.
public struct CoreSnapshot: Sendable, Codable, Equatable {
    /// Context index (position among the process's cores).
    public var index: Int
    public var deviceCore: Int
    /// Host CPU its thread is pinned to, if pinned.
    public var cpu: Int?
    public var modelsLoaded: [ModelReference]
    /// The model whose weights are on the core now.
    public var activeModel: ModelReference?
    /// The model running a stage right now.
    public var runningModel: ModelReference?
    /// Stage executions completed.
    public var executions: Int
    /// Changes from one loaded model to another.
    public var switches: Int
    /// Total time spent switching, seconds.
    public var switchSeconds: Double
    /// Time running stages or switching ÷ time since the core started, 0...1.
    public var busyFraction: Double
    /// Jobs waiting in the core's run queue.
    public var queueLength: Int
    public var memoryBudgetBytes: Int
    public var memoryUsedBytes: Int

    enum CodingKeys: String, CodingKey {
        case index
        case deviceCore = "device_core"
        case cpu
        case modelsLoaded = "models_loaded"
        case activeModel = "active_model"
        case runningModel = "running_model"
        case executions, switches
        case switchSeconds = "switch_seconds"
        case busyFraction = "busy_fraction"
        case queueLength = "queue_length"
        case memoryBudgetBytes = "memory_budget_bytes"
        case memoryUsedBytes = "memory_used_bytes"
    }

    public func encode(to encoder: any Encoder) throws {
        var container = encoder.container(keyedBy: CodingKeys.self)
        try container.encode(index, forKey: .index)
        try container.encode(deviceCore, forKey: .deviceCore)
        try container.encode(cpu, forKey: .cpu)
        try container.encode(modelsLoaded, forKey: .modelsLoaded)
        try container.encode(activeModel, forKey: .activeModel)
        try container.encode(runningModel, forKey: .runningModel)
        try container.encode(executions, forKey: .executions)
        try container.encode(switches, forKey: .switches)
        try container.encode(switchSeconds, forKey: .switchSeconds)
        try container.encode(busyFraction, forKey: .busyFraction)
        try container.encode(queueLength, forKey: .queueLength)
        try container.encode(memoryBudgetBytes, forKey: .memoryBudgetBytes)
        try container.encode(memoryUsedBytes, forKey: .memoryUsedBytes)
    }
}

/// READY: no other model is active on any of the model's cores, so it runs without a switch.
/// STANDBY: another model is active on at least one of its cores; running it needs a switch there.
public enum ModelState: String, Sendable, Codable {
    case ready = "READY"
    case standby = "STANDBY"
}

/// One loaded model's placement, state and counters.
public struct ModelSnapshot: Sendable, Codable, Equatable {
    public var id: Int
    public var name: String
    /// The context index it was loaded at (a core index, or a group index in NeuronCore Group mode).
    public var context: Int
    /// Context indexes of its cores, stage 0 first.
    public var cores: [Int]
    public var deviceCores: [Int]
    public var state: ModelState
    public var maxInFlight: Int
    public var inFlight: Int
    public var peakInFlight: Int
    public var inferences: Int
    public var errors: Int
    /// Error counts by Neuron status name (`NRT_QUEUE_FULL`, ...).
    public var errorsByStatus: [String: Int]
    public var latency: LatencySummary

    enum CodingKeys: String, CodingKey {
        case id, name, context, cores
        case deviceCores = "device_cores"
        case state
        case maxInFlight = "max_in_flight"
        case inFlight = "in_flight"
        case peakInFlight = "peak_in_flight"
        case inferences, errors
        case errorsByStatus = "errors_by_status"
        case latency
    }
}

/// Latency percentiles (milliseconds, nearest rank) and throughput (inferences per second) over the
/// model's most recent inferences (`RuntimeConfiguration.latencyWindow`). nil until there are samples.
/// Latency runs from admission (the request takes an in-flight slot) to completion of its last stage,
/// so time spent waiting for a slot (backpressure) is not in it.
public struct LatencySummary: Sendable, Codable, Equatable {
    /// Samples in the window.
    public var count: Int
    public var p50: Double?
    public var p90: Double?
    public var p99: Double?
    /// Completions per second between the window's first and last completion (needs 2 samples).
    public var throughput: Double?

    enum CodingKeys: String, CodingKey {
        case count
        case p50 = "p50_ms"
        case p90 = "p90_ms"
        case p99 = "p99_ms"
        case throughput = "throughput_per_second"
    }

    public func encode(to encoder: any Encoder) throws {
        var container = encoder.container(keyedBy: CodingKeys.self)
        try container.encode(count, forKey: .count)
        try container.encode(p50, forKey: .p50)
        try container.encode(p90, forKey: .p90)
        try container.encode(p99, forKey: .p99)
        try container.encode(throughput, forKey: .throughput)
    }
}
