import FlexRuntimeTesting
import FlexRuntime
import FlexTensor
import Foundation
import Testing

/// Loading and unloading while other models serve, draining, memory accounting, shutdown.
@Suite struct LifecycleTests {
    @Test func loadsAndUnloadsNeverDisturbAServingModel() throws {
        try withRuntime(cores: 8) { runtime in
            let serving = try runtime.load(SyntheticModel(name: "Serving", stageCount: 2, work: .spin(.microseconds(200))), at: 0)
            let others = [
                SyntheticModel(name: "Neighbour", stageCount: 3, weightBytes: 256 << 10),
                SyntheticModel(name: "Overlapping", stageCount: 2, weightBytes: 256 << 10),
            ]
            let stop = Shared(false)
            let churned = Shared(0)
            let results = Shared((correct: 0, failed: 0))
            let churn = Thread {
                var round = 0
                while !stop.current {
                    // Same cores as the serving model, then neighbouring ones, then both at once.
                    let placements: [(SyntheticModel, Int)] = [(others[1], 0), (others[0], 2), (others[1], 5)]
                    let (model, start) = placements[round % placements.count]
                    if let loaded = try? runtime.load(model, at: start),
                       let outputs = try? loaded.infer(taggedInput(Float(round))),
                       isSyntheticAnswer(outputs, tag: Float(round), stageCount: model.stageCount),
                       (try? loaded.unload()) != nil {
                        churned.withLock { $0 += 1 }
                    }
                    round += 1
                }
            }
            churn.start()
            onThreads(3) { client in
                for request in 0..<25 {
                    let tag = Float(client * 100 + request)
                    let ok = (try? serving.infer(taggedInput(tag))).map { isSyntheticAnswer($0, tag: tag, stageCount: 2) }
                    results.withLock { ok == true ? ($0.correct += 1) : ($0.failed += 1) }
                }
            }
            stop.withLock { $0 = true }
            #expect(eventually { churn.isFinished })
            #expect(churned.current >= 1)
            #expect(results.current.correct == 75)
            #expect(results.current.failed == 0)
            let snapshot = runtime.snapshot()
            #expect(snapshot.models.map(\.name) == ["Serving"])
            #expect(snapshot.models[0].errors == 0)
            #expect(snapshot.cores[2...].allSatisfy { $0.memoryUsedBytes == 0 })
        }
    }

    /// Unload lets admitted requests finish, turns away new ones (and callers waiting for a slot),
    /// and returns only when they are done.
    @Test func unloadDrainsInFlightRequestsAndRejectsNewOnes() throws {
        let gate = Gate()
        let model = SyntheticModel(name: "Draining", stageCount: 2) { event in
            if event.phase == .started && event.stage == 0 { _ = gate.pass() }
        }
        try withRuntime(cores: 2) { runtime in
            let loaded = try runtime.load(model, at: 0, maxInFlight: 3)
            let admitted = try (0..<3).map { try loaded.trySubmit(taggedInput(Float($0))) }
            #expect(gate.waitForArrivals(1))

            let waitingForSlot = Shared<RuntimeError?>(nil)
            let waiter = Thread { waitingForSlot.withLock { $0 = runtimeError { try loaded.submit(taggedInput(9)) } } }
            waiter.start()
            let unloading = Thread { try? loaded.unload() }
            unloading.start()

            #expect(eventually { !loaded.isLoaded })
            #expect(runtimeError { try loaded.trySubmit(taggedInput(5)) } == .modelUnloaded(model: "Draining"))
            #expect(eventually { waiter.isFinished })
            #expect(waitingForSlot.current == .modelUnloaded(model: "Draining"))
            #expect(waitingForSlot.current?.status == .invalidHandle)
            #expect(!unloading.isFinished)
            #expect(runtime.snapshot().models.count == 1)

            gate.open()
            for (tag, request) in admitted.enumerated() {
                #expect(try isSyntheticAnswer(request.wait(), tag: Float(tag), stageCount: 2))
            }
            #expect(eventually { unloading.isFinished })
            #expect(runtime.snapshot().models.isEmpty)
            #expect(runtime.snapshot().cores.allSatisfy { $0.memoryUsedBytes == 0 })
            try loaded.unload()
        }
    }

    @Test func loadThatDoesNotFitLeavesNothingBehind() throws {
        let kib = 1024
        try withRuntime(cores: 4, memoryPerCore: 1024 * kib) { runtime in
            let small = SyntheticModel(name: "Small", stageCount: 2, weightBytes: 256 * kib, activationBytes: 64 * kib)
            let first = try runtime.load(small, at: 1, maxInFlight: 2)
            #expect(runtime.snapshot().cores.map(\.memoryUsedBytes) == [0, 384 * kib, 384 * kib, 0])

            // Core 0 could take it, core 1 cannot: the error names core 1 and core 0 stays untouched.
            let large = SyntheticModel(name: "Large", stageCount: 2, weightBytes: 600 * kib, activationBytes: 16 * kib)
            let error = runtimeError { try runtime.load(large, at: 0, maxInFlight: 4) }
            #expect(error == .outOfMemory(model: "Large", core: 1, needed: 664 * kib, free: 640 * kib, budget: 1024 * kib))
            #expect(error?.status == .resource)
            #expect(error?.description.contains("does not fit NeuronCore 1: it needs 664.0 KiB") == true)
            #expect(error?.description.contains("nothing was loaded") == true)
            #expect(runtimeError { try runtime.load(large, at: 2, maxInFlight: 4) }?.status == .resource)

            let after = runtime.snapshot()
            #expect(after.cores.map(\.memoryUsedBytes) == [0, 384 * kib, 384 * kib, 0])
            #expect(after.cores.map(\.modelsLoaded.count) == [0, 1, 1, 0])
            #expect(after.models.map(\.id) == [first.id])
            #expect(runtime.loadedModels.map(\.id) == [first.id])

            try first.unload()
            #expect(runtime.snapshot().cores.map(\.memoryUsedBytes) == [0, 0, 0, 0])
            let placed = try runtime.load(large, at: 0, maxInFlight: 4)
            #expect(runtime.snapshot().cores.map(\.memoryUsedBytes) == [664 * kib, 664 * kib, 0, 0])
            try placed.unload()
            #expect(runtime.snapshot().cores.map(\.memoryUsedBytes) == [0, 0, 0, 0])
        }
    }

    @Test func instancesOfOneModelShareItsWeights() throws {
        let kib = 1024
        try withRuntime(cores: 2, memoryPerCore: 1024 * kib) { runtime in
            let model = SyntheticModel(name: "Shared", stageCount: 2, weightBytes: 600 * kib, activationBytes: 10 * kib)
            let first = try runtime.load(model, at: 0, maxInFlight: 4)
            #expect(runtime.snapshot().cores.map(\.memoryUsedBytes) == [640 * kib, 640 * kib])
            let second = try runtime.load(model, at: 0, maxInFlight: 4)
            #expect(runtime.snapshot().cores.map(\.memoryUsedBytes) == [680 * kib, 680 * kib])
            // A different model object with the same sizes needs its own weights: it does not fit.
            let copy = SyntheticModel(name: "Shared", stageCount: 2, weightBytes: 600 * kib, activationBytes: 10 * kib)
            #expect(runtimeError { try runtime.load(copy, at: 0, maxInFlight: 4) }?.status == .resource)
            try first.unload()
            #expect(runtime.snapshot().cores.map(\.memoryUsedBytes) == [640 * kib, 640 * kib])
            #expect(try isSyntheticAnswer(second.infer(taggedInput(3)), tag: 3, stageCount: 2))
            try second.unload()
            #expect(runtime.snapshot().cores.map(\.memoryUsedBytes) == [0, 0])
        }
    }

    @Test func workspaceIsChargedOncePerInstanceAndActivationsPerSlot() throws {
        let kib = 1024
        try withRuntime(cores: 2, memoryPerCore: 1024 * kib) { runtime in
            let model = SyntheticModel(name: "Arena", stageCount: 1, weightBytes: 100 * kib, workspaceBytes: 200 * kib,
                                       activationBytes: 10 * kib)
            let first = try runtime.load(model, at: 0, maxInFlight: 4)
            #expect(runtime.snapshot().cores.map(\.memoryUsedBytes) == [340 * kib, 0])
            // A second instance has its own workspace and slots but shares the weights.
            let second = try runtime.load(model, at: 0, maxInFlight: 1)
            #expect(runtime.snapshot().cores.map(\.memoryUsedBytes) == [550 * kib, 0])
            try first.unload()
            #expect(runtime.snapshot().cores.map(\.memoryUsedBytes) == [310 * kib, 0])
            try second.unload()
            #expect(runtime.snapshot().cores.map(\.memoryUsedBytes) == [0, 0])
        }
    }

    @Test func instanceTypesSetTheMemoryBudget() throws {
        let directory = makeRuntimeDirectory()
        defer { try? FileManager.default.removeItem(atPath: directory) }
        let runtime = try NeuronRuntime(RuntimeConfiguration(
            instanceType: InstanceType(named: "inf2.xlarge"), environment: ["FLEXEG_RUNTIME_DIR": directory]))
        defer { try? runtime.shutdown() }
        #expect(runtime.deviceCoreCount == 2)
        #expect(runtime.memoryPerCore == 16 << 30)
        #expect(runtime.snapshot().cores.allSatisfy { $0.memoryBudgetBytes == 16 << 30 })
    }

    @Test func shutdownUnloadsEverythingAndRefusesNewWork() throws {
        let directory = makeRuntimeDirectory()
        defer { try? FileManager.default.removeItem(atPath: directory) }
        let runtime = try NeuronRuntime(RuntimeConfiguration(deviceCoreCount: 2, environment: ["FLEXEG_RUNTIME_DIR": directory]))
        let loaded = try runtime.load(SyntheticModel(name: "Last", stageCount: 2), at: 0)
        let pending = try loaded.submit(taggedInput(1))
        try runtime.shutdown()
        #expect(try isSyntheticAnswer(pending.wait(), tag: 1, stageCount: 2))
        #expect(!loaded.isLoaded)
        #expect(runtimeError { try loaded.infer(taggedInput(2)) } == .modelUnloaded(model: "Last"))
        let error = runtimeError { try runtime.load(SyntheticModel(name: "Late", stageCount: 1), at: 0) }
        #expect(error == .shutDown)
        #expect(error?.status == .closed)
        try runtime.shutdown()
        // The cores are free again.
        let next = try NeuronRuntime(RuntimeConfiguration(deviceCoreCount: 2, environment: ["FLEXEG_RUNTIME_DIR": directory]))
        try next.shutdown()
    }
}
