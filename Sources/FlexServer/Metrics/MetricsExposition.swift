import FlexRuntime
import Foundation

/// `/metrics` in Prometheus text format (0.0.4), written from the server's statistics and the
/// runtime's snapshot at each scrape: Triton's `nv_*` families where they apply, and FlexEG's
/// `flexeg_neuroncore_*` per NeuronCore and `flexeg_model_neuroncores` per loaded instance. Core
/// numbers (`neuroncore`, `neuroncores`) are context indexes, the `mx.neuron(i)` numbering.
///
/// Thread ownership: `render` may run on any task; the previous `/proc/stat` sample (for
/// `nv_cpu_utilization` between scrapes) is behind a mutex.
final class MetricsExposition: Sendable {
    private let manager: ModelManager
    private let previousCPU = Locked<(busy: UInt64, total: UInt64)?>(nil)

    init(manager: ModelManager) {
        self.manager = manager
    }

    func render() -> String {
        var out = ""
        let statistics = manager.allStatistics
        let serving = Dictionary(uniqueKeysWithValues: manager.servingModels.map { ($0.name, $0) })
        let values = statistics.map { name, stats in (name, stats.current) }
        func version(_ name: String, _ value: ModelStatistics.Values) -> String {
            serving[name].map { String($0.version) } ?? value.version
        }
        func family(_ name: String, _ type: String, _ help: String, _ samples: [(String, String)]) {
            out += "# HELP \(name) \(help)\n# TYPE \(name) \(type)\n"
            for (labels, value) in samples { out += "\(name)\(labels) \(value)\n" }
        }
        func modelFamily(_ name: String, _ type: String, _ help: String, _ value: (ModelStatistics.Values) -> UInt64) {
            family(name, type, help, values.map { model, stats in
                (Self.labels([("model", model), ("version", version(model, stats))]), String(value(stats)))
            })
        }
        modelFamily("nv_inference_request_success", "counter", "Number of successful inference requests, all batch sizes") { $0.success.count }
        family("nv_inference_request_failure", "counter", "Number of failed inference requests, all batch sizes",
               values.flatMap { model, stats in
                   ["REJECTED", "CANCELED", "BACKEND", "OTHER"].map { reason in
                       (Self.labels([("model", model), ("version", version(model, stats)), ("reason", reason)]), String(stats.failuresByReason[reason] ?? 0))
                   }
               })
        modelFamily("nv_inference_count", "counter", "Number of inferences performed (does not include cached requests)") { $0.inferenceCount }
        modelFamily("nv_inference_exec_count", "counter", "Number of model executions performed (does not include cached requests)") { $0.executionCount }
        modelFamily("nv_inference_request_duration_us", "counter", "Cumulative inference request duration in microseconds (includes cached requests)") {
            ($0.success.ns &+ $0.fail.ns) / 1000
        }
        modelFamily("nv_inference_queue_duration_us", "counter", "Cumulative inference queuing duration in microseconds (includes cached requests)") { $0.queue.ns / 1000 }
        modelFamily("nv_inference_compute_input_duration_us", "counter", "Cumulative compute input duration in microseconds (does not include cached requests)") { $0.computeInput.ns / 1000 }
        modelFamily("nv_inference_compute_infer_duration_us", "counter", "Cumulative compute inference duration in microseconds (does not include cached requests)") { $0.computeInfer.ns / 1000 }
        modelFamily("nv_inference_compute_output_duration_us", "counter", "Cumulative inference compute output duration in microseconds (does not include cached requests)") { $0.computeOutput.ns / 1000 }
        modelFamily("nv_inference_pending_request_count", "gauge", "Instantaneous number of pending requests awaiting execution per-model.") { UInt64(max(0, $0.pending)) }
        family("nv_model_load_duration_secs", "gauge", "Model load time in seconds",
               serving.keys.sorted().map { name in
                   (Self.labels([("model", name), ("version", String(serving[name]!.version))]), Self.number(serving[name]!.loadSeconds))
               })

        if let utilization = cpuUtilization() {
            family("nv_cpu_utilization", "gauge", "CPU utilization rate [0.0 - 1.0]", [("", Self.number(utilization))])
        }
        if let (total, available) = Self.memoryInfo() {
            family("nv_cpu_memory_total_bytes", "gauge", "CPU total memory (RAM), in bytes", [("", String(total))])
            family("nv_cpu_memory_used_bytes", "gauge", "CPU used memory (RAM), in bytes", [("", String(total - min(total, available)))])
        }

        let snapshot = manager.host.snapshot()
        func coreFamily(_ name: String, _ type: String, _ help: String, _ value: (CoreStatus) -> String) {
            family(name, type, help, snapshot.cores.map { (Self.labels([("neuroncore", String($0.index))]), value($0)) })
        }
        coreFamily("flexeg_neuroncore_utilization_ratio", "gauge", "Fraction of time the NeuronCore ran stages or switched models since it started [0.0 - 1.0]") { Self.number($0.utilization) }
        coreFamily("flexeg_neuroncore_executions_total", "counter", "Pipeline stage executions completed on the NeuronCore") { String($0.executions) }
        coreFamily("flexeg_neuroncore_switches_total", "counter", "Model switches on the NeuronCore (one loaded model's weights replaced by another's)") { String($0.switches) }
        coreFamily("flexeg_neuroncore_switch_seconds_total", "counter", "Time the NeuronCore spent switching models, in seconds") { Self.number($0.switchSeconds) }
        coreFamily("flexeg_neuroncore_memory_used_bytes", "gauge", "NeuronCore memory used by loaded models, in bytes") { String($0.memoryUsedBytes) }
        coreFamily("flexeg_neuroncore_memory_budget_bytes", "gauge", "NeuronCore memory budget, in bytes") { String($0.memoryBudgetBytes) }
        var placements: [(String, String)] = []
        for model in serving.keys.sorted().compactMap({ serving[$0] }) {
            for instance in model.instances {
                let state = snapshot.instances[instance.id]?.state ?? "UNKNOWN"
                placements.append((Self.labels([
                    ("model", model.name), ("version", String(model.version)),
                    ("neuroncores", CoreRanges.format(instance.cores)), ("state", state),
                ]), "1"))
            }
        }
        family("flexeg_model_neuroncores", "gauge", "A loaded model instance's NeuronCores (value 1); state READY (active on all its cores) or STANDBY (a switch is needed)", placements)
        return out
    }

    static func labels(_ pairs: [(String, String)]) -> String {
        guard !pairs.isEmpty else { return "" }
        return "{" + pairs.map { key, value in
            let escaped = value.replacingOccurrences(of: "\\", with: "\\\\").replacingOccurrences(of: "\"", with: "\\\"").replacingOccurrences(of: "\n", with: "\\n")
            return "\(key)=\"\(escaped)\""
        }.joined(separator: ",") + "}"
    }

    static func number(_ value: Double) -> String {
        value.isFinite ? String(value) : (value.isNaN ? "NaN" : (value > 0 ? "+Inf" : "-Inf"))
    }

    /// Busy ÷ total jiffies of all CPUs since the previous scrape (since boot at the first).
    private func cpuUtilization() -> Double? {
        guard let text = ProcFile.text("/proc/stat"),
              let line = text.split(separator: "\n").first(where: { $0.hasPrefix("cpu ") }) else { return nil }
        let fields = line.split(separator: " ").dropFirst().compactMap { UInt64($0) }
        guard fields.count >= 4 else { return nil }
        let total = fields.reduce(0, +)
        let idle = fields[3] + (fields.count > 4 ? fields[4] : 0)
        let busy = total - idle
        let previous = previousCPU.withLock { stored -> (busy: UInt64, total: UInt64)? in
            defer { stored = (busy, total) }
            return stored
        }
        let deltaTotal = total - (previous?.total ?? 0), deltaBusy = busy - (previous?.busy ?? 0)
        return deltaTotal == 0 ? 0 : min(1, Double(deltaBusy) / Double(deltaTotal))
    }

    /// `MemTotal` and `MemAvailable` from `/proc/meminfo`, bytes.
    private static func memoryInfo() -> (UInt64, UInt64)? {
        guard let text = ProcFile.text("/proc/meminfo") else { return nil }
        func value(_ key: String) -> UInt64? {
            guard let line = text.split(separator: "\n").first(where: { $0.hasPrefix(key + ":") }) else { return nil }
            return line.split(separator: " ").dropFirst().first.flatMap { UInt64($0) }.map { $0 * 1024 }
        }
        guard let total = value("MemTotal"), let available = value("MemAvailable") else { return nil }
        return (total, available)
    }
}
