import Foundation
import Synchronization

/// One version of a model as it serves: its completed config and its instances (copies on
/// consecutive NeuronCore ranges). Immutable but for the round-robin cursor; shared by every request
/// that found it, so a request keeps working on the version it started on while a reload swaps in
/// the next.
final class ServingModel: Sendable {
    let name: String
    let version: Int
    let config: ModelConfig
    let instances: [HostedInstance]
    let inputs: [TensorDescription]
    let outputs: [TensorDescription]
    let loadSeconds: Double
    private let cursor = Mutex<Int>(0)

    init(name: String, version: Int, config: ModelConfig, instances: [HostedInstance], loadSeconds: Double) {
        self.name = name
        self.version = version
        self.config = config
        self.instances = instances
        self.inputs = instances[0].prepared.inputs
        self.outputs = instances[0].prepared.outputs
        self.loadSeconds = loadSeconds
    }

    /// Context indexes of every instance's cores, ascending.
    var neuronCores: [Int] { Array(Set(instances.flatMap(\.cores))).sorted() }

    /// The instance for the next request (round robin).
    func nextInstance() -> HostedInstance {
        let index = cursor.withLock { value in
            defer { value &+= 1 }
            return value
        }
        return instances[index % instances.count]
    }
}

/// Triton's statistics for one model name (kept across reloads, so Prometheus counters only grow).
/// Durations are `(count, ns)` pairs. Thread-safe: updated by request tasks, read by `/stats` and
/// `/metrics`.
final class ModelStatistics: Sendable {
    struct Duration: Sendable {
        var count: UInt64 = 0
        var ns: UInt64 = 0
        mutating func add(_ nanoseconds: UInt64) {
            count += 1
            ns &+= nanoseconds
        }
    }

    struct Values: Sendable {
        var success = Duration()
        var fail = Duration()
        var queue = Duration()
        var computeInput = Duration()
        var computeInfer = Duration()
        var computeOutput = Duration()
        var inferenceCount: UInt64 = 0
        var executionCount: UInt64 = 0
        /// Milliseconds since the epoch; 0 before the first.
        var lastInference: UInt64 = 0
        /// Failures by Triton's `reason` label: REJECTED, CANCELED, BACKEND, OTHER.
        var failuresByReason: [String: UInt64] = [:]
        /// Requests received and not yet answered.
        var pending: Int = 0
        /// The version the last request went to ("" before one did).
        var version = ""
    }

    private let values = Mutex(Values())

    var current: Values { values.withLock { $0 } }

    func started(version: Int) {
        values.withLock {
            $0.pending += 1
            $0.version = String(version)
        }
    }

    func succeeded(total: UInt64, input: UInt64, timing: InferenceTiming, output: UInt64, batch: UInt64) {
        let now = UInt64(Date().timeIntervalSince1970 * 1000)
        values.withLock {
            $0.pending -= 1
            $0.success.add(total)
            $0.computeInput.add(input)
            $0.queue.add(timing.queueNanoseconds)
            $0.computeInfer.add(timing.inferNanoseconds)
            $0.computeOutput.add(output)
            $0.inferenceCount += batch
            $0.executionCount += 1
            $0.lastInference = now
        }
    }

    func failed(total: UInt64, reason: String) {
        values.withLock {
            $0.pending -= 1
            $0.fail.add(total)
            $0.failuresByReason[reason, default: 0] += 1
        }
    }
}
