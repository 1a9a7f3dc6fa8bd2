import FlexEG
import FlexRuntime
import Foundation

/// One frame of `flexeg top`, like neuron-top's: a title, the tab bar ("all" and one tab per
/// process, the selected one marked `>tag<`), host and runtime CPU use, per-core utilization bars
/// with executions/s, switches/s, memory and the models (running first, STANDBY ones after), then per
/// model its state, executions/s, latency p50/p99 and memory. Rates compare with the previous frame
/// (or, on the first, count since each runtime started). Fits `width` × `height` (at least 80 × 24
/// is meant; narrower terminals cut the lines).
///
/// Thread ownership: a value, rendered on the command's thread.
struct TopScreen {
    var view: MachineView
    var previous: MachineView?
    var system: (earlier: SystemUsage, later: SystemUsage)?
    /// 0: the "all" tab; i: process `i - 1` of `view.processes`.
    var selected: Int
    var width = 80
    var height = 24
    var clock = Date()

    /// Tabs: "all", then each process's tag.
    var tabs: [String] { ["all"] + view.processes.map(\.tag) }

    func lines() -> [String] {
        var lines: [String] = []
        let formatter = DateFormatter()
        formatter.dateFormat = "HH:mm:ss"
        let time = formatter.string(from: clock)
        lines.append(Self.spread("flexeg top  \(view.deviceCoreCount) NeuronCores, \(view.processes.count) process\(view.processes.count == 1 ? "" : "es")  \(time)",
                                 "1-9 a d: tabs  q: quit", width: width))
        lines.append(tabBar())
        lines.append(cpuLine())

        let processes = selected == 0 ? Array(view.processes.indices) : [selected - 1].filter { view.processes.indices.contains($0) }
        let cores = view.cores.filter { core in core.process.map(processes.contains) ?? false }
        let models = processes.flatMap { index -> [(Int, ModelSnapshot, PublishedState.Model)] in
            guard let state = view.processes[index].state else { return [] }
            return zip(state.snapshot.models, state.models).map { (index, $0, $1) }
        }
        // Rows left under the two section headers. When everything does not fit, held cores without
        // a model shrink to one summary line, then the core list is cut, keeping at least 3 model rows.
        let budget = max(4, height - lines.count - 2)
        let modelsWanted = max(1, models.count)
        let idle = cores.filter { $0.models.isEmpty }
        let listed = cores.count + modelsWanted > budget && !idle.isEmpty ? cores.filter { !$0.models.isEmpty } : cores
        let coresWanted = max(1, listed.count + (listed.count < cores.count ? 1 : 0))
        let modelRows = min(modelsWanted, max(min(modelsWanted, 3), budget - coresWanted))
        let coreRows = budget - modelRows

        lines.append(Self.fit(" NC     PID  UTILIZATION               EXEC/S  SW/S  MEMORY      MODELS", width))
        if cores.isEmpty {
            lines.append(Self.fit(view.processes.isEmpty ? "  no FlexEG runtime is publishing in \(view.runtimeDirectory)" : "  no NeuronCores held", width))
        }
        let room = listed.count < cores.count ? coreRows - 1 : coreRows
        let shown = listed.count > room ? Array(listed.prefix(max(0, room - 1))) : listed
        for core in shown { lines.append(coreLine(core)) }
        if shown.count < listed.count { lines.append(Self.fit("  … \(listed.count - shown.count) more NeuronCores (a tab per process shows only its cores)", width)) }
        if listed.count < cores.count {
            lines.append(Self.fit("  no model on NeuronCores " + PlacementReport.coreRange(idle.map(\.deviceCore)), width))
        }

        lines.append(Self.fit(" PID      MODEL         NC       STATE    EXEC/S   P50 MS   P99 MS  MEMORY", width))
        let shownModels = models.count > modelRows ? Array(models.prefix(max(0, modelRows - 1))) : models
        for (index, model, detail) in shownModels { lines.append(modelLine(view.processes[index], model, detail)) }
        if shownModels.count < models.count { lines.append(Self.fit("  … \(models.count - shownModels.count) more models", width)) }
        if models.isEmpty { lines.append(Self.fit("  no models loaded", width)) }
        for problem in view.problems where lines.count < height - 1 { lines.append(Self.fit("note: " + problem, width)) }
        return Array(lines.prefix(height))
    }

    private func tabBar() -> String {
        var text = ""
        for (index, tab) in tabs.enumerated() {
            let label = index == selected ? ">\(tab)<" : " \(tab) "
            text += (index < 9 ? "\(index + 1):" : "  ") + label + "  "
        }
        return Self.fit(text, width)
    }

    private func cpuLine() -> String {
        var text = "vCPU"
        if let system, let later = system.later.total, let earlier = system.earlier.total {
            let usage = SystemUsage.percentages(earlier, later)
            text += String(format: "  system user %.0f%% sys %.0f%%", (usage["user"] ?? 0) + (usage["nice"] ?? 0),
                           ["system", "io_wait", "irq", "soft_irq"].reduce(0) { $0 + (usage[$1] ?? 0) })
        }
        let processes = selected == 0 ? view.processes : [view.processes[selected - 1]]
        var user = 0.0, sys = 0.0
        for process in processes {
            guard let state = process.state else { continue }
            let before = previous?.processes.first { $0.key == process.key }?.state
            let elapsed = state.uptimeSeconds - (before?.uptimeSeconds ?? 0)
            guard elapsed > 0 else { continue }
            user += (state.cpuUserSeconds - (before?.cpuUserSeconds ?? 0)) / elapsed
            sys += (state.cpuSystemSeconds - (before?.cpuSystemSeconds ?? 0)) / elapsed
        }
        let cpus = Double(max(1, HostCPUs.available().count))
        text += String(format: "   runtime%@ user %.0f%% sys %.0f%%", selected == 0 ? "s" : "", user / cpus * 100, sys / cpus * 100)
        return Self.fit(text, width)
    }

    private func coreLine(_ core: MachineView.Core) -> String {
        let process = core.process.map { view.processes[$0] }
        let earlier = previous?.cores.first { $0.deviceCore == core.deviceCore && $0.pid == core.pid }
        var utilization: Double?
        var executions = "-", switches = "-"
        if let busy = core.busySeconds, let uptime = core.uptimeSeconds, let snapshot = core.snapshot {
            let elapsed = uptime - (earlier?.uptimeSeconds ?? 0)
            if elapsed > 0 {
                utilization = min(1, max(0, (busy - (earlier?.busySeconds ?? 0)) / elapsed))
                executions = String(format: "%.1f", Double(snapshot.executions - (earlier?.snapshot?.executions ?? 0)) / elapsed)
                switches = String(format: "%.1f", Double(snapshot.switches - (earlier?.snapshot?.switches ?? 0)) / elapsed)
            }
        }
        let barWidth = 20
        let filled = Int(((utilization ?? 0) * Double(barWidth)).rounded())
        let bar = "[" + String(repeating: "#", count: filled) + String(repeating: " ", count: barWidth - filled) + "]"
        let percent = utilization.map { String(format: "%3.0f%%", $0 * 100) } ?? "   -"
        let memory = core.memoryBudgetBytes.map { "\(MachineView.bytes(core.memoryUsedBytes ?? 0))/\(MachineView.bytes($0))" } ?? "-"
        let running = core.models.filter(\.active).map(\.name)
        let standby = core.models.filter { !$0.active }.map(\.name)
        let models = (running + standby.map { "(\($0))" }).joined(separator: " ")
        let text = Self.right(String(core.deviceCore), 3) + " " + Self.right(process.map { String($0.pid) } ?? "-", 7) + "  " + bar + " " + percent
            + " " + Self.right(executions, 7) + " " + Self.right(switches, 5) + "  " + Self.left(memory, 11) + " " + models
        return Self.fit(text, width)
    }

    private func modelLine(_ process: MachineView.Process, _ model: ModelSnapshot, _ detail: PublishedState.Model) -> String {
        let before = previous?.processes.first { $0.key == process.key }?.state
        let earlier = before?.snapshot.models.first { $0.id == model.id }
        var rate = "-"
        if let state = process.state {
            let elapsed = state.uptimeSeconds - (before?.uptimeSeconds ?? 0)
            if elapsed > 0 { rate = String(format: "%.1f", Double(model.inferences - (earlier?.inferences ?? 0)) / elapsed) }
        }
        func milliseconds(_ value: Double?) -> String { value.map { String(format: "%.2f", $0) } ?? "-" }
        let text = " " + Self.left(String(process.pid), 8) + Self.left(model.name, 13) + " " + Self.left(PlacementReport.coreRange(model.deviceCores), 8)
            + " " + Self.left(model.state.rawValue, 7) + " " + Self.right(rate, 7) + "  " + Self.right(milliseconds(model.latency.p50), 7)
            + "  " + Self.right(milliseconds(model.latency.p99), 7) + "  " + MachineView.bytes(detail.memoryBytes)
        return Self.fit(text, width)
    }

    static func fit(_ text: String, _ width: Int) -> String {
        text.count <= width ? text : String(text.prefix(width))
    }

    static func spread(_ left: String, _ right: String, width: Int) -> String {
        let gap = width - left.count - right.count
        return gap >= 1 ? left + String(repeating: " ", count: gap) + right : fit(left, width)
    }

    static func left(_ text: String, _ width: Int) -> String {
        text.count >= width ? String(text.prefix(width)) : text + String(repeating: " ", count: width - text.count)
    }

    static func right(_ text: String, _ width: Int) -> String {
        text.count >= width ? text : String(repeating: " ", count: width - text.count) + text
    }
}
