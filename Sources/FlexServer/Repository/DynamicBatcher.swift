import FlexRuntime
import FlexTensor

/// Triton's dynamic batching for a model compiled at batch `maxBatch`: requests of batch 1…maxBatch
/// queue up and run together, concatenated along the leading dimension and padded to the compiled
/// batch (the runtime zeroes the padding where the model could read it); each request gets its own
/// rows of the outputs back.
///
/// A batch is formed when an instance can take it (at most `maxInFlight` batches run at once, one per
/// NeuronCore of the model's instances, so requests gather in the queue while the cores are busy) and
/// the queued requests reach `maxBatch` rows, a preferred batch size (or the largest one), or the
/// oldest request has waited `max_queue_delay_microseconds`. The wait is judged by the oldest request's
/// own deadline whenever the queue is looked at (on arrival, when a batch finishes, when a timer fires),
/// so a timer armed for a request that already left in a full batch cannot flush later arrivals early.
///
/// Thread ownership: the queue is behind a mutex; batches run on tasks the batcher starts, whose
/// inference suspends on the runtime's cores; timers are tasks that only look at the queue.
final class DynamicBatcher: Sendable {
    typealias Outcome = Result<([TensorData], InferenceTiming), ServerError>
    /// Runs a batch: the stacked inputs (`maxBatch` rows) and how many of their leading rows are requests'
    /// (the rest is padding).
    typealias Run = @Sendable (_ inputs: [TensorData], _ rows: Int) async -> Outcome

    private struct Pending: Sendable {
        var inputs: [TensorData]
        var batch: Int
        /// When it joined the queue (it has waited the queue delay at `arrived + delay`).
        var arrived: ContinuousClock.Instant
        var continuation: CheckedContinuation<Outcome, Never>
    }

    private struct Queue: Sendable {
        var pending: [Pending] = []
        /// Batches running now.
        var inFlight = 0
        /// The deadline the latest timer sleeps until (nil: none armed, or it has fired).
        var timerDeadline: ContinuousClock.Instant?
    }

    /// What looking at the queue decided.
    private enum Decision: Sendable {
        case run([Pending])
        case wake(at: ContinuousClock.Instant)
        case nothing
    }

    let maxBatch: Int
    let maxInFlight: Int
    private let delay: Duration
    private let preferred: Set<Int>
    private let run: Run
    private let queue = Locked(Queue())

    /// `maxInFlight`: batches that may run at once (the model's instances' NeuronCores; at least 1).
    /// `preferred`: sizes in 1...maxBatch (`ModelConfig.checkConsistent` refuses any other).
    init(maxBatch: Int, delayMicroseconds: Int, preferred: [Int], maxInFlight: Int = 1, run: @escaping Run) {
        assert(preferred.allSatisfy { (1...maxBatch).contains($0) }, "preferred batch sizes \(preferred) outside 1...\(maxBatch)")
        self.maxBatch = maxBatch
        self.maxInFlight = max(1, maxInFlight)
        self.delay = .microseconds(delayMicroseconds)
        self.preferred = Set(preferred)
        self.run = run
    }

    /// Requests waiting in the queue (not yet in a running batch).
    var queuedRequests: Int { queue.withLock { $0.pending.count } }

    /// Queues a request whose inputs all have leading dimension `batch` (1…maxBatch); returns its outputs.
    func submit(_ inputs: [TensorData], batch: Int) async -> Outcome {
        await withCheckedContinuation { continuation in
            let now = ContinuousClock.now
            let decision = queue.withLock { queue in
                queue.pending.append(Pending(inputs: inputs, batch: batch, arrived: now, continuation: continuation))
                return decide(&queue, now: now)
            }
            act(on: decision)
        }
    }

    /// Whether `rows` queued rows make a batch without waiting.
    private func isFull(_ rows: Int) -> Bool {
        rows >= maxBatch || preferred.contains(rows) || (preferred.max().map { rows >= $0 } ?? false)
    }

    /// Takes a batch off the queue if one may run now, else says when to look again. Call with the lock held.
    private func decide(_ queue: inout Queue, now: ContinuousClock.Instant) -> Decision {
        guard let oldest = queue.pending.first, queue.inFlight < maxInFlight else { return .nothing }
        let rows = queue.pending.reduce(0) { $0 + $1.batch }
        let deadline = oldest.arrived + delay
        guard isFull(rows) || now >= deadline else {
            if let armed = queue.timerDeadline, armed <= deadline { return .nothing }
            queue.timerDeadline = deadline
            return .wake(at: deadline)
        }
        var taken: [Pending] = []
        var total = 0
        while let next = queue.pending.first, total + next.batch <= maxBatch {
            taken.append(queue.pending.removeFirst())
            total += next.batch
        }
        queue.inFlight += 1
        return .run(taken)
    }

    private func act(on decision: Decision) {
        switch decision {
        case .nothing:
            return
        case .wake(let deadline):
            Task {
                try? await Task.sleep(until: deadline, clock: .continuous)
                let next = self.queue.withLock { queue in
                    if queue.timerDeadline == deadline { queue.timerDeadline = nil }
                    return self.decide(&queue, now: .now)
                }
                self.act(on: next)
            }
        case .run(let group):
            Task {
                await self.execute(group)
                let next = self.queue.withLock { queue in
                    queue.inFlight -= 1
                    return self.decide(&queue, now: .now)
                }
                self.act(on: next)
            }
        }
    }

    /// Runs one batch and hands every request its rows (or the error). A request's queue time is its wait
    /// here plus the instance's own queueing (Triton counts the dynamic batcher's queue as queue time).
    private func execute(_ group: [Pending]) async {
        let formed = ContinuousClock.now
        let batches = group.map(\.batch)
        let (stacked, stacking) = Self.stacked(group.map(\.inputs), batches: batches, to: maxBatch)
        let outcome = await run(stacked, batches.reduce(0, +))
        switch outcome {
        case .failure(let error):
            for request in group { request.continuation.resume(returning: .failure(error)) }
        case .success(let (outputs, timing)):
            var row = 0
            for (index, request) in group.enumerated() {
                let slices = outputs.map { Self.rows($0, from: row, count: request.batch, of: maxBatch) }
                var share = timing
                if index > 0 { share.executionBatchSize = nil }  // one execution served the whole group
                share.queueNanoseconds += InferenceTiming.nanoseconds(request.arrived.duration(to: formed))
                share.stackingNanoseconds = stacking
                request.continuation.resume(returning: .success((slices, share)))
                row += request.batch
            }
        }
    }

    /// `concatenated`, and the nanoseconds it took (`InferenceTiming.stackingNanoseconds`).
    static func stacked(_ requests: [[TensorData]], batches: [Int], to rows: Int) -> ([TensorData], UInt64) {
        let start = ContinuousClock.now
        let inputs = concatenated(requests, batches: batches, to: rows)
        return (inputs, InferenceTiming.nanoseconds(start.duration(to: .now)))
    }

    /// Each input's requests stacked in order along the leading dimension, in a tensor of `rows` rows whose
    /// padding rows hold anything: `LoadedModel.submit(handingOver:rows:)` zeroes what the model could read.
    static func concatenated(_ requests: [[TensorData]], batches: [Int], to rows: Int) -> [TensorData] {
        guard let first = requests.first else { return [] }
        return first.map { template in
            let rowBytes = template.bytes.count / max(1, template.shape.first ?? 1)
            let storage = TensorBuffer(uninitializedByteCount: rows * rowBytes)
            var end = 0
            for request in requests {
                guard let input = request.first(where: { $0.name == template.name }) else { continue }
                let count = min(input.bytes.count, storage.byteCount - end)
                input.bytes.withUnsafeBytes { source in
                    if let base = source.baseAddress { (storage.baseAddress + end).copyMemory(from: base, byteCount: count) }
                }
                end += count
            }
            var shape = template.shape
            shape[0] = rows
            return TensorData(TensorDescription(name: template.name, datatype: template.datatype, shape: shape),
                              bytes: SharedBytes(viewing: storage, 0..<storage.byteCount))
        }
    }

    /// Rows `from ..< from + count` of a `total`-row tensor.
    static func rows(_ tensor: TensorData, from: Int, count: Int, of total: Int) -> TensorData {
        let rowBytes = tensor.bytes.count / max(1, total)
        var shape = tensor.shape
        if !shape.isEmpty { shape[0] = count }
        return TensorData(TensorDescription(name: tensor.name, datatype: tensor.datatype, shape: shape),
                          bytes: tensor.bytes.dropFirst(from * rowBytes).prefix(count * rowBytes))
    }
}
