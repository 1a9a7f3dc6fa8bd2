import FlexRuntime
import FlexRuntimeTesting
import FlexTensor
import Foundation
import Testing

/// Each runtime publishes its live state beside the core locks (`StatePublisher`), and
/// `RuntimeStateReader` collects it: identity, counters, memory and latency per model, private
/// permissions, leftovers of dead processes removed, and the switch that turns it off.
@Suite struct StatePublishingTests {
    static func start(_ directory: String, _ extra: [String: String] = [:]) throws -> NeuronRuntime {
        try NeuronRuntime(RuntimeConfiguration(
            deviceCoreCount: 4, environment: extra.merging(["FLEXEG_RUNTIME_DIR": directory]) { $1 }, pinThreads: false))
    }

    static func mode(_ path: String) -> Int? {
        (try? FileManager.default.attributesOfItem(atPath: path))?[.posixPermissions] as? Int
    }

    @Test func runtimeStateIsReadableByOtherReadersUntilShutdown() throws {
        let directory = makeRuntimeDirectory()
        defer { try? FileManager.default.removeItem(atPath: directory) }
        let runtime = try Self.start(directory, ["NEURON_RT_VISIBLE_CORES": "1-3", "NEURON_PROCESS_TAG": "tagged-runtime"])
        let loaded = try runtime.load(SyntheticModel(name: "Published", stageCount: 2, work: .sleep(.milliseconds(1))), at: 1)
        for tag in 0..<12 { _ = try loaded.infer(taggedInput(Float(tag))) }

        let scan = RuntimeStateReader.read(runtimeDirectory: directory)
        #expect(scan.problems.isEmpty, "\(scan.problems)")
        try #require(scan.states.count == 1)
        let state = scan.states[0]
        #expect(state.pid == getpid())
        #expect(state.tag == "tagged-runtime")
        #expect(!state.command.isEmpty)
        #expect(state.snapshot.cores.map(\.deviceCore) == [1, 2, 3])
        #expect(state.cores.map(\.deviceCore) == [1, 2, 3])
        #expect(state.cores[1].busySeconds > 0 && state.cores[1].busySeconds <= state.cores[1].uptimeSeconds)
        #expect(state.cores[0].busySeconds == 0)
        #expect(state.snapshot.models.map(\.inferences) == [12])
        #expect(state.models.map(\.name) == ["Published"])
        #expect(state.models[0].memory.map(\.deviceCore) == [2, 3])
        #expect(state.models[0].memoryBytes == state.snapshot.cores.reduce(0) { $0 + $1.memoryUsedBytes })
        let latency = try #require(state.models[0].latencySeconds)
        #expect(latency.p0 >= 0.002, "two stages of at least 1 ms each")
        #expect(latency.p0 <= latency.p1 && latency.p1 <= latency.p25 && latency.p25 <= latency.p50)
        #expect(latency.p50 <= latency.p75 && latency.p75 <= latency.p99 && latency.p99 <= latency.p100)
        #expect(state.latencySeconds == latency, "one model: the runtime's percentiles are the model's")
        #expect(state.cpuUserSeconds + state.cpuSystemSeconds > 0)
        #expect(scan.lockHolders == [1: getpid(), 2: getpid(), 3: getpid()])

        // Private: the folder is the user's alone and the socket is not open to others.
        let folder = RuntimeStateReader.stateDirectory(directory)
        #expect(Self.mode(folder) == 0o700)
        let sockets = try FileManager.default.contentsOfDirectory(atPath: folder)
        try #require(sockets.count == 1)
        #expect(sockets[0].hasPrefix("flexeg-\(getpid())-"))
        #expect(Self.mode(folder + "/" + sockets[0]) == 0o600)

        // Counters move between readings.
        for tag in 0..<3 { _ = try loaded.infer(taggedInput(Float(tag))) }
        #expect(RuntimeStateReader.read(runtimeDirectory: directory).states.first?.snapshot.models.first?.inferences == 15)

        try runtime.shutdown()
        let after = RuntimeStateReader.read(runtimeDirectory: directory)
        #expect(after.states.isEmpty)
        #expect(after.lockHolders.isEmpty)
        #expect(try FileManager.default.contentsOfDirectory(atPath: folder).isEmpty, "shutdown removes the socket")
    }

    @Test func twoRuntimesInOneProcessPublishSeparately() throws {
        let directory = makeRuntimeDirectory()
        defer { try? FileManager.default.removeItem(atPath: directory) }
        let first = try Self.start(directory, ["NEURON_RT_VISIBLE_CORES": "0"])
        let second = try Self.start(directory, ["NEURON_RT_VISIBLE_CORES": "2-3", "NEURON_PROCESS_TAG": "second"])
        let states = RuntimeStateReader.read(runtimeDirectory: directory).states
        #expect(states.map(\.snapshot.cores).map { $0.map(\.deviceCore) }.sorted { $0.first ?? 0 < $1.first ?? 0 } == [[0], [2, 3]])
        #expect(Set(states.map(\.tag)) == ["\(getpid())", "second"], "the tag defaults to the pid")
        try first.shutdown()
        #expect(RuntimeStateReader.read(runtimeDirectory: directory).states.map(\.tag) == ["second"])
        try second.shutdown()
    }

    @Test func leftoversOfDeadProcessesAndDeadSocketsAreRemoved() throws {
        let directory = makeRuntimeDirectory()
        defer { try? FileManager.default.removeItem(atPath: directory) }
        let folder = RuntimeStateReader.stateDirectory(directory)
        try FileManager.default.createDirectory(atPath: folder, withIntermediateDirectories: true)
        // A process that has exited: its pid is free (until reused).
        let child = Process()
        child.executableURL = URL(fileURLWithPath: "/bin/true")
        try child.run()
        child.waitUntilExit()
        let deadPath = folder + "/flexeg-\(child.processIdentifier)-1.sock"
        #expect(FileManager.default.createFile(atPath: deadPath, contents: nil))
        // A live pid (this one) whose socket nobody listens on any more (a runtime that never cleaned up).
        let stalePath = folder + "/flexeg-\(getpid())-999999.sock"
        #expect(FileManager.default.createFile(atPath: stalePath, contents: nil))
        let unrelated = folder + "/notes.txt"
        #expect(FileManager.default.createFile(atPath: unrelated, contents: Data("keep".utf8)))

        let scan = RuntimeStateReader.read(runtimeDirectory: directory)
        #expect(scan.states.isEmpty)
        #expect(Set(scan.removed) == [deadPath, stalePath])
        #expect(!FileManager.default.fileExists(atPath: deadPath))
        #expect(!FileManager.default.fileExists(atPath: stalePath))
        #expect(FileManager.default.fileExists(atPath: unrelated))

        // A socket still staged (bound, not yet listening) is not the reader's to judge: it stays.
        let staged = folder + "/flexeg-\(getpid())-999998.sock.binding"
        #expect(FileManager.default.createFile(atPath: staged, contents: nil))
        #expect(RuntimeStateReader.read(runtimeDirectory: directory).removed.isEmpty)
        #expect(FileManager.default.fileExists(atPath: staged))
        try FileManager.default.removeItem(atPath: staged)

        // A runtime starting removes dead processes' leftovers too, staged ones included; its own
        // socket is published under the final name only, with no staging name left behind.
        #expect(FileManager.default.createFile(atPath: deadPath, contents: nil))
        let deadStaged = deadPath + ".binding"
        #expect(FileManager.default.createFile(atPath: deadStaged, contents: nil))
        let runtime = try Self.start(directory, ["NEURON_RT_VISIBLE_CORES": "0"])
        #expect(!FileManager.default.fileExists(atPath: deadPath))
        #expect(!FileManager.default.fileExists(atPath: deadStaged))
        let names = (try? FileManager.default.contentsOfDirectory(atPath: folder)) ?? []
        #expect(names.filter { $0.hasPrefix("flexeg-\(getpid())-") && $0.hasSuffix(".sock") }.count == 1, "\(names)")
        #expect(!names.contains { $0.hasSuffix(".binding") }, "\(names)")
        try runtime.shutdown()
    }

    /// `/proc/locks` is read whole: on a busy machine it runs past the 4 KB that one read returns.
    @Test func lockHoldersAreFoundAmongManyOtherLocks() throws {
        let directory = makeRuntimeDirectory(), others = makeRuntimeDirectory()
        defer {
            try? FileManager.default.removeItem(atPath: directory)
            try? FileManager.default.removeItem(atPath: others)
        }
        var descriptors: [Int32] = []
        defer { descriptors.forEach { close($0) } }
        func lockOthers(_ range: Range<Int>) {
            for index in range {
                let descriptor = open(others + "/other\(index).lock", O_CREAT | O_RDWR | O_CLOEXEC, 0o600)
                guard descriptor >= 0, flock(descriptor, LOCK_EX | LOCK_NB) == 0 else { continue }
                descriptors.append(descriptor)
            }
        }
        // Before and after the runtime's own lock, so it lies past the first page whichever order
        // the kernel lists them in.
        lockOthers(0..<150)
        let runtime = try Self.start(directory, ["NEURON_RT_VISIBLE_CORES": "3"])
        lockOthers(150..<300)
        #expect((ProcFile.text("/proc/locks")?.utf8.count ?? 0) > 3 * 4096)
        #expect(RuntimeStateReader.read(runtimeDirectory: directory).lockHolders == [3: getpid()])
        try runtime.shutdown()
    }

    @Test func publishingCanBeTurnedOffAndTheLocksStillNameTheHolder() throws {
        let directory = makeRuntimeDirectory()
        defer { try? FileManager.default.removeItem(atPath: directory) }
        let runtime = try Self.start(directory, ["NEURON_RT_VISIBLE_CORES": "2", "FLEXEG_PUBLISH_STATE": "0"])
        let scan = RuntimeStateReader.read(runtimeDirectory: directory)
        #expect(scan.states.isEmpty)
        #expect(scan.lockHolders == [2: getpid()])
        #expect(runtime.warnings.allSatisfy { $0.kind != .statePublishingUnavailable })
        try runtime.shutdown()
        #expect(RuntimeStateReader.read(runtimeDirectory: directory).lockHolders.isEmpty, "a freed lock file names no holder")
    }

    @Test func aStateFolderOpenToOthersIsMadePrivate() throws {
        let directory = makeRuntimeDirectory()
        defer { try? FileManager.default.removeItem(atPath: directory) }
        let folder = RuntimeStateReader.stateDirectory(directory)
        try FileManager.default.createDirectory(atPath: folder, withIntermediateDirectories: true, attributes: [.posixPermissions: 0o777])
        let runtime = try Self.start(directory, ["NEURON_RT_VISIBLE_CORES": "0"])
        #expect(Self.mode(folder) == 0o700)
        #expect(RuntimeStateReader.read(runtimeDirectory: directory).states.count == 1)
        try runtime.shutdown()
    }

    @Test func aRuntimeThatCannotPublishWarnsAndServes() throws {
        // A socket path longer than Unix sockets allow: the runtime starts, warns and works.
        let directory = makeRuntimeDirectory() + "/" + String(repeating: "d", count: 90)
        defer { try? FileManager.default.removeItem(atPath: directory) }
        let runtime = try Self.start(directory, ["NEURON_RT_VISIBLE_CORES": "0"])
        let warning = try #require(runtime.warnings.first { $0.kind == .statePublishingUnavailable })
        #expect(warning.message.contains("FLEXEG_RUNTIME_DIR"), "\(warning.message)")
        let loaded = try runtime.load(SyntheticModel(name: "Works", stageCount: 1), at: 0)
        #expect(try loaded.infer(taggedInput(1)).count == 1)
        try runtime.shutdown()
    }
}
