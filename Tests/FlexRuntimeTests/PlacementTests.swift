import FlexRuntimeTesting
import FlexRuntime
import FlexTensor
import Foundation
import Testing

/// The seed's placement examples: FlexEG start indexes, NeuronCore Groups, and what fails.
@Suite struct PlacementTests {
    /// Models A, B, C, D compiled for 2, 4, 3, 4 cores; `observer` sees their stage events.
    static func seedModels(observer: (@Sendable (StageEvent) -> Void)? = nil) -> [SyntheticModel] {
        zip(["A", "B", "C", "D"], [2, 4, 3, 4]).map { name, stages in
            SyntheticModel(name: name, stageCount: stages, observer: observer)
        }
    }

    /// Runs one request on each model from its own thread; every model's stage 0 waits at a
    /// rendezvous of all of them, which only succeeds if they run at the same time (in parallel).
    static func expectParallel(_ runtime: NeuronRuntime, load: (SyntheticModel) throws -> LoadedModel) throws {
        let rendezvous = Rendezvous(parties: 4)
        let met = Shared<[String: Bool]>([:])
        let models = seedModels { event in
            guard event.phase == .started, event.stage == 0 else { return }
            let ok = rendezvous.arrive()
            met.withLock { $0[event.model] = ok }
        }
        let loaded = try models.map(load)
        let answers = Shared<[Int: Bool]>([:])
        onThreads(4) { index in
            let outputs = try? loaded[index].infer(taggedInput(Float(index * 10)))
            answers.withLock { $0[index] = outputs.map { isSyntheticAnswer($0, tag: Float(index * 10), stageCount: loaded[index].model.stageCount) } ?? false }
        }
        #expect(met.current == ["A": true, "B": true, "C": true, "D": true])
        #expect(answers.current == [0: true, 1: true, 2: true, 3: true])
        let snapshot = runtime.snapshot()
        #expect(snapshot.cores.allSatisfy { $0.switches == 0 })
        #expect(snapshot.models.allSatisfy { $0.state == .ready })
    }

    @Test func seedPlacementUsesDisjointCoresAndRunsInParallel() throws {
        try withRuntime(cores: 16) { runtime in
            let starts = ["A": 0, "B": 2, "C": 6, "D": 9]
            try Self.expectParallel(runtime) { try runtime.load($0, at: starts[$0.name]!) }
            #expect(runtime.loadedModels.map(\.cores) == [[0, 1], [2, 3, 4, 5], [6, 7, 8], [9, 10, 11, 12]])
            #expect(!runtime.warnings.contains { $0.kind == .sharedCores })
        }
    }

    @Test func remappedPlacementUsesTheNewCores() throws {
        try withRuntime(cores: 16) { runtime in
            let starts = ["C": 0, "A": 3, "D": 5, "B": 9]
            try Self.expectParallel(runtime) { try runtime.load($0, at: starts[$0.name]!) }
            let cores = Dictionary(uniqueKeysWithValues: runtime.loadedModels.map { ($0.name, $0.cores) })
            #expect(cores == ["C": [0, 1, 2], "A": [3, 4], "D": [5, 6, 7, 8], "B": [9, 10, 11, 12]])
            #expect(!runtime.warnings.contains { $0.kind == .sharedCores })
        }
    }

    @Test func neuronCoreGroupsGiveTheSameCoresAsFlexEG() throws {
        try withRuntime(cores: 16, environment: ["NEURONCORE_GROUP_SIZES": "2,4,3,4"]) { runtime in
            #expect(runtime.placementMode == .neuronCoreGroups([0..<2, 2..<6, 6..<9, 9..<13]))
            #expect(runtime.coreCount == 13)
            let groups = ["A": 0, "B": 1, "C": 2, "D": 3]
            try Self.expectParallel(runtime) { try runtime.load($0, at: groups[$0.name]!) }
            #expect(runtime.loadedModels.map(\.cores) == [[0, 1], [2, 3, 4, 5], [6, 7, 8], [9, 10, 11, 12]])
            let snapshot = runtime.snapshot()
            #expect(snapshot.mode == "neuroncore_groups")
            #expect(snapshot.groups == [[0, 1], [2, 3, 4, 5], [6, 7, 8], [9, 10, 11, 12]])
        }
    }

    @Test func sharedCoreWarnsAndSwitchesModels() throws {
        try withRuntime(cores: 16) { runtime in
            let models = Self.seedModels()
            let a = try runtime.load(models[0], at: 0)
            let b = try runtime.load(models[1], at: 2)
            #expect(runtime.warnings.filter { $0.kind == .sharedCores }.isEmpty)
            let c = try runtime.load(models[2], at: 5)
            let d = try runtime.load(models[3], at: 9)
            _ = (a, d)

            let shared = runtime.warnings.filter { $0.kind == .sharedCores }
            #expect(shared.count == 1)
            #expect(shared.first?.models == ["B", "C"])
            #expect(shared.first?.cores == [5])
            #expect(shared.first?.message.contains("\"B\" (NeuronCores 2-5)") == true)
            #expect(shared.first?.message.contains("\"C\" (NeuronCores 5-7)") == true)
            #expect(shared.first?.message.contains("share NeuronCore 5") == true)

            // B was loaded first onto the idle core 5, so it is active there; C waits in STANDBY.
            var states = Dictionary(uniqueKeysWithValues: runtime.snapshot().models.map { ($0.name, $0.state) })
            #expect(states == ["A": .ready, "B": .ready, "C": .standby, "D": .ready])

            // Alternating C, B, C, B, C, B switches core 5 every time, and no other core ever.
            for round in 0..<3 {
                _ = try c.infer(taggedInput(Float(round)))
                _ = try b.infer(taggedInput(Float(round)))
            }
            var snapshot = runtime.snapshot()
            #expect(snapshot.cores[5].switches == 6)
            #expect(snapshot.cores[5].switchSeconds > 0)
            #expect(snapshot.cores.filter { $0.index != 5 }.allSatisfy { $0.switches == 0 })
            states = Dictionary(uniqueKeysWithValues: snapshot.models.map { ($0.name, $0.state) })
            #expect(states == ["A": .ready, "B": .ready, "C": .standby, "D": .ready])

            // Both running at once still take turns on core 5 (and only there).
            onThreads(2) { index in
                let model = index == 0 ? b : c
                for request in 0..<10 { _ = try? model.infer(taggedInput(Float(request))) }
            }
            snapshot = runtime.snapshot()
            #expect(snapshot.cores[5].switches > 6)
            #expect(snapshot.cores.filter { $0.index != 5 }.allSatisfy { $0.switches == 0 })
            #expect(snapshot.models.allSatisfy { $0.errors == 0 })
        }
    }

    @Test func twoCoreModelOnFourCoresHasStartIndexesZeroToTwo() throws {
        try withRuntime(cores: 4) { runtime in
            let model = SyntheticModel(name: "X", stageCount: 2)
            for start in 0...2 {
                let loaded = try runtime.load(model, at: start)
                #expect(loaded.cores == [start, start + 1])
                try loaded.unload()
            }
            for start in [3, -1] {
                let error = runtimeError { try runtime.load(model, at: start) }
                #expect(error == .notEnoughCores(model: "X", needed: 2, start: start, available: 4, validStarts: [0, 1, 2]))
                #expect(error?.status == .loadNotEnoughCores)
                #expect(error?.status.rawValue == 9)
                #expect(error?.description.contains("valid start indexes: 0, 1, 2") == true)
                let placement = start < 0 ? "start index -1 is not one of the process's 4 NeuronCores" : "starting at 3 of 4 leaves 1"
                #expect(error?.description.contains(placement) == true, "\(error?.description ?? "")")
            }
            let pastTheEnd = runtimeError { try runtime.load(model, at: 4) }
            #expect(pastTheEnd?.description.contains("start index 4 is not one of the process's 4 NeuronCores") == true)
            let tooBig = runtimeError { try runtime.load(SyntheticModel(name: "Big", stageCount: 5), at: 0) }
            #expect(tooBig?.description.contains("no start index works: the process has only 4 NeuronCores") == true)
            #expect(runtime.loadedModels.isEmpty)
        }
    }

    @Test func groupModelUsesTheFirstCoresOfItsGroupAndNeverMore() throws {
        try withRuntime(cores: 8, environment: ["NEURONCORE_GROUP_SIZES": "2,4"]) { runtime in
            let small = try runtime.load(SyntheticModel(name: "Small", stageCount: 2), at: 1)
            #expect(small.cores == [2, 3])
            let error = runtimeError { try runtime.load(SyntheticModel(name: "Wide", stageCount: 3), at: 0) }
            #expect(error == .groupTooSmall(model: "Wide", needed: 3, group: 0, groupSizes: [2, 4]))
            #expect(error?.status == .loadNotEnoughCores)
            #expect(error?.description.contains("NeuronCore Group 0 has 2") == true)
            #expect(error?.description.contains("groups that fit: 1") == true)
            let missing = runtimeError { try runtime.load(SyntheticModel(name: "Lost", stageCount: 1), at: 2) }
            #expect(missing?.description.contains("NeuronCore Group 2, which does not exist") == true)
        }
    }

    @Test func countTimesSizeGroups() throws {
        try withRuntime(cores: 4, environment: ["NEURONCORE_GROUP_SIZES": "4x1"]) { runtime in
            #expect(runtime.placementMode == .neuronCoreGroups([0..<1, 1..<2, 2..<3, 3..<4]))
            let last = try runtime.load(SyntheticModel(name: "One", stageCount: 1), at: 3)
            #expect(last.cores == [3])
            #expect(try isSyntheticAnswer(last.infer(taggedInput(7)), tag: 7, stageCount: 1))
            let error = runtimeError { try runtime.load(SyntheticModel(name: "Two", stageCount: 2), at: 0) }
            #expect(error == .groupTooSmall(model: "Two", needed: 2, group: 0, groupSizes: [1, 1, 1, 1]))
        }
    }

    @Test func contextIndexesCountWithinVisibleCores() throws {
        try withRuntime(cores: 16, environment: ["NEURON_RT_VISIBLE_CORES": "4-7"]) { runtime in
            #expect(runtime.coreCount == 4)
            #expect(runtime.deviceCores == [4, 5, 6, 7])
            let loaded = try runtime.load(SyntheticModel(name: "M", stageCount: 2), at: 1)
            #expect(loaded.cores == [1, 2])
            #expect(loaded.deviceCores == [5, 6])
            let error = runtimeError { try runtime.load(SyntheticModel(name: "M", stageCount: 2), at: 3) }
            #expect(error?.description.contains("valid start indexes: 0, 1, 2") == true)
        }
    }
}
