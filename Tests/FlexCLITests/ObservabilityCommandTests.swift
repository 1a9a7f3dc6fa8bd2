import FlexTestSupport
import Foundation
import Testing

/// `flexeg ls`, `monitor` (JSON and Prometheus) and `top` watching two real `flexeg run --hold`
/// processes that hold disjoint NeuronCores (`NEURON_RT_VISIBLE_CORES`) and serve models; and the SVG
/// core map of the seed's bad placement. Serialized: each test starts its own serving processes.
@Suite("flexeg ls, monitor and top", .serialized)
struct ObservabilityCommandTests {
    typealias Support = ObservabilityTestSupport

    let scratch: TemporaryDirectory
    let runtimeDirectory: TemporaryDirectory

    init() throws {
        scratch = try TemporaryDirectory(prefix: "obs-cli")
        runtimeDirectory = try TemporaryDirectory(prefix: "obs-rt")
    }

    /// Model A (2 cores) on device cores 0-2 tagged `left`, model C (3 cores) on 4-7 tagged `right`,
    /// both serving; returns once `ls` sees both with their models.
    func startTwoProcesses() throws -> (left: Support.HeldRun, right: Support.HeldRun) {
        let a = try RunTestSupport.compiledCheckpoint("model_a", cores: 2, in: scratch.path)
        let c = try RunTestSupport.compiledCheckpoint("model_c", cores: 3, in: scratch.path)
        let left = try Support.HeldRun(models: ["A=\(a)@0"], visibleCores: "0-2", tag: "left", runtimeDirectory: runtimeDirectory.path)
        let right = try Support.HeldRun(models: ["C=\(c)@0"], visibleCores: "4-7", tag: "right", runtimeDirectory: runtimeDirectory.path)
        let seen = try Support.eventually(timeout: 60) {
            let processes = Support.processes(try Support.lsDevice(runtimeDirectory.path))
            return Support.models(processes[left.pid]) == ["A": [0, 1]] && Support.models(processes[right.pid]) == ["C": [4, 5, 6]]
        }
        try #require(seen, "both processes should appear in ls with their models; left: \(left.output) right: \(right.output)")
        return (left, right)
    }

    func monitorLines(_ arguments: [String]) throws -> [[String: Any]] {
        let result = try CLIRunner.run(["monitor"] + arguments, environment: ["FLEXEG_RUNTIME_DIR": runtimeDirectory.path])
        try #require(result.status == 0, "flexeg monitor: \(result.stderr)")
        return try result.stdout.split(separator: "\n").map { line in
            try #require(try JSONSerialization.jsonObject(with: Data(line.utf8)) as? [String: Any], "not a JSON object: \(line.prefix(200))")
        }
    }

    func writeConfig(_ text: String) throws -> String {
        let path = scratch.path + "/monitor-\(UUID().uuidString).json"
        try text.write(toFile: path, atomically: true, encoding: .utf8)
        return path
    }

    @Test func lsAndMonitorSeeBothProcessesAndAKilledOneDisappears() throws {
        let (left, right) = try startTwoProcesses()
        defer { left.stop(); right.stop() }

        // ls --json: neuron-ls's fields, both pids with their cores and models, per-core detail.
        let device = try Support.lsDevice(runtimeDirectory.path)
        #expect(device["nc_count"] as? Int == 8)
        #expect(device["neuroncore_ids"] as? [Int] == Array(0..<8))
        #expect((device["memory_size"] as? Int ?? 0) == 8 * (2 << 30))
        let processes = Support.processes(device)
        #expect(Set(processes.keys) == [left.pid, right.pid])
        #expect(processes[left.pid]?["neuroncore_ids"] as? [Int] == [0, 1, 2])
        #expect(processes[right.pid]?["neuroncore_ids"] as? [Int] == [4, 5, 6, 7])
        #expect(processes[left.pid]?["neuron_runtime_tag"] as? String == "left")
        #expect((processes[left.pid]?["command"] as? String)?.contains("run --cores 8") == true)
        let cores = try #require(device["neuroncores"] as? [[String: Any]])
        #expect(cores.map { $0["pid"] as? Int } == [0, 1, 2].map { _ in Int(left.pid) } + [nil] + [4, 5, 6, 7].map { _ in Int(right.pid) })
        #expect((cores[0]["models"] as? [[String: Any]])?.map { $0["name"] as? String } == ["A"])
        #expect((cores[2]["models"] as? [[String: Any]])?.isEmpty == true)
        #expect((cores[5]["models"] as? [[String: Any]])?.map { $0["name"] as? String } == ["C"])
        #expect((cores[0]["memory_used_bytes"] as? Int ?? 0) > 0)
        #expect(cores[0]["memory_budget_bytes"] as? Int == 2 << 30)

        // ls text: a row per core naming the holder and its models.
        let text = try CLIRunner.run(["ls"], environment: ["FLEXEG_RUNTIME_DIR": runtimeDirectory.path])
        try #require(text.status == 0, "\(text.stderr)")
        let rows = text.stdout.split(separator: "\n").map(String.init)
        #expect(rows.contains { $0.hasPrefix(" 0 ") && $0.contains("\(left.pid)") && $0.hasSuffix("A") }, "\(text.stdout)")
        #expect(rows.contains { $0.hasPrefix(" 6 ") && $0.contains("\(right.pid)") && $0.hasSuffix("C") }, "\(text.stdout)")
        #expect(rows.contains { $0.hasPrefix(" 3 ") && !$0.contains("\(left.pid)") && !$0.contains("\(right.pid)") })

        // ls --svg: both processes' models on their device cores, each holder's range labelled.
        let svg = scratch.path + "/machine.svg"
        let drawn = try CLIRunner.run(["ls", "--svg", svg], environment: ["FLEXEG_RUNTIME_DIR": runtimeDirectory.path])
        try #require(drawn.status == 0, "\(drawn.stderr)")
        let picture = try String(contentsOfFile: svg, encoding: .utf8)
        #expect(picture.contains("data-name=\"A@left\"") && picture.contains("data-name=\"C@right\""))
        #expect(picture.contains(">pid \(left.pid)</text>") && picture.contains(">pid \(right.pid)</text>"))
        #expect(!picture.contains("class=\"core shared\""))

        // monitor: neuron-monitor's structure, both runtimes, counters that grow between periods.
        let config = try writeConfig("""
            {"period": "0.5s",
             "neuron_runtimes": [{"tag_filter": ".*", "metrics": [{"type": "neuroncore_counters"}, {"type": "memory_used"},
                                  {"type": "neuron_runtime_vcpu_usage"}, {"type": "execution_stats"}]}],
             "system_metrics": [{"type": "vcpu_usage"}, {"type": "memory_info"}]}
            """)
        let lines = try monitorLines(["-c", config, "--count", "3"])
        try #require(lines.count == 3)
        var executions: [String: [Int]] = [:]
        var switchesSeen = 0
        var completed: [String: Int] = [:]
        for line in lines {
            let runtimes = try #require(line["neuron_runtime_data"] as? [[String: Any]])
            #expect(Set(runtimes.compactMap { $0["neuron_runtime_tag"] as? String }) == ["left", "right"])
            #expect(Set(runtimes.compactMap { ($0["pid"] as? Int).map(Int32.init) }) == [left.pid, right.pid])
            for runtime in runtimes {
                let tag = runtime["neuron_runtime_tag"] as? String ?? "?"
                #expect(runtime["error"] as? String == "")
                let report = try #require(runtime["report"] as? [String: Any])
                let inUse = try #require((report["neuroncore_counters"] as? [String: Any])?["neuroncores_in_use"] as? [String: [String: Any]])
                #expect(Set(inUse.keys) == (tag == "left" ? ["0", "1", "2"] : ["4", "5", "6", "7"]))
                for counters in inUse.values {
                    let utilization = try #require(counters["neuroncore_utilization"] as? Double)
                    #expect((0...100).contains(utilization))
                    #expect(counters["model_switches"] is Int)
                    switchesSeen += 1
                }
                let first = tag == "left" ? "0" : "4"
                executions[tag, default: []].append(inUse[first]?["executions"] as? Int ?? -1)

                let stats = try #require(report["execution_stats"] as? [String: Any])
                #expect(Set((stats["error_summary"] as? [String: Int])?.keys ?? [:].keys)
                    == ["generic", "numerical", "transient", "model", "runtime", "hardware"])
                let summary = try #require(stats["execution_summary"] as? [String: Int])
                #expect(Set(summary.keys) == ["completed", "completed_with_err", "completed_with_num_err", "timed_out", "incorrect_input", "failed_to_queue"])
                completed[tag, default: 0] += summary["completed"] ?? 0
                let total = try #require((stats["latency_stats"] as? [String: Any])?["total_latency"] as? [String: Double])
                #expect(Set(total.keys) == ["p0", "p1", "p25", "p50", "p75", "p99", "p100"])
                #expect((total["p0"] ?? 0) > 0 && (total["p0"] ?? 0) <= (total["p50"] ?? 0) && (total["p50"] ?? 0) <= (total["p100"] ?? 0))

                let memory = try #require(report["memory_used"] as? [String: Any])
                let models = try #require(memory["loaded_models"] as? [[String: Any]])
                #expect(models.map { $0["name"] as? String } == [tag == "left" ? "A" : "C"])
                #expect(((memory["neuron_runtime_used_bytes"] as? [String: Any])?["neuron_device"] as? Int ?? 0) > 0)
                let vcpu = try #require((report["neuron_runtime_vcpu_usage"] as? [String: Any])?["vcpu_usage"] as? [String: Double])
                #expect(vcpu["user"] != nil && vcpu["system"] != nil)
            }
            let system = try #require(line["system_data"] as? [String: Any])
            #expect((system["vcpu_usage"] as? [String: Any])?["average_usage"] is [String: Double])
            #expect(((system["memory_info"] as? [String: Any])?["memory_total_bytes"] as? Int ?? 0) > 0)
        }
        #expect(switchesSeen == 3 * 7)
        #expect((completed["left"] ?? 0) > 0 && (completed["right"] ?? 0) > 0, "both models complete requests while monitored: \(completed)")
        for tag in ["left", "right"] {
            let counts = executions[tag] ?? []
            #expect(counts.count == 3 && counts[0] > 0 && counts[0] < counts[2], "\(tag)'s executions should grow: \(counts)")
        }

        // The configuration's tag filter and metric groups are honoured.
        let filtered = try monitorLines(["-c", writeConfig("""
            {"period": "0.3s", "neuron_runtimes": [{"tag_filter": "^right$", "metrics": [{"type": "execution_stats"}]}], "system_metrics": []}
            """), "--count", "1"])
        let only = try #require(filtered.first?["neuron_runtime_data"] as? [[String: Any]])
        #expect(only.map { $0["neuron_runtime_tag"] as? String } == ["right"])
        #expect((only.first?["report"] as? [String: Any]).map { Set($0.keys) } == ["execution_stats"])
        #expect((filtered.first?["system_data"] as? [String: Any])?.isEmpty == true)

        // A killed process disappears from the next ls, and its socket is cleaned up.
        kill(right.pid, SIGKILL)
        right.stop()
        let after = Support.processes(try Support.lsDevice(runtimeDirectory.path))
        #expect(Set(after.keys) == [left.pid])
        let sockets = try FileManager.default.contentsOfDirectory(atPath: runtimeDirectory.path + "/state.\(getuid())")
        #expect(sockets.allSatisfy { !$0.hasPrefix("flexeg-\(right.pid)-") }, "\(sockets)")
        #expect(sockets.contains { $0.hasPrefix("flexeg-\(left.pid)-") })
    }

    @Test func prometheusAndPlainTopServeBothProcesses() throws {
        let (left, right) = try startTwoProcesses()
        defer { left.stop(); right.stop() }

        // top without a terminal: plain periodic text of the "all" tab.
        let top = try CLIRunner.run(["top", "--count", "2", "--period", "0.3"], environment: ["FLEXEG_RUNTIME_DIR": runtimeDirectory.path])
        try #require(top.status == 0, "\(top.stderr)")
        let frames = top.stdout.components(separatedBy: "\n\n")
        #expect(frames.count == 2)
        for frame in frames {
            #expect(frame.contains("1:>all<  2: left   3: right"), "\(frame)")
            #expect(frame.contains(" \(left.pid)  ") && frame.contains(" \(right.pid)  "))
            let rows = frame.split(separator: "\n")
            #expect(rows.contains { $0.hasPrefix(" \(left.pid)") && $0.contains(" A ") && $0.contains("READY") }, "\(frame)")
            #expect(rows.contains { $0.hasPrefix(" \(right.pid)") && $0.contains(" C ") && $0.contains("READY") }, "\(frame)")
        }

        // --prometheus: neuron-monitor-prometheus's metric names on loopback.
        let config = try writeConfig(#"{"period": "0.3s"}"#)
        let monitor = Process()
        monitor.executableURL = URL(fileURLWithPath: CLIRunner.executable)
        monitor.arguments = ["monitor", "-c", config, "--prometheus", "0"]
        monitor.environment = ProcessInfo.processInfo.environment.merging(["FLEXEG_RUNTIME_DIR": runtimeDirectory.path]) { $1 }
        let errors = Pipe()
        monitor.standardError = errors
        monitor.standardOutput = FileHandle.nullDevice
        try monitor.run()
        defer {
            if monitor.isRunning { kill(monitor.processIdentifier, SIGKILL) }
            monitor.waitUntilExit()
        }
        var announced = Data()
        while !announced.contains(UInt8(ascii: "\n")) {
            let chunk = errors.fileHandleForReading.availableData
            if chunk.isEmpty { break }
            announced.append(chunk)
        }
        let line = String(decoding: announced, as: UTF8.self)
        let port = try #require(line.split(separator: ":").last.flatMap { Int($0.split(separator: "/").first ?? "") }, "no port in: \(line)")
        var metrics = ""
        let scraped = try Support.eventually(timeout: 20) {
            metrics = try Support.httpGet(port: port, path: "/metrics").body
            return metrics.contains("runtime_tag=\"left\"") && metrics.contains("runtime_tag=\"right\"")
                && metrics.contains("execution_latency_seconds{percentile=\"p50\",runtime_tag=\"right\"}")
        }
        #expect(scraped, "\(metrics.prefix(2000))")
        for name in ["neuroncore_utilization_ratio{neuroncore=\"0\",runtime_tag=\"left\"}", "neuroncore_utilization_ratio{neuroncore=\"4\",runtime_tag=\"right\"}",
                     "execution_status_total{status_type=\"completed\",runtime_tag=\"left\"}", "execution_errors_total{error_type=\"generic\",runtime_tag=\"left\"}",
                     "neuron_runtime_memory_used_bytes{memory_location=\"neuron_device\",runtime_tag=\"left\"}",
                     "neuron_runtime_vcpu_usage_ratio{usage_type=\"user\",runtime_tag=\"right\"}", "neuroncore_model_switches_total{neuroncore=\"5\",runtime_tag=\"right\"}",
                     "system_vcpu_usage_ratio{usage_type=\"user\"}", "system_memory_total_bytes", "# TYPE execution_errors_total counter"] {
            #expect(metrics.contains(name), "metrics should have \(name)")
        }
        func completed(_ text: String) -> Double {
            let line = text.split(separator: "\n").first { $0.hasPrefix("execution_status_total{status_type=\"completed\",runtime_tag=\"left\"}") }
            return line?.split(separator: " ").last.flatMap { Double($0) } ?? 0
        }
        let first = completed(metrics)
        #expect(first > 0)
        // A counter: each period's completions add up.
        #expect(try Support.eventually(timeout: 10) { completed(try Support.httpGet(port: port, path: "/metrics").body) > first })
        #expect(try Support.httpGet(port: port, path: "/other").status.contains("404"))
    }

    @Test(.enabled(if: ObservabilityTestSupport.tool("tmux") != nil, "needs tmux (apt-get install tmux) to drive top in a terminal"))
    func topInATerminalShowsBothProcessesSwitchesTabsAndQuits() throws {
        let (left, right) = try startTwoProcesses()
        defer { left.stop(); right.stop() }
        let tmux = try #require(Support.tool("tmux"))
        let server = "flexeg-top-\(UUID().uuidString.prefix(8))"
        // Through bash closing every descriptor above 2 first: the tmux server outlives its client and
        // would otherwise keep Foundation's descriptors open, and `Process.waitUntilExit` would wait for it.
        let closeInherited = #"for fd in $(ls /proc/$$/fd); do if [ "$fd" -gt 2 ]; then eval "exec $fd>&-"; fi; done; exec "$0" "$@""#
        func tmuxRun(_ arguments: [String]) throws -> ProcessRunner.Result {
            try ProcessRunner.run("/bin/bash", ["-c", closeInherited, tmux, "-L", server, "-f", "/dev/null"] + arguments)
        }
        let command = "env FLEXEG_RUNTIME_DIR='\(runtimeDirectory.path)' '\(CLIRunner.executable)' top --period 0.5; echo top-exit=$?; exec sleep 60"
        try tmuxRun(["new-session", "-d", "-s", "top", "-x", "80", "-y", "24", command]).check()
        // The test process's blocked signals pass down to the tmux server and its panes, so `kill-server`
        // cannot end them: kill the server's process tree instead.
        let serverPID = try #require(Int32(try tmuxRun(["display-message", "-p", "#{pid}"]).stdout.trimmingCharacters(in: .whitespacesAndNewlines)))
        defer { Support.killTree(serverPID) }
        var screen: [String] = []
        func shows(_ check: @escaping ([String]) -> Bool) throws -> Bool {
            try Support.eventually(timeout: 20) {
                screen = try tmuxRun(["capture-pane", "-p", "-t", "top"]).stdout.components(separatedBy: "\n")
                return check(screen)
            }
        }
        let coreRows = { (screen: [String], pid: Int32) in screen.filter { $0.range(of: "^ *[0-9]+ +\(pid) ", options: .regularExpression) != nil }.count }

        #expect(try shows { s in s.contains { $0.contains("1:>all<") } && coreRows(s, left.pid) == 3 && coreRows(s, right.pid) == 4 },
                "the all tab shows both processes' cores:\n\(screen.joined(separator: "\n"))")
        #expect(screen.first?.hasPrefix("flexeg top  8 NeuronCores, 2 processes") == true, "redrawn in place from the top line:\n\(screen.joined(separator: "\n"))")
        #expect(screen.filter { !$0.isEmpty }.count <= 24 && screen.allSatisfy { $0.count <= 80 })

        try tmuxRun(["send-keys", "-t", "top", "3"]).check()
        #expect(try shows { s in s.contains { $0.contains(">right<") } && coreRows(s, right.pid) == 4 && coreRows(s, left.pid) == 0 },
                "key 3 selects the right process's tab:\n\(screen.joined(separator: "\n"))")
        try tmuxRun(["send-keys", "-t", "top", "a"]).check()
        #expect(try shows { s in s.contains { $0.contains(">left<") } && coreRows(s, left.pid) == 3 && coreRows(s, right.pid) == 0 },
                "a moves to the previous tab:\n\(screen.joined(separator: "\n"))")
        try tmuxRun(["send-keys", "-t", "top", "d"]).check()
        #expect(try shows { s in s.contains { $0.contains(">right<") } }, "d moves to the next tab:\n\(screen.joined(separator: "\n"))")

        try tmuxRun(["send-keys", "-t", "top", "q"]).check()
        #expect(try shows { s in s.contains("top-exit=0") }, "q quits cleanly:\n\(screen.joined(separator: "\n"))")
        #expect(!screen.contains { $0.contains("1:") && $0.contains("all") }, "the terminal is restored (top's screen is gone)")
    }

    @Test(.enabled(if: ObservabilityTestSupport.tool("rsvg-convert") != nil, "needs rsvg-convert (apt-get install librsvg2-bin)"))
    func svgOfTheSeedsBadPlacementMarksCoreFiveShared() throws {
        let prefixes = try [("A", "model_a", 2, 0), ("B", "model_b", 4, 2), ("C", "model_c", 3, 5), ("D", "model_d", 4, 9)].map { name, source, cores, start in
            "\(name)=\(try RunTestSupport.compiledCheckpoint(source, cores: cores, in: scratch.path))@\(start)"
        }
        let svg = scratch.path + "/bad.svg"
        let result = try CLIRunner.run(["run", "--cores", "16", "--requests", "2", "--svg", svg] + prefixes.flatMap { ["--model", $0] },
                                       environment: RunTestSupport.environment(runtimeDirectory: runtimeDirectory.path))
        try #require(result.status == 0, "\(result.stderr)")
        let document = try String(contentsOfFile: svg, encoding: .utf8)
        #expect(document.components(separatedBy: "class=\"core shared\"").count == 2, "exactly one shared core")
        #expect(document.contains("<g class=\"core shared\" data-core=\"5\">"))
        #expect(document.contains("NeuronCore 5 is shared by B and C: they take turns (model switching)"))
        for name in ["A", "B", "C", "D"] { #expect(document.contains("data-name=\"\(name)\"")) }

        let png = scratch.path + "/bad.png"
        let raster = try ProcessRunner.run(try #require(Support.tool("rsvg-convert")), ["-o", png, svg])
        try #require(raster.status == 0, "rsvg-convert: \(raster.stderr)")
        let bytes = try Data(contentsOf: URL(fileURLWithPath: png))
        #expect(bytes.prefix(8) == Data([0x89, 0x50, 0x4E, 0x47, 0x0D, 0x0A, 0x1A, 0x0A]), "a PNG")
        // IHDR: width and height, big-endian, at bytes 16..<24: 16 cores of 48 px plus margins.
        let width = bytes[16..<20].reduce(0) { $0 << 8 | Int($1) }
        let height = bytes[20..<24].reduce(0) { $0 << 8 | Int($1) }
        #expect(width == 16 * 48 + 32)
        #expect(height > 100 && height < 400)

        // In the picture itself: core 5's cell is filled red, its neighbour's is not.
        if let python = Support.tool("python3") {
            func cellOrigin(_ core: Int) throws -> (Int, Int) {
                let pattern = "data-core=\"\(core)\"><rect x=\"([0-9]+)\" y=\"([0-9]+)\""
                let match = try #require(document.range(of: pattern, options: .regularExpression).map { String(document[$0]) })
                let numbers = match.split(separator: "\"").compactMap { Int($0) }.dropFirst()
                return (numbers.first ?? 0, numbers.dropFirst().first ?? 0)
            }
            let (x5, y5) = try cellOrigin(5)
            let (x4, y4) = try cellOrigin(4)
            let pixels = try ProcessRunner.run(python, ["-c", Support.pngPixelScript, png, "\(x5 + 8),\(y5 + 8)", "\(x4 + 8),\(y4 + 8)"])
            try #require(pixels.status == 0, "\(pixels.stderr)")
            let colours = pixels.stdout.split(separator: "\n").map(String.init)
            #expect(colours == ["244,166,166", "238,241,245"], "core 5 red (#f4a6a6), core 4 grey (#eef1f5): \(colours)")
        }
    }

    @Test func lsWithNoProcessAndMonitorWithABadConfig() throws {
        let device = try Support.lsDevice(runtimeDirectory.path, ["--cores", "4"])
        #expect(device["nc_count"] as? Int == 4)
        #expect((device["neuron_processes"] as? [Any])?.isEmpty == true)
        let bad = try CLIRunner.run(["monitor", "-c", try writeConfig(#"{"period": "soon"}"#), "--count", "1"],
                                    environment: ["FLEXEG_RUNTIME_DIR": runtimeDirectory.path])
        CompileCLI.expectOneLineError(bad, mentioning: ["period", "\"1s\""])
        let unknown = try CLIRunner.run(["monitor", "-c", try writeConfig(#"{"system_metrics": [{"type": "gpu"}]}"#), "--count", "1"],
                                        environment: ["FLEXEG_RUNTIME_DIR": runtimeDirectory.path])
        CompileCLI.expectOneLineError(unknown, mentioning: ["gpu", "vcpu_usage, memory_info"])
    }
}
