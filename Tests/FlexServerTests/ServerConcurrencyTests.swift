@testable import FlexServer
import FlexRuntime
import FlexTestSupport
import Foundation
import Logging
import Testing

/// The server's request, repository and metrics paths racing each other in one process, below the
/// transports (`ServerState` is what REST and gRPC both call). CI runs this suite under
/// ThreadSanitizer too: the end-to-end soak drives the same paths in a server binary that is not
/// built with it.
@Suite(.serialized)
struct ServerConcurrencyTests {
    /// A demo model's MXNet input as a REST JSON body, and MXNet's output for it.
    private struct Traffic {
        let body: SharedBytes
        let expected: [Float]

        init(_ name: String) throws {
            let (input, expected) = try DemoRepository.mxnetPair(name)
            body = SharedBytes(Array(RESTJSON.inferBody(input).utf8))
            self.expected = expected
        }

        /// The first output's `data` of a REST JSON response.
        static func output(of response: [UInt8]) -> [Float] {
            RESTJSON.floats(RESTJSON.firstOutput(try? JSONSerialization.jsonObject(with: Data(response)))?["data"])
        }
    }

    @Test func requestsLoadsReloadsUnloadsAndScrapesRaceWithoutHarm() async throws {
        let repository = try DemoRepository()
        try repository.batchModelD()
        let runtimeDirectory = try TemporaryDirectory(prefix: "flexeg-concurrency-runtime")
        let host = try ModelHost(DeviceOptions(instance: "inf1.6xlarge", environment: ["FLEXEG_RUNTIME_DIR": runtimeDirectory.path]))
        defer { host.shutdown() }
        var logger = Logger(label: "flexeg.serve.test")
        logger.logLevel = .error
        let manager = ModelManager(repository: try ModelRepository(path: repository.path), host: host, mode: .explicit, logger: logger)
        let state = ServerState(manager: manager, logger: logger)
        let exposition = MetricsExposition(manager: manager)

        for name in ["A", "B", "C"] { try await state.load(name, body: []) }
        let baseline = host.snapshot()
        let steady = try ["A", "B", "C"].map { ($0, try Traffic($0)) }
        let churned = try Traffic("D")

        let churnRounds = 4
        let demoD = RepositoryPaths.root() + "/Sources/flexeg/DemoModels/model_d/model_d"
        let uploadOfD: [(key: String, value: ServerState.LoadParameter)] = [
            ("config", .text(#"{"max_batch_size": 4, "input": [{"name": "data", "data_type": "TYPE_FP32", "dims": [3, 32, 32]}], "#
                + #""dynamic_batching": {"max_queue_delay_microseconds": 500}, "#
                + #""parameters": {"NEURON_CORES": {"string_value": "4"}, "NEURON_CORE_START_INDEX": {"string_value": "12"}}}"#)),
            ("file:1/model-symbol.json", .bytes(Array(try Data(contentsOf: URL(fileURLWithPath: demoD + "-symbol.json"))))),
            ("file:1/model-0000.params", .bytes(Array(try Data(contentsOf: URL(fileURLWithPath: demoD + "-0000.params"))))),
        ]
        let churnDone = Locked(false)
        let servedByD = AnswerCounter()
        // Three models serve while D is loaded at 9, moved to 12 by a reload, and unloaded, in a loop
        // that waits for D to answer at each placement; two clients keep calling D, and a scraper reads
        // the index, statistics and metrics throughout. Everyone stops when the loop has finished.
        let results = try await withThrowingTaskGroup(of: Outcome.self) { group in
            for (name, traffic) in steady {
                group.addTask {
                    var failures: [String] = [], count = 0
                    while !churnDone.withLock({ $0 }) {
                        count += 1
                        do {
                            let response = try await state.infer(name, version: nil, body: traffic.body, headerLength: nil)
                            let error = relativeL2Error(Traffic.output(of: response.body), traffic.expected)
                            if !(error <= 1e-4) { failures.append("\(name): relative error \(error)") }
                        } catch {
                            failures.append("\(name): \(error)")
                        }
                    }
                    return .steady(name, count, failures)
                }
            }
            group.addTask {
                defer { churnDone.withLock { $0 = true } }
                for round in 0..<churnRounds {
                    try await state.load("D", body: [])
                    try await servedByD.awaitNextAnswer(from: "D")
                    // The move to 12: a config override, or (odd rounds) D's files uploaded with its config.
                    if round.isMultiple(of: 2) {
                        try await state.load("D", body: SharedBytes(Array(RESTJSON.loadBody(startIndex: 12).utf8)))
                    } else {
                        try await state.load("D", parameters: uploadOfD)
                    }
                    try await servedByD.awaitNextAnswer(from: "D")
                    try await state.unload("D", body: [])
                }
                return .churnDone
            }
            for _ in 0..<2 { group.addTask {
                var outcomes: [String: Int] = [:]
                while !churnDone.withLock({ $0 }) {
                    do {
                        let response = try await state.infer("D", version: nil, body: churned.body, headerLength: nil)
                        let error = relativeL2Error(Traffic.output(of: response.body), churned.expected)
                        outcomes[error <= 1e-4 ? "ok" : "wrong output (relative error \(error))", default: 0] += 1
                        servedByD.record()
                    } catch let error as ServerError {
                        outcomes[error.code == .unavailable ? "unavailable" : "\(error.code): \(error.message)", default: 0] += 1
                        try? await Task.sleep(for: .microseconds(100))
                    } catch {
                        outcomes["\(error)", default: 0] += 1
                    }
                }
                return .churned(outcomes)
            } }
            group.addTask {
                var scrapes = 0
                while !churnDone.withLock({ $0 }) {
                    _ = state.repositoryIndex(readyOnly: false)
                    _ = state.statistics(of: nil, version: nil)
                    _ = exposition.render()
                    _ = state.isReady
                    scrapes += 1
                    try await Task.sleep(for: .milliseconds(2))
                }
                return .scraped(scrapes)
            }
            var results = Results()
            for try await outcome in group {
                switch outcome {
                case .steady(let name, let count, let failures): results.steadyCounts[name] = count; results.steadyFailures += failures
                case .churned(let counts): results.churnOutcomes.merge(counts, uniquingKeysWith: +)
                case .scraped(let count): results.scrapes = count
                case .churnDone: break
                }
            }
            return results
        }

        #expect(results.steadyFailures.isEmpty, "\(results.steadyFailures)")
        #expect(Set(results.churnOutcomes.keys).isSubset(of: ["ok", "unavailable"]), "\(results.churnOutcomes)")
        #expect(results.churnOutcomes["ok", default: 0] >= 2 * churnRounds)
        #expect(results.scrapes > 0)
        for (name, _) in steady {
            #expect(manager.statistics(of: name).current.success.count == UInt64(results.steadyCounts[name] ?? -1))
        }

        // D is gone; A, B and C hold exactly what they held before it came and went.
        #expect(!manager.isReady("D", version: nil))
        let after = host.snapshot()
        let placements: (HostSnapshot) -> [[Int]] = { snapshot in snapshot.instances.values.map(\.cores).sorted { $0.first ?? -1 < $1.first ?? -1 } }
        #expect(placements(after) == placements(baseline))
        #expect(after.cores.map(\.memoryUsedBytes) == baseline.cores.map(\.memoryUsedBytes))
        #expect(after.instances.values.allSatisfy { $0.inFlight == 0 })

        await manager.unloadAll()
        #expect(host.snapshot().cores.allSatisfy { $0.memoryUsedBytes == 0 })
        #expect(!FileManager.default.fileExists(atPath: manager.uploadsRoot), "uploads left in \(manager.uploadsRoot)")
    }

    private enum Outcome: Sendable {
        case steady(String, Int, [String])
        case churned([String: Int])
        case scraped(Int)
        case churnDone
    }

    private struct Results {
        var steadyCounts: [String: Int] = [:]
        var steadyFailures: [String] = []
        var churnOutcomes: [String: Int] = [:]
        var scrapes = 0
    }
}
