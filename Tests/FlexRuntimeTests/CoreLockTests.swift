import FlexRuntime
import Foundation
import Testing

/// One process (one runtime) per NeuronCore on the machine, through lock files.
@Suite struct CoreLockTests {
    static func start(_ environment: [String: String], device: Int = 4) throws(RuntimeError) -> NeuronRuntime {
        try NeuronRuntime(RuntimeConfiguration(deviceCoreCount: device, environment: environment, pinThreads: false))
    }

    @Test func secondRuntimeCannotTakeHeldCores() throws {
        let directory = makeRuntimeDirectory()
        defer { try? FileManager.default.removeItem(atPath: directory) }
        let first = try Self.start(["FLEXEG_RUNTIME_DIR": directory, "NEURON_RT_VISIBLE_CORES": "0-1"])
        let pid = getpid()
        let error = runtimeError { try Self.start(["FLEXEG_RUNTIME_DIR": directory, "NEURON_RT_VISIBLE_CORES": "1-2"]) }
        #expect(error == .coresUnavailable(requested: [1, 2], holders: [CoreHolder(core: 1, pid: pid)], lockDirectory: directory))
        #expect(error?.status == .resource)
        #expect(error?.description.contains("NeuronCore 1 held by process \(pid)") == true)
        #expect(try String(contentsOfFile: directory + "/nc0.lock", encoding: .utf8) == "\(pid)\n")

        let counted = try Self.start(["FLEXEG_RUNTIME_DIR": directory, "NEURON_RT_NUM_CORES": "2"])
        #expect(counted.deviceCores == [2, 3])
        let none = runtimeError { try Self.start(["FLEXEG_RUNTIME_DIR": directory, "NEURON_RT_NUM_CORES": "1"]) }
        #expect(none?.description.contains("only 0 of 4 are free") == true)
        #expect(none?.description.contains("NeuronCores 0-3 held by process \(pid)") == true)

        try first.shutdown()
        let second = try Self.start(["FLEXEG_RUNTIME_DIR": directory, "NEURON_RT_VISIBLE_CORES": "1"])
        #expect(second.deviceCores == [1])
        try second.shutdown()
        try counted.shutdown()
    }

    /// The test helper executable `FlexRuntimeCoreHolder`, built next to this test binary.
    static func holderExecutable() throws -> URL {
        var directories: [URL] = []
        #if os(Linux)
        if let executable = try? FileManager.default.destinationOfSymbolicLink(atPath: "/proc/self/exe") {
            directories.append(URL(fileURLWithPath: executable).deletingLastPathComponent())
        }
        #endif
        for bundle in Bundle.allBundles where bundle.bundlePath.hasSuffix(".xctest") {
            directories.append(bundle.bundleURL.deletingLastPathComponent())
        }
        directories.append(URL(fileURLWithPath: CommandLine.arguments[0]).deletingLastPathComponent())
        for directory in directories {
            let candidate = directory.appendingPathComponent("FlexRuntimeCoreHolder")
            if FileManager.default.isExecutableFile(atPath: candidate.path) { return candidate }
        }
        throw HolderError(message: "FlexRuntimeCoreHolder not found next to the test binary (looked in \(directories.map(\.path)))")
    }

    struct HolderError: Error, CustomStringConvertible {
        var message: String
        var description: String { message }
    }

    /// A child process holding NeuronCores until killed or its stdin closes.
    final class Holder {
        let process = Process()
        let input = Pipe()
        let output = Pipe()

        init(device: Int, environment: [String: String]) throws {
            process.executableURL = try CoreLockTests.holderExecutable()
            process.arguments = ["\(device)"]
            var inherited = ProcessInfo.processInfo.environment.filter { !$0.key.hasPrefix("NEURON") && $0.key != "FLEXEG_RUNTIME_DIR" }
            inherited.merge(environment) { $1 }
            process.environment = inherited
            process.standardInput = input
            process.standardOutput = output
            try process.run()
        }

        /// The first line the holder prints.
        func firstLine() -> String {
            var data = Data()
            while !data.contains(UInt8(ascii: "\n")) {
                let chunk = output.fileHandleForReading.availableData
                if chunk.isEmpty { break }
                data.append(chunk)
            }
            return String(decoding: data, as: UTF8.self).split(separator: "\n").first.map(String.init) ?? ""
        }
    }

    @Test func anotherProcessHoldingCoresIsNamedAndAKilledProcessFreesThem() throws {
        let directory = makeRuntimeDirectory()
        defer { try? FileManager.default.removeItem(atPath: directory) }
        let holder = try Holder(device: 4, environment: ["FLEXEG_RUNTIME_DIR": directory, "NEURON_RT_VISIBLE_CORES": "1-2"])
        let childPID = holder.process.processIdentifier
        #expect(holder.firstLine() == "holding 1,2 pid \(childPID)")

        let error = runtimeError { try Self.start(["FLEXEG_RUNTIME_DIR": directory, "NEURON_RT_VISIBLE_CORES": "2-3"]) }
        #expect(error == .coresUnavailable(requested: [2, 3], holders: [CoreHolder(core: 2, pid: childPID)], lockDirectory: directory))
        #expect(error?.description.contains("NeuronCore 2 held by process \(childPID)") == true)
        let free = try Self.start(["FLEXEG_RUNTIME_DIR": directory, "NEURON_RT_VISIBLE_CORES": "3"])
        try free.shutdown()

        kill(childPID, SIGKILL)
        holder.process.waitUntilExit()
        #expect(holder.process.terminationReason == .uncaughtSignal)
        let after = try Self.start(["FLEXEG_RUNTIME_DIR": directory, "NEURON_RT_VISIBLE_CORES": "0-3"])
        #expect(after.deviceCores == [0, 1, 2, 3])
        try after.shutdown()
    }

    @Test func childFailsWhileThisProcessHoldsItsCores() throws {
        let directory = makeRuntimeDirectory()
        defer { try? FileManager.default.removeItem(atPath: directory) }
        let mine = try Self.start(["FLEXEG_RUNTIME_DIR": directory, "NEURON_RT_VISIBLE_CORES": "0"])
        let holder = try Holder(device: 4, environment: ["FLEXEG_RUNTIME_DIR": directory, "NEURON_RT_VISIBLE_CORES": "0-1"])
        let line = holder.firstLine()
        holder.process.waitUntilExit()
        #expect(line.hasPrefix("error: NRT_RESOURCE: cannot reserve NeuronCores 0-1"))
        #expect(line.contains("NeuronCore 0 held by process \(getpid())"))
        #expect(holder.process.terminationStatus == 1)
        try mine.shutdown()

        // A holder that exits normally frees its cores too.
        let polite = try Holder(device: 4, environment: ["FLEXEG_RUNTIME_DIR": directory, "NEURON_RT_VISIBLE_CORES": "0-1"])
        #expect(polite.firstLine().hasPrefix("holding 0,1"))
        try polite.input.fileHandleForWriting.close()
        polite.process.waitUntilExit()
        #expect(polite.process.terminationStatus == 0)
        try Self.start(["FLEXEG_RUNTIME_DIR": directory]).shutdown()
    }
}
