/// The most recent `capacity` completed inferences of one model (completion time and latency), for
/// latency percentiles and throughput over a bounded window.
///
/// Thread ownership: a plain value kept under the model's counters lock.
struct LatencyWindow: Sendable {
    private struct Sample {
        var completed: ContinuousClock.Instant
        var latency: Duration
    }

    let capacity: Int
    private var samples: [Sample] = []
    private var next = 0

    init(capacity: Int) {
        self.capacity = max(1, capacity)
        samples.reserveCapacity(min(self.capacity, 1024))
    }

    mutating func record(latency: Duration, completed: ContinuousClock.Instant) {
        let sample = Sample(completed: completed, latency: latency)
        if samples.count < capacity {
            samples.append(sample)
        } else {
            samples[next] = sample
            next = (next + 1) % capacity
        }
    }

    /// The window's latencies, seconds, oldest first not guaranteed.
    var latencySeconds: [Double] { samples.map { $0.latency.seconds } }

    /// The value at each of `ranks` (percentiles 0...100, nearest rank; 0 is the smallest) of
    /// `values`; nil when there are none.
    static func percentiles(of values: [Double], ranks: [Double]) -> [Double]? {
        guard !values.isEmpty else { return nil }
        let sorted = values.sorted()
        return ranks.map { p in sorted[min(max(Int((p / 100 * Double(sorted.count)).rounded(.up)), 1), sorted.count) - 1] }
    }

    /// Percentiles (nearest rank) and throughput of the samples in the window.
    func summary() -> LatencySummary {
        guard !samples.isEmpty else { return LatencySummary(count: 0, p50: nil, p90: nil, p99: nil, throughput: nil) }
        let sorted = samples.map { $0.latency.seconds }.sorted()
        func percentile(_ p: Double) -> Double {
            let rank = Int((p / 100 * Double(sorted.count)).rounded(.up))
            return sorted[min(max(rank, 1), sorted.count) - 1] * 1000
        }
        var throughput: Double?
        if samples.count >= 2 {
            let times = samples.map(\.completed)
            let span = times.min()!.duration(to: times.max()!).seconds
            if span > 0 { throughput = Double(samples.count - 1) / span }
        }
        return LatencySummary(count: samples.count, p50: percentile(50), p90: percentile(90), p99: percentile(99), throughput: throughput)
    }
}
