import FlexEG
import FlexRuntime
import Foundation

/// One period of `flexeg monitor`: neuron-monitor's report structure and field names, built from two
/// readings of the runtime directory (the period's start and end) and two of the host's counters.
///
/// Rates (utilization, vCPU use) and `execution_summary` / `error_summary` cover the period, as
/// neuron-monitor's do; `latency_stats` covers each runtime's recent inferences (its latency window);
/// FlexEG adds, per NeuronCore, `model_switches` and `executions` (totals since the runtime started,
/// so they only grow) and `model_switches_in_period`. A runtime that started during the period is
/// measured from its start.
///
/// Thread ownership: a value; `json` builds plain dictionaries.
struct MonitorReport {
    /// Which metric groups to report for runtimes and the system, and which runtime tags (`tag_filter`).
    struct Configuration {
        static let runtimeGroups = ["neuroncore_counters", "execution_stats", "memory_used", "neuron_runtime_vcpu_usage"]
        static let systemGroups = ["vcpu_usage", "memory_info", "neuron_hw_counters"]

        struct RuntimeSelection {
            var tagFilter: NSRegularExpression?
            var groups: [String]
        }

        var period: Double = 5
        var runtimes = [RuntimeSelection(tagFilter: nil, groups: runtimeGroups)]
        var systemGroups = ["vcpu_usage", "memory_info"]

        /// neuron-monitor's configuration file (`{"period":"1s","neuron_runtimes":[{"tag_filter":".*",
        /// "metrics":[{"type":"neuroncore_counters"},...]}],"system_metrics":[{"type":"vcpu_usage"},...]}`).
        static func parse(_ data: Data, path: String) throws -> Configuration {
            func fail(_ problem: String) -> CommandLineError {
                CommandLineError("the monitor configuration \(path) \(problem)")
            }
            guard let object = (try? JSONSerialization.jsonObject(with: data)) as? [String: Any] else {
                throw fail("is not a JSON object like {\"period\":\"1s\",\"neuron_runtimes\":[...],\"system_metrics\":[...]}")
            }
            var configuration = Configuration()
            if let period = object["period"] {
                guard let text = period as? String, let seconds = parsePeriod(text) else {
                    throw fail("has period \(period); give a duration like \"1s\", \"500ms\" or \"2m\"")
                }
                configuration.period = seconds
            }
            func groups(_ list: Any?, valid: [String], key: String) throws -> [String] {
                guard let list = list as? [[String: Any]] else { throw fail("needs \"\(key)\" as a list of {\"type\": ...} objects") }
                return try list.map { entry in
                    guard let type = entry["type"] as? String, valid.contains(type) else {
                        throw fail("has metric type \(entry["type"] ?? "nil") in \"\(key)\"; valid types: \(valid.joined(separator: ", "))")
                    }
                    return type
                }
            }
            if let runtimes = object["neuron_runtimes"] {
                guard let list = runtimes as? [[String: Any]] else { throw fail("needs \"neuron_runtimes\" as a list of objects") }
                configuration.runtimes = try list.map { entry in
                    var filter: NSRegularExpression?
                    if let pattern = entry["tag_filter"] as? String {
                        do { filter = try NSRegularExpression(pattern: pattern) } catch {
                            throw fail("has tag_filter \"\(pattern)\", which is not a regular expression")
                        }
                    }
                    return RuntimeSelection(tagFilter: filter, groups: try groups(entry["metrics"] ?? [[String: Any]](), valid: runtimeGroups, key: "metrics"))
                }
            }
            if let system = object["system_metrics"] {
                configuration.systemGroups = try groups(system, valid: systemGroups, key: "system_metrics")
            }
            return configuration
        }

        /// `1s`, `500ms`, `2m`, `1.5s`, or a bare number of seconds.
        static func parsePeriod(_ text: String) -> Double? {
            let trimmed = text.trimmingCharacters(in: .whitespaces).lowercased()
            let units: [(String, Double)] = [("ms", 0.001), ("s", 1), ("m", 60), ("h", 3600)]
            for (suffix, scale) in units where trimmed.hasSuffix(suffix) {
                guard let value = Double(trimmed.dropLast(suffix.count)), value > 0, value.isFinite else { return nil }
                return value * scale
            }
            guard let value = Double(trimmed), value > 0, value.isFinite else { return nil }
            return value
        }

        /// The metric groups for a runtime tagged `tag`: the first selection whose filter matches; nil: not reported.
        func groups(forTag tag: String) -> [String]? {
            runtimes.first { selection in
                guard let filter = selection.tagFilter else { return true }
                return filter.firstMatch(in: tag, range: NSRange(tag.startIndex..., in: tag)) != nil
            }?.groups
        }
    }

    /// One reading: every runtime's state and the host's counters.
    struct Reading {
        var states: [String: PublishedState]
        var order: [String]
        var system: SystemUsage
        var time: Double

        static func now(runtimeDirectory: String) -> Reading {
            let scan = RuntimeStateReader.read(runtimeDirectory: runtimeDirectory)
            let keyed = scan.states.map { (key(of: $0), $0) }
            return Reading(states: Dictionary(keyed, uniquingKeysWith: { first, _ in first }), order: keyed.map(\.0),
                           system: .now(), time: Date().timeIntervalSince1970)
        }

        static func key(of state: PublishedState) -> String { "\(state.pid)-\(Int(state.startedAt * 1000))" }
    }

    var configuration: Configuration
    var earlier: Reading
    var later: Reading

    /// The report as a dictionary for `JSONSerialization`.
    func json() -> [String: Any] {
        let period = later.time - earlier.time
        var runtimes: [[String: Any]] = []
        for key in later.order {
            guard let state = later.states[key], let groups = configuration.groups(forTag: state.tag) else { continue }
            var report: [String: Any] = [:]
            let before = earlier.states[key]
            for group in groups {
                switch group {
                case "neuroncore_counters": report[group] = coreCounters(state, before, period: period)
                case "execution_stats": report[group] = executionStats(state, before, period: period)
                case "memory_used": report[group] = memoryUsed(state, period: period)
                default: report[group] = vcpuUsage(state, before, period: period)
                }
            }
            runtimes.append(["pid": Int(state.pid), "address": "", "neuron_runtime_tag": state.tag, "error": "", "report": report])
        }
        var system: [String: Any] = [:]
        for group in configuration.systemGroups {
            switch group {
            case "vcpu_usage": system[group] = vcpuUsage(period: period)
            case "memory_info": system[group] = memoryInfo(period: period)
            default: system[group] = ["period": period, "neuron_devices": [[String: Any]](), "error": ""] as [String: Any]
            }
        }
        let coreCount = later.states.values.map(\.snapshot.deviceCoreCount).max() ?? HostCPUs.available().count
        return [
            "neuron_runtime_data": runtimes,
            "system_data": system,
            "instance_info": ["instance_name": ProcessInfo.processInfo.hostName, "instance_id": "", "instance_type": "flexeg",
                              "instance_availability_zone": "", "instance_availability_zone_id": "", "instance_region": "",
                              "ami_id": "", "subnet_id": "", "error": ""] as [String: Any],
            "neuron_hardware_info": ["neuron_device_type": "flexeg", "neuron_device_version": "", "neuroncore_version": "flexeg",
                                     "neuron_device_count": 1, "neuron_device_memory_size": (later.states.values.first?.snapshot.cores.first?.memoryBudgetBytes
                                        ?? RuntimeConfiguration.defaultMemoryPerCore) * coreCount,
                                     "neuroncore_per_device_count": coreCount, "logical_neuroncore_config": NSNull(), "error": ""] as [String: Any],
        ]
    }

    private func coreCounters(_ state: PublishedState, _ before: PublishedState?, period: Double) -> [String: Any] {
        var inUse: [String: Any] = [:]
        for (snapshot, busy) in zip(state.snapshot.cores, state.cores) {
            let earlierBusy = before?.cores.first { $0.deviceCore == busy.deviceCore }
            let earlierSnapshot = before?.snapshot.cores.first { $0.deviceCore == snapshot.deviceCore }
            let elapsed = busy.uptimeSeconds - (earlierBusy?.uptimeSeconds ?? 0)
            let busySeconds = busy.busySeconds - (earlierBusy?.busySeconds ?? 0)
            inUse["\(snapshot.deviceCore)"] = [
                "neuroncore_utilization": elapsed > 0 ? min(100, max(0, busySeconds / elapsed * 100)) : 0,
                "flops": 0,
                "model_switches": snapshot.switches,
                "model_switches_in_period": snapshot.switches - (earlierSnapshot?.switches ?? 0),
                "executions": snapshot.executions,
            ] as [String: Any]
        }
        return ["period": period, "neuroncores_in_use": inUse, "error": ""]
    }

    private func executionStats(_ state: PublishedState, _ before: PublishedState?, period: Double) -> [String: Any] {
        var completed = 0
        var errors: [String: Int] = [:]
        for model in state.snapshot.models {
            let earlier = before?.snapshot.models.first { $0.id == model.id }
            completed += model.inferences - (earlier?.inferences ?? 0)
            for (status, count) in model.errorsByStatus {
                errors[status, default: 0] += count - (earlier?.errorsByStatus[status] ?? 0)
            }
        }
        let timedOut = errors["NRT_TIMEOUT", default: 0]
        let failedToQueue = errors["NRT_QUEUE_FULL", default: 0]
        let incorrectInput = errors["NRT_INVALID", default: 0]
        let other = errors.values.reduce(0, +) - timedOut - failedToQueue - incorrectInput
        let latency: Any = state.latencySeconds.map(Self.percentiles) ?? NSNull()
        return [
            "period": period,
            "error_summary": ["generic": other, "numerical": 0, "transient": timedOut + failedToQueue, "model": incorrectInput,
                              "runtime": 0, "hardware": 0],
            "execution_summary": ["completed": completed, "completed_with_err": other, "completed_with_num_err": 0,
                                  "timed_out": timedOut, "incorrect_input": incorrectInput, "failed_to_queue": failedToQueue],
            "latency_stats": ["total_latency": latency, "device_latency": latency],
            "error": "",
        ]
    }

    static func percentiles(_ latency: PublishedState.LatencyPercentiles) -> [String: Double] {
        ["p0": latency.p0, "p1": latency.p1, "p25": latency.p25, "p50": latency.p50, "p75": latency.p75, "p99": latency.p99, "p100": latency.p100]
    }

    private func memoryUsed(_ state: PublishedState, period: Double) -> [String: Any] {
        var perCore: [String: Any] = [:]
        var constants: [Int: Int] = [:]
        var tensors: [Int: Int] = [:]
        for model in state.models {
            for charge in model.memory {
                constants[charge.deviceCore, default: 0] += charge.weightBytes
                tensors[charge.deviceCore, default: 0] += charge.instanceBytes
            }
        }
        for core in state.snapshot.cores {
            perCore["\(core.deviceCore)"] = ["constants": constants[core.deviceCore, default: 0], "model_code": 0,
                                             "model_shared_scratchpad": 0, "runtime_memory": 0,
                                             "tensors": tensors[core.deviceCore, default: 0]]
        }
        let models: [[String: Any]] = zip(state.snapshot.models, state.models).map { model, detail in
            var subgraphs: [String: Any] = [:]
            for (stage, charge) in detail.memory.enumerated() {
                subgraphs[String(format: "sg_%02d", stage)] = [
                    "memory_used_bytes": ["host": 0, "neuron_device": charge.weightBytes + charge.instanceBytes,
                                          "usage_breakdown": ["host": ["application_memory": 0, "constants": 0, "dma_buffers": 0, "tensors": 0],
                                                              "neuron_device": ["constants": charge.weightBytes, "model_code": 0,
                                                                                "runtime_memory": 0, "tensors": charge.instanceBytes]]],
                    "neuroncore_index": charge.deviceCore, "neuron_device_index": 0,
                ] as [String: Any]
            }
            return ["name": model.name, "uuid": "\(state.pid)-\(model.id)", "model_id": model.id,
                    "is_running": state.snapshot.cores.contains { $0.runningModel?.id == model.id },
                    "state": model.state.rawValue, "neuroncore_ids": model.deviceCores,
                    "latency_seconds": detail.latencySeconds.map(Self.percentiles) as Any? ?? NSNull(),
                    "subgraphs": subgraphs]
        }
        let device = state.snapshot.cores.reduce(0) { $0 + $1.memoryUsedBytes }
        return [
            "period": period,
            "neuron_runtime_used_bytes": ["host": 0, "neuron_device": device,
                                          "usage_breakdown": ["host": ["application_memory": 0, "constants": 0, "dma_buffers": 0, "tensors": 0],
                                                              "neuroncore_memory_usage": perCore]] as [String: Any],
            "loaded_models": models,
            "error": "",
        ]
    }

    /// The process's CPU use over the period, percent of all host CPUs (like `vcpu_usage`'s average).
    private func vcpuUsage(_ state: PublishedState, _ before: PublishedState?, period: Double) -> [String: Any] {
        let elapsed = state.uptimeSeconds - (before?.uptimeSeconds ?? 0)
        let cpus = Double(max(1, later.system.perCPU.count))
        func share(_ now: Double, _ then: Double?) -> Double {
            elapsed > 0 ? max(0, (now - (then ?? 0)) / elapsed / cpus * 100) : 0
        }
        return ["period": period,
                "vcpu_usage": ["user": share(state.cpuUserSeconds, before?.cpuUserSeconds),
                               "system": share(state.cpuSystemSeconds, before?.cpuSystemSeconds)],
                "error": ""]
    }

    private func vcpuUsage(period: Double) -> [String: Any] {
        guard let now = later.system.total, let then = earlier.system.total else {
            return ["period": period, "error": "/proc/stat is not readable"]
        }
        var perCPU: [String: Any] = [:]
        let earlierCPUs = Dictionary(earlier.system.perCPU.map { ($0.cpu, $0.ticks) }, uniquingKeysWith: { first, _ in first })
        for (cpu, ticks) in later.system.perCPU {
            if let before = earlierCPUs[cpu] { perCPU["\(cpu)"] = SystemUsage.percentages(before, ticks) }
        }
        let switches = (later.system.contextSwitches ?? 0) - (earlier.system.contextSwitches ?? 0)
        return ["period": period, "average_usage": SystemUsage.percentages(then, now), "usage_data": perCPU,
                "context_switch_count": Int(max(0, switches)), "error": ""]
    }

    private func memoryInfo(period: Double) -> [String: Any] {
        let system = later.system
        return ["period": period, "memory_total_bytes": system.memoryTotalBytes ?? 0, "memory_used_bytes": system.memoryUsedBytes ?? 0,
                "swap_total_bytes": system.swapTotalBytes ?? 0, "swap_used_bytes": system.swapUsedBytes ?? 0,
                "error": system.memoryTotalBytes == nil ? "/proc/meminfo is not readable" : ""]
    }

    /// One line of JSON (keys sorted).
    static func line(_ object: [String: Any]) -> String {
        let data = try! JSONSerialization.data(withJSONObject: object, options: [.sortedKeys, .withoutEscapingSlashes])
        return String(decoding: data, as: UTF8.self)
    }
}
