import FlexRuntime
import Foundation
import Testing

/// How the Neuron Runtime's environment variables choose the process's cores, and their errors.
@Suite struct EnvironmentTests {
    static func cores(_ environment: [String: String], device: Int = 16) throws -> [Int] {
        try withRuntime(cores: device, environment: environment, pinThreads: false) { $0.deviceCores }
    }

    static func startError(_ environment: [String: String], device: Int = 16) -> RuntimeError? {
        do {
            _ = try withRuntime(cores: device, environment: environment, pinThreads: false) { _ in () }
            return nil
        } catch let error as RuntimeError {
            return error
        } catch {
            Issue.record("unexpected error \(error)")
            return nil
        }
    }

    @Test(arguments: [
        ("3", [3]), ("2-5", [2, 3, 4, 5]), ("1,3", [1, 3]), ("0-1,4,6-7", [0, 1, 4, 6, 7]), (" 7 , 2-3 ", [2, 3, 7]),
    ])
    func visibleCores(value: String, expected: [Int]) throws {
        #expect(try Self.cores(["NEURON_RT_VISIBLE_CORES": value]) == expected)
    }

    @Test func numCoresTakesThatManyAndZeroMeansAll() throws {
        #expect(try Self.cores(["NEURON_RT_NUM_CORES": "3"]) == [0, 1, 2])
        #expect(try Self.cores(["NEURON_RT_NUM_CORES": "0"], device: 4) == [0, 1, 2, 3])
        #expect(try Self.cores([:], device: 4) == [0, 1, 2, 3])
        #expect(try Self.cores(["NEURON_RT_VISIBLE_CORES": ""], device: 2) == [0, 1])
    }

    @Test func visibleCoresTakePrecedenceOverNumCores() throws {
        #expect(try Self.cores(["NEURON_RT_VISIBLE_CORES": "5-6", "NEURON_RT_NUM_CORES": "4"]) == [5, 6])
    }

    @Test func groupsWithoutCoreVariablesReserveWhatTheyNeed() throws {
        #expect(try Self.cores(["NEURONCORE_GROUP_SIZES": "1,2"]) == [0, 1, 2])
        #expect(try Self.cores(["NEURONCORE_GROUP_SIZES": "2x1", "NEURON_RT_VISIBLE_CORES": "4-7"]) == [4, 5, 6, 7])
    }

    @Test(arguments: [
        ("NEURON_RT_VISIBLE_CORES", "a"), ("NEURON_RT_VISIBLE_CORES", "3-1"), ("NEURON_RT_VISIBLE_CORES", "1,,2"),
        ("NEURON_RT_VISIBLE_CORES", "1,1"), ("NEURON_RT_VISIBLE_CORES", "-1"), ("NEURON_RT_VISIBLE_CORES", "2-"),
        ("NEURON_RT_VISIBLE_CORES", "16"), ("NEURON_RT_VISIBLE_CORES", "14-17"),
        ("NEURON_RT_NUM_CORES", "x"), ("NEURON_RT_NUM_CORES", "-1"), ("NEURON_RT_NUM_CORES", "17"),
        ("NEURONCORE_GROUP_SIZES", "2,,3"), ("NEURONCORE_GROUP_SIZES", "0"), ("NEURONCORE_GROUP_SIZES", "4x0"),
        ("NEURONCORE_GROUP_SIZES", "x4"), ("NEURONCORE_GROUP_SIZES", "2x2x2"), ("NEURONCORE_GROUP_SIZES", "8,9"),
        ("NEURON_RT_EXEC_TIMEOUT", "soon"),
    ])
    func malformedValuesFailAtStartNamingVariableAndValue(variable: String, value: String) throws {
        let error = Self.startError([variable: value])
        guard case .invalidEnvironment(let named, let shown, let expected)? = error else {
            Issue.record("expected an invalidEnvironment error, got \(String(describing: error))")
            return
        }
        #expect(named == variable)
        #expect(shown == value)
        #expect(!expected.isEmpty)
        #expect(error?.status == .invalid)
        #expect(error?.description.contains("\(variable)=\"\(value)\"") == true)
    }

    @Test func coresBeyondTheDeviceNameTheValidRange() {
        let error = Self.startError(["NEURON_RT_VISIBLE_CORES": "2-4"], device: 4)
        #expect(error?.description.contains("cores between 0 and 3") == true)
        #expect(error?.description.contains("core 4 does not exist") == true)
    }

    @Test func groupsMustFitTheProcessCores() {
        let error = Self.startError(["NEURONCORE_GROUP_SIZES": "2,4", "NEURON_RT_VISIBLE_CORES": "0-3"])
        #expect(error?.description.contains("at most 4") == true)
        #expect(error?.description.contains("add up to 6") == true)
        let tooBig = Self.startError(["NEURONCORE_GROUP_SIZES": "2,4,3,4"], device: 8)
        #expect(tooBig?.description.contains("at most 8") == true)
    }

    @Test func instanceTypes() throws {
        let expected = [
            "inf1.xlarge": 4, "inf1.2xlarge": 4, "inf1.6xlarge": 16, "inf1.24xlarge": 64, "inf2.xlarge": 2,
            "inf2.8xlarge": 2, "inf2.24xlarge": 12, "inf2.48xlarge": 24, "trn1.2xlarge": 2, "trn1.32xlarge": 32,
        ]
        for (name, cores) in expected {
            #expect(try InstanceType(named: name).coreCount == cores)
        }
        #expect(try InstanceType(named: "INF1.6xlarge").memoryPerCore == 2 << 30)
        #expect(try InstanceType(named: "trn1.32xlarge").memoryPerCore == 16 << 30)
        let error = runtimeError { try InstanceType(named: "inf3.huge") }
        #expect(error == .unknownInstanceType("inf3.huge", valid: InstanceType.known.map(\.name)))
        #expect(error?.description.contains("inf1.xlarge, inf1.2xlarge, inf1.6xlarge") == true)
    }

    @Test func deviceDefaultsToTheHostCPUs() throws {
        let directory = makeRuntimeDirectory()
        defer { try? FileManager.default.removeItem(atPath: directory) }
        let runtime = try NeuronRuntime(RuntimeConfiguration(environment: ["FLEXEG_RUNTIME_DIR": directory]))
        defer { try? runtime.shutdown() }
        #expect(runtime.deviceCoreCount == HostCPUs.available().count)
        #expect(runtime.memoryPerCore == RuntimeConfiguration.defaultMemoryPerCore)
        #expect(!runtime.warnings.contains { $0.kind == .oversubscribedCores })
    }

    @Test func moreCoresThanCPUsWarnsAndPinsRoundRobin() throws {
        let cpus = HostCPUs.available()
        let warnings = Shared<[RuntimeWarning]>([])
        let directory = makeRuntimeDirectory()
        defer { try? FileManager.default.removeItem(atPath: directory) }
        let runtime = try NeuronRuntime(RuntimeConfiguration(
            deviceCoreCount: cpus.count * 2, environment: ["FLEXEG_RUNTIME_DIR": directory],
            onWarning: { warning in warnings.withLock { $0.append(warning) } }))
        defer { try? runtime.shutdown() }
        #expect(warnings.current == runtime.warnings)
        #expect(runtime.warnings.contains { $0.kind == .oversubscribedCores && $0.message.contains("oversubscribed") })
        #if os(Linux)
        let pinned = runtime.snapshot().cores.map(\.cpu)
        #expect(pinned == (0..<(cpus.count * 2)).map { cpus[$0 % cpus.count] })
        #endif
    }
}
