import ArgumentParser
import FlexEG
import FlexRuntime
import Foundation

/// `flexeg ls`: the device's NeuronCores as `neuron-ls` shows them, read from what every runtime on
/// the machine publishes (see `StatePublisher`): per core the host CPU it is pinned to, memory budget
/// and use, the process holding it and the models loaded on it.
struct LsCommand: ParsableCommand {
    static let configuration = CommandConfiguration(
        commandName: "ls",
        abstract: "List the NeuronCores, the processes holding them and the models on each (like neuron-ls).",
        discussion: """
            Reads the runtime directory (FLEXEG_RUNTIME_DIR, default /tmp/flexeg-runtime): each FlexEG runtime \
            there publishes its state unless started with FLEXEG_PUBLISH_STATE=0 (such a process shows with its \
            cores, from the core locks, and no models). --json prints neuron-ls's JSON: an array of devices with \
            nc_count, neuroncore_ids, memory_size and neuron_processes [{pid, command, neuron_runtime_version, ...}], \
            plus "neuroncores": FlexEG's per-core detail.
            """
    )

    @Flag(name: [.short, .long], help: "Show whole commands and every model on each core.")
    var wide = false

    @Flag(name: [.short, .long], help: "Print neuron-ls-style JSON.")
    var json = false

    @Option(help: ArgumentHelp("Also draw the placement as an SVG picture into FILE.", valueName: "file"))
    var svg: String?

    @Option(help: "NeuronCores on the device (default: as the running runtimes say, else the host's CPUs).")
    var cores: Int?

    func run() throws {
        try reportingErrors {
            if let cores, cores < 1 { throw CommandLineError("--cores must be at least 1; it is \(cores)") }
            let view = MachineView.read(runtimeDirectory: RuntimeStateReader.runtimeDirectory(), deviceCoreCount: cores)
            if let svg { try SVGCoreMap(view: view).write(to: svg) }
            print(json ? Self.json(view) : Self.text(view, wide: wide))
        }
    }

    static let runtimeVersion = "flexeg"

    /// neuron-ls's JSON (one device) with FlexEG's per-core detail.
    static func json(_ view: MachineView) -> String {
        let processes: [[String: Any]] = view.processes.map { process in
            var entry: [String: Any] = [
                "pid": Int(process.pid), "command": process.command, "neuron_runtime_version": process.state == nil ? "NA" : runtimeVersion,
                "neuron_runtime_tag": process.tag, "neuroncore_ids": process.deviceCores,
                "publishes_state": process.state != nil,
            ]
            if let state = process.state {
                entry["mode"] = state.snapshot.mode
                entry["models"] = zip(state.snapshot.models, state.models).map { model, detail in
                    ["id": model.id, "name": model.name, "neuroncore_ids": model.deviceCores, "context": model.context,
                     "state": model.state.rawValue, "memory_used_bytes": detail.memoryBytes, "inferences": model.inferences,
                     "errors": model.errors] as [String: Any]
                }
            }
            return entry
        }
        let cores: [[String: Any]] = view.cores.map { core in
            let process = core.process.map { view.processes[$0] }
            return [
                "neuroncore_id": core.deviceCore,
                "cpu": core.cpu.map { $0 as Any } ?? NSNull(),
                "memory_budget_bytes": core.memoryBudgetBytes.map { $0 as Any } ?? NSNull(),
                "memory_used_bytes": core.memoryUsedBytes.map { $0 as Any } ?? NSNull(),
                "pid": process.map { Int($0.pid) as Any } ?? NSNull(),
                "command": process.map { $0.command as Any } ?? NSNull(),
                "models": core.models.map { ["name": $0.name, "id": $0.id, "state": $0.state, "active": $0.active] as [String: Any] },
                "executions": core.snapshot.map { $0.executions as Any } ?? NSNull(),
                "model_switches": core.snapshot.map { $0.switches as Any } ?? NSNull(),
            ]
        }
        let budget = view.cores.compactMap(\.memoryBudgetBytes).first ?? RuntimeConfiguration.defaultMemoryPerCore
        let device: [String: Any] = [
            "neuron_device": 0, "bdf": "", "cpu_affinity": PlacementReport.coreRange(HostCPUs.available()), "numa_node": "0",
            "connected_to": [Int](), "nc_count": view.deviceCoreCount, "logical_neuroncore_config": NSNull(),
            "memory_size": budget * view.deviceCoreCount, "neuroncore_ids": Array(0..<view.deviceCoreCount),
            "neuron_processes": processes, "neuroncores": cores, "runtime_directory": view.runtimeDirectory,
        ]
        let data = try! JSONSerialization.data(withJSONObject: [device], options: [.sortedKeys, .prettyPrinted, .withoutEscapingSlashes])
        return String(decoding: data, as: UTF8.self)
    }

    /// A table per core, the processes, and the core map.
    static func text(_ view: MachineView, wide: Bool) -> String {
        var lines: [String] = []
        let held = view.cores.filter { $0.pid != nil }.count
        lines.append("instance-type: flexeg (\(view.deviceCoreCount) NeuronCores, \(held) held by \(view.processes.count) "
            + "process\(view.processes.count == 1 ? "" : "es"); runtime directory \(view.runtimeDirectory))")
        let rows = view.cores.map { core -> [String] in
            let process = core.process.map { view.processes[$0] }
            let memory = core.memoryBudgetBytes.map { "\(MachineView.bytes(core.memoryUsedBytes ?? 0))/\(MachineView.bytes($0))" } ?? "-"
            let models = core.models.map { $0.name + ($0.active && core.models.count > 1 ? "*" : "") + ($0.state == "STANDBY" ? " (standby)" : "") }
            let modelText = models.joined(separator: ", ")
            return [String(core.deviceCore), core.cpu.map(String.init) ?? "-", memory,
                    process.map { String($0.pid) } ?? "-",
                    process.map { MachineView.shortCommand($0.command, width: wide ? 1000 : 24) } ?? "-",
                    wide || modelText.count <= 30 ? modelText : String(modelText.prefix(29)) + "…"]
        }
        lines += PlacementReport.table(
            header: ["NC", "CPU", "MEMORY", "PID", "COMMAND", "MODELS"],
            rightAligned: [true, true, true, true, false, false], rows: rows)
        if !view.processes.isEmpty {
            lines.append("")
            lines += PlacementReport.table(
                header: ["PID", "TAG", "NEURONCORES", "MODELS", "COMMAND"],
                rightAligned: [true, false, false, true, false],
                rows: view.processes.map { process in
                    [String(process.pid), process.tag, PlacementReport.coreRange(process.deviceCores),
                     process.state.map { String($0.snapshot.models.count) } ?? "? (not published)",
                     MachineView.shortCommand(process.command, width: wide ? 1000 : 40)]
                })
        }
        let placements = view.placements
        if !placements.isEmpty {
            lines.append("")
            lines += CoreMap(coreCount: view.deviceCoreCount, placements: placements).render()
        }
        if view.cores.contains(where: { $0.models.count > 1 }) { lines.append("* the model active on a shared core") }
        for problem in view.problems { lines.append("note: " + problem) }
        return lines.joined(separator: "\n")
    }
}
