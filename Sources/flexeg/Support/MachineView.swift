import FlexEG
import FlexRuntime
import Foundation

/// The machine's NeuronCores as every runtime publishes them (`RuntimeStateReader`), per device core
/// and per process: what `flexeg ls`, `top` and `monitor` show.
///
/// Thread ownership: a value, built on the calling thread from one reading.
struct MachineView {
    /// One process holding NeuronCores; `state` is nil for a holder that does not publish
    /// (`FLEXEG_PUBLISH_STATE=0`), whose cores come from the lock files alone.
    struct Process {
        var pid: Int32
        var tag: String
        var command: String
        var deviceCores: [Int]
        var state: PublishedState?

        /// Stable across readings (a pid may host several runtimes, one after another or at once).
        var key: String { state.map { "\(pid)-\(Int($0.startedAt * 1000))" } ?? "\(pid)" }
    }

    struct ModelOnCore {
        var name: String
        var id: Int
        /// `READY` or `STANDBY`.
        var state: String
        /// Its weights are on the core now.
        var active: Bool
    }

    struct Core {
        var deviceCore: Int
        var cpu: Int?
        var pid: Int32?
        var process: Int?
        var memoryBudgetBytes: Int?
        var memoryUsedBytes: Int?
        var models: [ModelOnCore]
        var snapshot: CoreSnapshot?
        var busySeconds: Double?
        var uptimeSeconds: Double?
    }

    var runtimeDirectory: String
    var deviceCoreCount: Int
    var processes: [Process]
    var cores: [Core]
    var problems: [String]

    /// Reads `runtimeDirectory` now. The device has `deviceCoreCount` cores if given, else as many as
    /// the runtimes say (else the host's CPUs, at least one past the highest core lock held).
    static func read(runtimeDirectory: String, deviceCoreCount: Int? = nil) -> MachineView {
        let scan = RuntimeStateReader.read(runtimeDirectory: runtimeDirectory)
        var processes = scan.states.map { state in
            Process(pid: state.pid, tag: state.tag, command: state.command,
                    deviceCores: state.snapshot.cores.map(\.deviceCore), state: state)
        }
        let published = Set(processes.flatMap(\.deviceCores))
        let unpublished = Dictionary(grouping: scan.lockHolders.filter { !published.contains($0.key) }, by: \.value)
        for (pid, cores) in unpublished.sorted(by: { $0.key < $1.key }) {
            processes.append(Process(pid: pid, tag: "\(pid)", command: Self.command(of: pid), deviceCores: cores.map(\.key).sorted(), state: nil))
        }
        let count = deviceCoreCount ?? max(
            scan.states.map(\.snapshot.deviceCoreCount).max() ?? HostCPUs.available().count,
            (scan.lockHolders.keys.max() ?? -1) + 1)

        var cores = (0..<count).map { Core(deviceCore: $0, models: []) }
        for (position, process) in processes.enumerated() {
            for core in process.deviceCores where core < count {
                cores[core].pid = process.pid
                cores[core].process = position
            }
            guard let state = process.state else { continue }
            let models = Dictionary(uniqueKeysWithValues: state.snapshot.models.map { ($0.id, $0) })
            for (snapshot, busy) in zip(state.snapshot.cores, state.cores) where snapshot.deviceCore < count {
                var core = cores[snapshot.deviceCore]
                core.cpu = snapshot.cpu
                core.memoryBudgetBytes = snapshot.memoryBudgetBytes
                core.memoryUsedBytes = snapshot.memoryUsedBytes
                core.snapshot = snapshot
                core.busySeconds = busy.busySeconds
                core.uptimeSeconds = busy.uptimeSeconds
                core.models = snapshot.modelsLoaded.map { reference in
                    ModelOnCore(name: reference.name, id: reference.id, state: models[reference.id]?.state.rawValue ?? "READY",
                                active: snapshot.activeModel?.id == reference.id)
                }
                cores[snapshot.deviceCore] = core
            }
        }
        return MachineView(runtimeDirectory: runtimeDirectory, deviceCoreCount: count, processes: processes, cores: cores,
                           problems: scan.problems)
    }

    /// `/proc/<pid>/cmdline` with spaces, or `?` where it cannot be read.
    static func command(of pid: Int32) -> String {
        ProcFile.commandLine("\(pid)") ?? "?"
    }

    /// `/path/to/flexeg run --model ...` → `flexeg run --model ...`, cut to `width` characters.
    static func shortCommand(_ command: String, width: Int) -> String {
        var parts = command.split(separator: " ", omittingEmptySubsequences: false).map(String.init)
        if let first = parts.first { parts[0] = URL(fileURLWithPath: first).lastPathComponent }
        let text = parts.joined(separator: " ")
        return text.count <= width ? text : String(text.prefix(max(0, width - 1))) + "…"
    }

    /// Every published model as a placement on device cores, for the core maps (text and SVG);
    /// with several processes the name says whose it is.
    var placements: [CoreMap.Placement] {
        let several = processes.filter { $0.state?.snapshot.models.isEmpty == false }.count > 1
        return processes.flatMap { process -> [CoreMap.Placement] in
            (process.state?.snapshot.models ?? []).map { model in
                CoreMap.Placement(name: several ? "\(model.name)@\(process.tag)" : model.name, cores: model.deviceCores)
            }
        }
    }

    /// `1.5G`, `512M`, `64K`, `0`.
    static func bytes(_ value: Int) -> String {
        let units: [(Double, String)] = [(Double(1 << 40), "T"), (Double(1 << 30), "G"), (Double(1 << 20), "M"), (Double(1 << 10), "K")]
        for (size, unit) in units where Double(value) >= size {
            let amount = Double(value) / size
            return (amount >= 10 ? String(format: "%.0f", amount) : String(format: "%.1f", amount)) + unit
        }
        return "\(value)"
    }
}
