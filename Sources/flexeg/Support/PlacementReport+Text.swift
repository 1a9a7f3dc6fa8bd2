import Foundation

extension PlacementReport {
    /// The core map (`CoreMap`) of this report's placement.
    var coreMap: CoreMap {
        CoreMap(
            coreCount: device.processCores,
            placements: models.map { CoreMap.Placement(name: $0.name, cores: $0.cores) },
            groups: device.groups)
    }

    /// The report for people: the device line, the core map, a table of models, a table of the cores
    /// in use, then the runtime's warnings.
    func text() -> String {
        var lines: [String] = []
        let modeText = device.mode == "ncg"
            ? "NeuronCore Groups (NEURONCORE_GROUP_SIZES): mx.neuron(g) is group g"
            : "FlexEG: mx.neuron(i) starts at NeuronCore i"
        let held = device.processCores == device.cores ? "" : ", \(device.processCores) held by this process"
        lines.append("Device: \(device.cores) NeuronCores\(held) on \(device.hostCPUs) host CPU\(device.hostCPUs == 1 ? "" : "s"); \(modeText)")
        lines.append("")
        lines += coreMap.render()
        lines.append("")
        lines += Self.table(
            header: ["model", "context", "cores", "inferences", "errors", "throughput/s", "p50 ms", "p99 ms", "state"],
            rightAligned: [false, true, false, true, true, true, true, true, false],
            rows: models.map { model in
                [model.name, "neuron(\(model.context))", Self.coreRange(model.cores), String(model.inferences), String(model.errors),
                 String(format: "%.1f", model.throughput), Self.milliseconds(model.latencyMs.p50),
                 Self.milliseconds(model.latencyMs.p99), model.state]
            })
        lines.append("")
        lines += Self.table(
            header: ["core", "models", "executions", "switches", "switch ms", "busy"],
            rightAligned: [true, false, true, true, true, true],
            rows: cores.filter { !$0.models.isEmpty || $0.executions > 0 }.map { core in
                [String(core.index), core.models.joined(separator: ", "), String(core.executions), String(core.switches),
                 String(format: "%.2f", core.switchMs), String(format: "%.0f%%", core.busy * 100)]
            })
        let idle = cores.filter { $0.models.isEmpty && $0.executions == 0 }.map(\.index)
        if !idle.isEmpty { lines.append("NeuronCores without a model: \(Self.coreRange(idle))") }
        lines.append(String(format: "Measured for %.2f s.", seconds))
        for warning in warnings { lines.append("warning: " + warning) }
        return lines.joined(separator: "\n")
    }

    /// `[2, 3, 4, 5]` → `2-5`; `[0, 1, 3]` → `0-1,3`.
    static func coreRange(_ cores: [Int]) -> String {
        var runs: [ClosedRange<Int>] = []
        for core in cores.sorted() {
            if let last = runs.last, last.upperBound + 1 == core { runs[runs.count - 1] = last.lowerBound...core } else { runs.append(core...core) }
        }
        return runs.map { $0.count == 1 ? "\($0.lowerBound)" : "\($0.lowerBound)-\($0.upperBound)" }.joined(separator: ",")
    }

    private static func milliseconds(_ value: Double?) -> String {
        value.map { String(format: "%.2f", $0) } ?? "-"
    }

    /// Columns padded to their widest cell, two spaces apart.
    static func table(header: [String], rightAligned: [Bool], rows: [[String]]) -> [String] {
        let all = [header] + rows
        let widths = header.indices.map { column in all.map { $0[column].count }.max() ?? 0 }
        return all.map { row in
            row.indices.map { column in
                let padding = String(repeating: " ", count: widths[column] - row[column].count)
                return rightAligned[column] ? padding + row[column] : row[column] + padding
            }.joined(separator: "  ").replacingOccurrences(of: "\\s+$", with: "", options: .regularExpression)
        }
    }
}
