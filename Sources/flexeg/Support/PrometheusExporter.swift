import FlexEG
import FlexRuntime
import Foundation
#if canImport(Glibc)
import Glibc
#endif

/// `flexeg monitor --prometheus PORT`: serves the latest `MonitorReport` as Prometheus metrics on
/// `http://127.0.0.1:PORT/metrics`, under neuron-monitor-prometheus.py's names and labels
/// (`neuroncore_utilization_ratio{neuroncore,runtime_tag}`, `execution_errors_total{error_type}`,
/// `execution_status_total{status_type}`, `execution_latency_seconds{percentile}`,
/// `neuron_runtime_memory_used_bytes{memory_location}`, `neuron_runtime_vcpu_usage_ratio{usage_type}`,
/// `system_vcpu_usage_ratio{usage_type}`, ...), plus FlexEG's `neuroncore_model_switches_total`.
/// Counters add up each period's counts, as the script does.
///
/// Thread ownership: `update` runs on the monitor's thread; one accept thread of its own answers
/// scrapes one at a time from the text kept under a lock. Bound to loopback only.
final class PrometheusExporter: Sendable {
    let port: Int
    private let listener: Int32
    private let state = Locked(State())

    private struct State {
        var text = "# no report yet\n"
        var errors: [String: [String: Int]] = [:]
        var statuses: [String: [String: Int]] = [:]
    }

    /// Listens on 127.0.0.1:`port` (0: a free port; `port` tells which) and starts answering.
    init(port requested: Int) throws {
        let descriptor = socket(AF_INET, RuntimeStateReader.streamType, 0)
        guard descriptor >= 0 else { throw CommandLineError("cannot create a socket for --prometheus (errno \(errno))") }
        var yes: Int32 = 1
        _ = setsockopt(descriptor, SOL_SOCKET, SO_REUSEADDR, &yes, socklen_t(MemoryLayout<Int32>.size))
        var address = sockaddr_in()
        address.sin_family = sa_family_t(AF_INET)
        address.sin_port = in_port_t(UInt16(requested).bigEndian)
        address.sin_addr = in_addr(s_addr: UInt32(0x7f00_0001).bigEndian)
        let bound = withUnsafePointer(to: &address) {
            $0.withMemoryRebound(to: sockaddr.self, capacity: 1) { bind(descriptor, $0, socklen_t(MemoryLayout<sockaddr_in>.size)) }
        }
        guard bound == 0, listen(descriptor, 16) == 0 else {
            let code = errno
            close(descriptor)
            throw CommandLineError("cannot listen on 127.0.0.1:\(requested) for --prometheus: \(String(cString: strerror(code))); choose a free --prometheus PORT")
        }
        var actual = sockaddr_in()
        var length = socklen_t(MemoryLayout<sockaddr_in>.size)
        _ = withUnsafeMutablePointer(to: &actual) {
            $0.withMemoryRebound(to: sockaddr.self, capacity: 1) { getsockname(descriptor, $0, &length) }
        }
        port = Int(UInt16(bigEndian: actual.sin_port))
        listener = descriptor
        NamedThread.start("flexeg-prom") { [state] in Self.serve(descriptor, state: state) }
    }

    /// Takes a new period's report.
    func update(_ report: [String: Any]) {
        state.withLock { state in
            for runtime in report["neuron_runtime_data"] as? [[String: Any]] ?? [] {
                let tag = runtime["neuron_runtime_tag"] as? String ?? ""
                let stats = (runtime["report"] as? [String: Any])?["execution_stats"] as? [String: Any]
                for (kind, value) in stats?["error_summary"] as? [String: Int] ?? [:] { state.errors[tag, default: [:]][kind, default: 0] += value }
                for (kind, value) in stats?["execution_summary"] as? [String: Int] ?? [:] { state.statuses[tag, default: [:]][kind, default: 0] += value }
            }
            state.text = Self.metrics(report, errors: state.errors, statuses: state.statuses)
        }
    }

    static func metrics(_ report: [String: Any], errors: [String: [String: Int]], statuses: [String: [String: Int]]) -> String {
        var families: [(name: String, type: String, help: String, samples: [String])] = []
        func add(_ name: String, _ type: String, _ help: String, _ samples: [String]) { families.append((name, type, help, samples)) }
        func sample(_ name: String, _ labels: [(String, String)], _ value: Double) -> String {
            let text = labels.map { "\($0.0)=\"\($0.1.replacingOccurrences(of: "\\", with: "\\\\").replacingOccurrences(of: "\"", with: "\\\""))\"" }
            return "\(name){\(text.joined(separator: ","))} \(value)"
        }
        var utilization: [String] = [], switches: [String] = [], vcpu: [String] = [], memory: [String] = [], latency: [String] = []
        var coreMemory: [String: [String]] = [:]
        var errorSamples: [String] = [], statusSamples: [String] = []
        for runtime in report["neuron_runtime_data"] as? [[String: Any]] ?? [] {
            let tag = runtime["neuron_runtime_tag"] as? String ?? ""
            let body = runtime["report"] as? [String: Any] ?? [:]
            let counters = (body["neuroncore_counters"] as? [String: Any])?["neuroncores_in_use"] as? [String: [String: Any]] ?? [:]
            for (core, values) in counters.sorted(by: { Int($0.key) ?? 0 < Int($1.key) ?? 0 }) {
                utilization.append(sample("neuroncore_utilization_ratio", [("neuroncore", core), ("runtime_tag", tag)],
                                          (values["neuroncore_utilization"] as? Double ?? 0) / 100))
                switches.append(sample("neuroncore_model_switches_total", [("neuroncore", core), ("runtime_tag", tag)],
                                       Double(values["model_switches"] as? Int ?? 0)))
            }
            if let usage = (body["neuron_runtime_vcpu_usage"] as? [String: Any])?["vcpu_usage"] as? [String: Double] {
                for kind in ["user", "system"] {
                    vcpu.append(sample("neuron_runtime_vcpu_usage_ratio", [("usage_type", kind), ("runtime_tag", tag)], (usage[kind] ?? 0) / 100))
                }
            }
            if let used = (body["memory_used"] as? [String: Any])?["neuron_runtime_used_bytes"] as? [String: Any] {
                for location in ["host", "neuron_device"] {
                    memory.append(sample("neuron_runtime_memory_used_bytes", [("memory_location", location), ("runtime_tag", tag)],
                                         Double(used[location] as? Int ?? 0)))
                }
                let perCore = (used["usage_breakdown"] as? [String: Any])?["neuroncore_memory_usage"] as? [String: [String: Int]] ?? [:]
                for (core, kinds) in perCore.sorted(by: { Int($0.key) ?? 0 < Int($1.key) ?? 0 }) {
                    for (kind, value) in kinds.sorted(by: { $0.key < $1.key }) {
                        coreMemory[kind, default: []].append(sample("neuroncore_memory_usage_\(kind)", [("neuroncore", core), ("runtime_tag", tag)], Double(value)))
                    }
                }
            }
            let stats = body["execution_stats"] as? [String: Any]
            if let total = (stats?["latency_stats"] as? [String: Any])?["total_latency"] as? [String: Double] {
                for rank in ["p0", "p1", "p25", "p50", "p75", "p99", "p100"] {
                    latency.append(sample("execution_latency_seconds", [("percentile", rank), ("runtime_tag", tag)], total[rank] ?? 0))
                }
            }
            for (kind, value) in (errors[tag] ?? [:]).sorted(by: { $0.key < $1.key }) {
                errorSamples.append(sample("execution_errors_total", [("error_type", kind), ("runtime_tag", tag)], Double(value)))
            }
            for (kind, value) in (statuses[tag] ?? [:]).sorted(by: { $0.key < $1.key }) {
                statusSamples.append(sample("execution_status_total", [("status_type", kind), ("runtime_tag", tag)], Double(value)))
            }
        }
        add("neuroncore_utilization_ratio", "gauge", "NeuronCore utilization over the last period (0-1)", utilization)
        add("neuroncore_model_switches_total", "counter", "Model switches on the NeuronCore since its runtime started (FlexEG)", switches)
        add("neuron_runtime_vcpu_usage_ratio", "gauge", "Runtime process CPU use over the last period, share of all host vCPUs", vcpu)
        add("neuron_runtime_memory_used_bytes", "gauge", "Memory the runtime has charged, by location", memory)
        for (kind, samples) in coreMemory.sorted(by: { $0.key < $1.key }) {
            add("neuroncore_memory_usage_\(kind)", "gauge", "NeuronCore memory used for \(kind), bytes", samples)
        }
        add("execution_errors_total", "counter", "Execution errors by type", errorSamples)
        add("execution_status_total", "counter", "Executions by status", statusSamples)
        add("execution_latency_seconds", "gauge", "Execution latency percentiles over recent inferences, seconds", latency)

        let system = report["system_data"] as? [String: Any] ?? [:]
        if let vcpuUsage = system["vcpu_usage"] as? [String: Any], let average = vcpuUsage["average_usage"] as? [String: Double] {
            let cpus = (vcpuUsage["usage_data"] as? [String: Any])?.count ?? 0
            add("system_vcpu_count", "gauge", "Host vCPUs", ["system_vcpu_count \(Double(cpus))"])
            let user = (average["user"] ?? 0) + (average["nice"] ?? 0)
            let systemShare = ["system", "io_wait", "irq", "soft_irq"].reduce(0) { $0 + (average[$1] ?? 0) }
            add("system_vcpu_usage_ratio", "gauge", "Host vCPU use over the last period",
                [sample("system_vcpu_usage_ratio", [("usage_type", "user")], user / 100),
                 sample("system_vcpu_usage_ratio", [("usage_type", "system")], systemShare / 100)])
        }
        if let memoryInfo = system["memory_info"] as? [String: Any] {
            for (name, key) in [("system_memory_total_bytes", "memory_total_bytes"), ("system_memory_used_bytes", "memory_used_bytes"),
                                ("system_swap_total_bytes", "swap_total_bytes"), ("system_swap_used_bytes", "swap_used_bytes")] {
                add(name, "gauge", "Host \(key.replacingOccurrences(of: "_", with: " "))", ["\(name) \(Double(memoryInfo[key] as? Int ?? 0))"])
            }
        }
        let hardware = report["neuron_hardware_info"] as? [String: Any] ?? [:]
        add("neuron_hardware_info", "gauge", "NeuronCore device information",
            [sample("neuron_hardware_info", [("neuron_device_count", "\(hardware["neuron_device_count"] ?? 1)"),
                                             ("neuroncore_per_device_count", "\(hardware["neuroncore_per_device_count"] ?? 0)")], 1)])
        return families.map { family in
            (["# HELP \(family.name) \(family.help)", "# TYPE \(family.name) \(family.type)"] + family.samples).joined(separator: "\n")
        }.joined(separator: "\n") + "\n"
    }

    private static func serve(_ listener: Int32, state: Locked<State>) {
        while true {
            let client = accept(listener, nil, nil)
            if client < 0 {
                if errno == EINTR { continue }
                return
            }
            var timeout = timeval(tv_sec: 2, tv_usec: 0)
            _ = setsockopt(client, SOL_SOCKET, SO_RCVTIMEO, &timeout, socklen_t(MemoryLayout<timeval>.size))
            _ = setsockopt(client, SOL_SOCKET, SO_SNDTIMEO, &timeout, socklen_t(MemoryLayout<timeval>.size))
            var request = Data()
            var buffer = [UInt8](repeating: 0, count: 4096)
            while request.count < 16 << 10, request.range(of: Data("\r\n\r\n".utf8)) == nil {
                let count = recv(client, &buffer, buffer.count, 0)
                guard count > 0 else { break }
                request.append(contentsOf: buffer[0..<count])
            }
            let line = String(decoding: request.prefix(while: { $0 != 13 && $0 != 10 }), as: UTF8.self)
            let parts = line.split(separator: " ")
            let path = parts.count >= 2 ? String(parts[1]) : ""
            let (status, body) = path == "/metrics" || path.hasPrefix("/metrics?")
                ? ("200 OK", state.withLock { $0.text })
                : ("404 Not Found", "flexeg monitor serves /metrics\n")
            let bytes = Data(body.utf8)
            let head = "HTTP/1.1 \(status)\r\nContent-Type: text/plain; version=0.0.4; charset=utf-8\r\nContent-Length: \(bytes.count)\r\nConnection: close\r\n\r\n"
            RuntimeStateReader.writeAll(Data(head.utf8) + bytes, to: client)
            close(client)
        }
    }
}
