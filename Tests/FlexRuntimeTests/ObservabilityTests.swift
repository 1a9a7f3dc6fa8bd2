import FlexRuntimeTesting
import FlexRuntime
import FlexTensor
import Foundation
import Testing

/// Snapshots: per-core and per-model state and counters, and their JSON form.
@Suite struct ObservabilityTests {
    @Test func snapshotCountsExecutionsLatencyAndErrors() throws {
        try withRuntime(cores: 3) { runtime in
            let loaded = try runtime.load(SyntheticModel(name: "Timed", stageCount: 2, work: .sleep(.milliseconds(2))), at: 1)
            for tag in 0..<20 { _ = try loaded.infer(taggedInput(Float(tag))) }
            _ = runtimeError { try loaded.infer(["data": Tensor(zeros: [5])]) }

            let snapshot = runtime.snapshot()
            #expect(snapshot.deviceCoreCount == 3)
            #expect(snapshot.mode == "flexeg")
            #expect(snapshot.groups.isEmpty)
            #expect(snapshot.cores.map(\.executions) == [0, 20, 20])
            #expect(snapshot.cores.map(\.modelsLoaded) == [[], [ModelReference(id: loaded.id, name: "Timed")], [ModelReference(id: loaded.id, name: "Timed")]])
            #expect(snapshot.cores[1].activeModel == ModelReference(id: loaded.id, name: "Timed"))
            #expect(snapshot.cores[0].activeModel == nil)
            #expect(snapshot.cores.allSatisfy { $0.runningModel == nil && $0.queueLength == 0 })
            #expect(snapshot.cores[0].busyFraction == 0)
            #expect(snapshot.cores[1].busyFraction > 0 && snapshot.cores[1].busyFraction <= 1)

            let model = snapshot.models[0]
            #expect(model.cores == [1, 2])
            #expect(model.deviceCores == [1, 2])
            #expect(model.context == 1)
            #expect(model.state == .ready)
            #expect(model.inferences == 20)
            #expect(model.errors == 1)
            #expect(model.errorsByStatus == ["NRT_INVALID": 1])
            #expect(model.latency.count == 20)
            let p50 = try #require(model.latency.p50)
            let p90 = try #require(model.latency.p90)
            let p99 = try #require(model.latency.p99)
            #expect(p50 >= 4)  // two stages of at least 2 ms each
            #expect(p50 <= p90 && p90 <= p99)
            #expect((model.latency.throughput ?? 0) > 0)
        }
    }

    @Test func latencyWindowIsBounded() throws {
        let directory = makeRuntimeDirectory()
        defer { try? FileManager.default.removeItem(atPath: directory) }
        let runtime = try NeuronRuntime(RuntimeConfiguration(
            deviceCoreCount: 1, environment: ["FLEXEG_RUNTIME_DIR": directory], latencyWindow: 8))
        defer { try? runtime.shutdown() }
        let loaded = try runtime.load(SyntheticModel(name: "Windowed", stageCount: 1), at: 0)
        for tag in 0..<30 { _ = try loaded.infer(taggedInput(Float(tag))) }
        let model = runtime.snapshot().models[0]
        #expect(model.inferences == 30)
        #expect(model.latency.count == 8)
    }

    @Test func jsonHasStableSnakeCaseKeysAndNulls() throws {
        try withRuntime(cores: 2, pinThreads: false) { runtime in
            _ = try runtime.load(SyntheticModel(name: "Json", stageCount: 1), at: 0)
            let json = runtime.snapshot().json()
            let object = try #require(try JSONSerialization.jsonObject(with: Data(json.utf8)) as? [String: Any])
            #expect(Set(object.keys) == ["device_core_count", "mode", "groups", "cores", "models"])
            let core = try #require((object["cores"] as? [[String: Any]])?.first)
            #expect(Set(core.keys) == [
                "index", "device_core", "cpu", "models_loaded", "active_model", "running_model", "executions", "switches",
                "switch_seconds", "busy_fraction", "queue_length", "memory_budget_bytes", "memory_used_bytes",
            ])
            #expect(core["cpu"] is NSNull)
            #expect(core["running_model"] is NSNull)
            let model = try #require((object["models"] as? [[String: Any]])?.first)
            #expect(Set(model.keys) == [
                "id", "name", "context", "cores", "device_cores", "state", "max_in_flight", "in_flight", "peak_in_flight",
                "inferences", "errors", "errors_by_status", "latency",
            ])
            #expect(model["state"] as? String == "READY")
            let latency = try #require(model["latency"] as? [String: Any])
            #expect(Set(latency.keys) == ["count", "p50_ms", "p90_ms", "p99_ms", "throughput_per_second"])
            #expect(latency["p50_ms"] is NSNull)

            let decoded = try JSONDecoder().decode(RuntimeSnapshot.self, from: Data(json.utf8))
            #expect(decoded.models.map(\.name) == ["Json"])
        }
    }

    @Test func coreThreadsCarryTheirNameInTheOS() throws {
        #if os(Linux)
        // What `ps -L`, `top -H` and `perf` show: the name of the OS thread each stage ran on.
        let names = Shared<[Int: Set<String>]>([:])
        let model = SyntheticModel(name: "Named", stageCount: 2) { event in
            guard event.phase == .started else { return }
            let name = (try? String(contentsOfFile: "/proc/thread-self/comm", encoding: .utf8))?
                .trimmingCharacters(in: .whitespacesAndNewlines) ?? "unreadable"
            names.withLock { _ = $0[event.stage, default: []].insert(name) }
        }
        try withRuntime(cores: 2) { runtime in
            let loaded = try runtime.load(model, at: 0)
            for tag in 0..<3 { _ = try loaded.infer(taggedInput(Float(tag))) }
        }
        #expect(names.current == [0: ["flexeg-nc0"], 1: ["flexeg-nc1"]])
        #endif
    }

    @Test func coreThreadsRunPinnedToTheirCPU() throws {
        #if os(Linux)
        let cpus = Shared<[Int: Set<Int>]>([:])
        let model = SyntheticModel(name: "Where", stageCount: 2) { event in
            if event.phase == .started, let cpu = event.cpu { cpus.withLock { _ = $0[event.stage, default: []].insert(cpu) } }
        }
        try withRuntime(cores: 2) { runtime in
            let loaded = try runtime.load(model, at: 0)
            for tag in 0..<5 { _ = try loaded.infer(taggedInput(Float(tag))) }
            let pinned = runtime.snapshot().cores.map(\.cpu)
            let available = HostCPUs.available()
            #expect(pinned == [available[0], available[1 % available.count]])
            #expect(cpus.current == [0: [pinned[0]!], 1: [pinned[1]!]])
        }
        #endif
    }
}
