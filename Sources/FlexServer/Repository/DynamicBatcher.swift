import Synchronization

/// Triton's dynamic batching for a model compiled at batch `maxBatch`: requests of batch 1…maxBatch
/// queue up and run together, concatenated along the leading dimension and padded with zeros to the
/// compiled batch; each request gets its own rows of the outputs back. A batch runs as soon as the
/// queued batch sizes reach `maxBatch` or a preferred batch size, otherwise after
/// `max_queue_delay_microseconds` with whatever is queued.
///
/// Thread ownership: the queue is behind a mutex; batches run on tasks the batcher starts (one per
/// flush), whose inference suspends on the runtime's cores.
final class DynamicBatcher: Sendable {
    typealias Outcome = Result<([TensorData], InferenceTiming), ServerError>
    typealias Run = @Sendable ([TensorData]) async -> Outcome

    private struct Pending: Sendable {
        var inputs: [TensorData]
        var batch: Int
        var continuation: CheckedContinuation<Outcome, Never>
    }

    private struct Queue: Sendable {
        var pending: [Pending] = []
        var timerArmed = false
    }

    let maxBatch: Int
    private let delay: Duration
    private let preferred: Set<Int>
    private let run: Run
    private let queue = Mutex(Queue())

    init(maxBatch: Int, delayMicroseconds: Int, preferred: [Int], run: @escaping Run) {
        self.maxBatch = maxBatch
        self.delay = .microseconds(delayMicroseconds)
        self.preferred = Set(preferred)
        self.run = run
    }

    /// Queues a request whose inputs all have leading dimension `batch` (1…maxBatch); returns its outputs.
    func submit(_ inputs: [TensorData], batch: Int) async -> Outcome {
        await withCheckedContinuation { continuation in
            let (flushNow, armTimer) = queue.withLock { queue -> (Bool, Bool) in
                queue.pending.append(Pending(inputs: inputs, batch: batch, continuation: continuation))
                let total = queue.pending.reduce(0) { $0 + $1.batch }
                if total >= maxBatch || preferred.contains(total) { return (true, false) }
                if queue.timerArmed { return (false, false) }
                queue.timerArmed = true
                return (false, true)
            }
            if flushNow {
                Task { await self.flush() }
            } else if armTimer {
                Task {
                    try? await Task.sleep(for: self.delay)
                    await self.flush()
                }
            }
        }
    }

    /// Runs the oldest requests that fit one batch; starts another flush when more remain full.
    private func flush() async {
        let (group, more) = queue.withLock { queue -> ([Pending], Bool) in
            var taken: [Pending] = []
            var total = 0
            while let next = queue.pending.first, total + next.batch <= maxBatch {
                taken.append(queue.pending.removeFirst())
                total += next.batch
            }
            if queue.pending.isEmpty { queue.timerArmed = false }
            let remaining = queue.pending.reduce(0) { $0 + $1.batch }
            return (taken, remaining >= maxBatch || (!queue.pending.isEmpty && !queue.timerArmed))
        }
        if more { Task { await self.flush() } }
        guard !group.isEmpty else { return }
        let outcome = await run(Self.concatenated(group.map(\.inputs), batches: group.map(\.batch), to: maxBatch))
        switch outcome {
        case .failure(let error):
            for request in group { request.continuation.resume(returning: .failure(error)) }
        case .success(let (outputs, timing)):
            var row = 0
            for request in group {
                let slices = outputs.map { Self.rows($0, from: row, count: request.batch, of: maxBatch) }
                request.continuation.resume(returning: .success((slices, timing)))
                row += request.batch
            }
        }
    }

    /// Each input's requests stacked in order along the leading dimension, zero-padded to `rows`.
    static func concatenated(_ requests: [[TensorData]], batches: [Int], to rows: Int) -> [TensorData] {
        guard let first = requests.first else { return [] }
        return first.map { template in
            var bytes: [UInt8] = []
            for request in requests {
                if let input = request.first(where: { $0.name == template.name }) { bytes.append(contentsOf: input.bytes) }
            }
            let rowBytes = template.bytes.count / max(1, template.shape.first ?? 1)
            bytes.append(contentsOf: [UInt8](repeating: 0, count: max(0, rows * rowBytes - bytes.count)))
            var shape = template.shape
            shape[0] = rows
            return TensorData(TensorDescription(name: template.name, datatype: template.datatype, shape: shape), bytes: bytes)
        }
    }

    /// Rows `from ..< from + count` of a `total`-row tensor.
    static func rows(_ tensor: TensorData, from: Int, count: Int, of total: Int) -> TensorData {
        let rowBytes = tensor.bytes.count / max(1, total)
        var shape = tensor.shape
        if !shape.isEmpty { shape[0] = count }
        return TensorData(TensorDescription(name: tensor.name, datatype: tensor.datatype, shape: shape),
                          bytes: Array(tensor.bytes[(from * rowBytes)..<((from + count) * rowBytes)]))
    }
}
