import FlexRuntime
import Foundation

/// The host's CPU time counters (`/proc/stat`) and memory (`/proc/meminfo`) at one instant, for
/// neuron-monitor's `system_data` (`vcpu_usage`, `memory_info`). Empty where `/proc` is missing.
///
/// Thread ownership: a value.
struct SystemUsage {
    /// user, nice, system, idle, io_wait, irq, soft_irq ticks (steal and later are not reported).
    struct Ticks {
        var values: [Double]
        static let names = ["user", "nice", "system", "idle", "io_wait", "irq", "soft_irq"]
    }

    var total: Ticks?
    var perCPU: [(cpu: Int, ticks: Ticks)]
    var contextSwitches: Double?
    var memoryTotalBytes: Int?
    var memoryUsedBytes: Int?
    var swapTotalBytes: Int?
    var swapUsedBytes: Int?

    static func now() -> SystemUsage {
        var usage = SystemUsage(perCPU: [])
        if let stat = ProcFile.text("/proc/stat") {
            for line in stat.split(separator: "\n") {
                let fields = line.split(separator: " ", omittingEmptySubsequences: true)
                guard let name = fields.first else { continue }
                if name == "ctxt", fields.count > 1 { usage.contextSwitches = Double(fields[1]) }
                guard name.hasPrefix("cpu"), fields.count >= 8 else { continue }
                let ticks = Ticks(values: fields[1...7].map { Double($0) ?? 0 })
                if name == "cpu" { usage.total = ticks } else if let cpu = Int(name.dropFirst(3)) { usage.perCPU.append((cpu, ticks)) }
            }
        }
        if let info = ProcFile.text("/proc/meminfo") {
            var kilobytes: [String: Int] = [:]
            for line in info.split(separator: "\n") {
                let parts = line.split(separator: ":", maxSplits: 1)
                guard parts.count == 2, let value = Int(parts[1].split(separator: " ").first ?? "") else { continue }
                kilobytes[String(parts[0])] = value * 1024
            }
            usage.memoryTotalBytes = kilobytes["MemTotal"]
            if let total = kilobytes["MemTotal"], let available = kilobytes["MemAvailable"] { usage.memoryUsedBytes = total - available }
            usage.swapTotalBytes = kilobytes["SwapTotal"]
            if let total = kilobytes["SwapTotal"], let free = kilobytes["SwapFree"] { usage.swapUsedBytes = total - free }
        }
        return usage
    }

    /// Percent of the time in each state between `earlier` and `later` (each state's share of all ticks).
    static func percentages(_ earlier: Ticks, _ later: Ticks) -> [String: Double] {
        let deltas = zip(later.values, earlier.values).map { max(0, $0 - $1) }
        let sum = deltas.reduce(0, +)
        return Dictionary(uniqueKeysWithValues: zip(Ticks.names, deltas.map { sum > 0 ? $0 / sum * 100 : 0 }))
    }
}
