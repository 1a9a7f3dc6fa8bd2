/// What one loaded model has done, for snapshots. Written by whichever thread completes or rejects a
/// request, read by snapshots, always under the model's counters lock.
struct ModelCounters: Sendable {
    /// Inferences that completed with outputs.
    var inferences = 0
    /// Requests that failed, for any reason (invalid input, queue full, timeout, stage failure, unload).
    var errors = 0
    var errorsByStatus: [NRTStatus: Int] = [:]
    var latencies: LatencyWindow

    init(latencyWindow: Int) {
        latencies = LatencyWindow(capacity: latencyWindow)
    }

    mutating func recordError(_ error: RuntimeError) {
        errors += 1
        errorsByStatus[error.status, default: 0] += 1
    }
}
