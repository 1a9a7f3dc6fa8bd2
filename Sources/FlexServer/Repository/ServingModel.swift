import FlexRuntime
import Foundation

/// One version of a model as it serves: its completed config and its instances (copies on
/// consecutive NeuronCore ranges). Immutable but for the round-robin cursor; shared by every request
/// that found it, so a request keeps working on the version it started on while a reload swaps in
/// the next.
final class ServingModel: Sendable {
    let name: String
    let version: Int
    let config: ModelConfig
    let instances: [HostedInstance]
    /// What requests send and receive: the compiled shapes, with the leading (batch) dimension -1
    /// when `maxBatchSize` > 0.
    let inputs: [TensorDescription]
    let outputs: [TensorDescription]
    let loadSeconds: Double
    /// Triton's `max_batch_size`: 0, no batch dimension; B, compiled at batch B, requests of 1…B.
    let maxBatchSize: Int
    private let batcher: DynamicBatcher?
    private let cursor = Locked<Int>(0)

    init(name: String, version: Int, config: ModelConfig, instances: [HostedInstance], loadSeconds: Double,
         maxBatchSize: Int = 0, batching: ModelConfig.DynamicBatching? = nil) {
        self.name = name
        self.version = version
        self.config = config
        self.instances = instances
        func requestShape(_ tensor: TensorDescription) -> TensorDescription {
            guard maxBatchSize > 0, !tensor.shape.isEmpty else { return tensor }
            return TensorDescription(name: tensor.name, datatype: tensor.datatype, shape: [-1] + tensor.shape.dropFirst())
        }
        self.inputs = instances[0].prepared.inputs.map(requestShape)
        self.outputs = instances[0].prepared.outputs.map(requestShape)
        self.loadSeconds = loadSeconds
        self.maxBatchSize = maxBatchSize
        if maxBatchSize > 0, let batching {
            let instances = instances
            let cursor = Locked<Int>(0)
            batcher = DynamicBatcher(maxBatch: maxBatchSize, delayMicroseconds: batching.maxQueueDelayMicroseconds,
                                     preferred: batching.preferredBatchSizes,
                                     maxInFlight: instances.reduce(0) { $0 + max(1, $1.cores.count) }) { inputs, rows in
                let index = cursor.withLock { value in
                    defer { value &+= 1 }
                    return value
                }
                do throws(ServerError) {
                    return .success(try await instances[index % instances.count].infer(inputs, rows: rows))
                } catch {
                    return .failure(error)
                }
            }
        } else {
            batcher = nil
        }
    }

    /// Runs one request's checked inputs: batched with others (dynamic batching), padded alone to the
    /// compiled batch, or as is.
    func run(_ inputs: [TensorData]) async throws(ServerError) -> ([TensorData], InferenceTiming) {
        guard maxBatchSize > 0, let batch = inputs.first?.shape.first else { return try await nextInstance().infer(inputs) }
        if let batcher { return try await batcher.submit(inputs, batch: batch).get() }
        let (padded, stacking) = DynamicBatcher.stacked([inputs], batches: [batch], to: maxBatchSize)
        var (outputs, timing) = try await nextInstance().infer(padded, rows: batch)
        timing.stackingNanoseconds = stacking
        return (outputs.map { DynamicBatcher.rows($0, from: 0, count: batch, of: maxBatchSize) }, timing)
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

    /// One execution size's totals in Triton's `batch_stats`.
    struct BatchDurations: Sendable {
        var computeInput = Duration()
        var computeInfer = Duration()
        var computeOutput = Duration()
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
        /// Executions by the batch elements they served (Triton's `batch_stats`): each execution's
        /// compute input, infer and output as the request that counts it measured them.
        var executionsByBatchSize: [Int: BatchDurations] = [:]
        /// Milliseconds since the epoch; 0 before the first.
        var lastInference: UInt64 = 0
        /// Failures by Triton's `reason` label: REJECTED, CANCELED, BACKEND, OTHER.
        var failuresByReason: [String: UInt64] = [:]
        /// Requests received and not yet answered.
        var pending: Int = 0
        /// The version the last request went to ("" before one did).
        var version = ""
    }

    private let values = Locked(Values())

    var current: Values { values.withLock { $0 } }

    func started(version: Int) {
        values.withLock {
            $0.pending += 1
            $0.version = String(version)
        }
    }

    /// One answered request, in nanoseconds: `input` is decoding its tensors; compute input adds the
    /// timing's stacking into the compiled batch.
    func succeeded(total: UInt64, input: UInt64, timing: InferenceTiming, output: UInt64, batch: UInt64) {
        let now = UInt64(Date().timeIntervalSince1970 * 1000)
        let computeInput = input &+ timing.stackingNanoseconds
        values.withLock {
            $0.pending -= 1
            $0.success.add(total)
            $0.computeInput.add(computeInput)
            $0.queue.add(timing.queueNanoseconds)
            $0.computeInfer.add(timing.inferNanoseconds)
            $0.computeOutput.add(output)
            $0.inferenceCount += batch
            if let size = timing.executionBatchSize {
                $0.executionCount += 1
                var durations = $0.executionsByBatchSize[size] ?? BatchDurations()
                durations.computeInput.add(computeInput)
                durations.computeInfer.add(timing.inferNanoseconds)
                durations.computeOutput.add(output)
                $0.executionsByBatchSize[size] = durations
            }
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
