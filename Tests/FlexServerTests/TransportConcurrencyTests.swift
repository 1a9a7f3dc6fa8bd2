@testable import FlexServer
import FlexRuntime
import FlexTestSupport
import Foundation
import GRPCCore
import NIOHTTP1
import SwiftProtobuf
import Testing

/// The server's transports under concurrent traffic and churn, in this process, so that CI's
/// ThreadSanitizer pass covers Hummingbird's HTTP/1.1 listener, the gRPC HTTP/2 transport and the
/// metrics listener as well as `ServerState` below them (`ServerConcurrencyTests`).
///
/// Keep-alive REST clients (JSON and binary tensors) and two gRPC streams multiplexed on one
/// connection infer on A, B and C, and a same-host client passes A's tensors through system shared
/// memory regions it registers and unregisters. Meanwhile D (dynamically batched) is loaded, moved
/// by a reload and unloaded through both protocols' repository APIs while a REST and a gRPC client
/// call it. Scrapers read the metrics, the index and the statistics on fresh connections, and a
/// disrupter sends malformed requests and drops half-sent ones. Afterwards the server stops
/// gracefully, and a second server on the same runtime directory loads every model, so every core
/// was released.
@Suite(.serialized)
struct TransportConcurrencyTests {
    private typealias RPC = Inference_GRPCInferenceService.Method
    private static let tolerance = 1e-4

    @Test func bothProtocolsRaceChurnScrapesAndDisconnectsThroughTheTransports() async throws {
        let repository = try DemoRepository()
        try repository.batchModelD()
        let runtime = try TemporaryDirectory(prefix: "flexeg-transport-runtime")
        let server = try await InProcessServer.start(repository: repository.path, runtimeDirectory: runtime.path, loadModels: ["A", "B", "C"])
        let http = server.httpPort, metrics = server.metricsPort, grpcPort = server.grpcPort
        let grpc = try await RawHTTP2Client.connect(port: server.grpcPort)
        defer { grpc.close() }

        let a = try DemoRepository.mxnetPair("A"), b = try DemoRepository.mxnetPair("B")
        let c = try DemoRepository.mxnetPair("C"), d = try DemoRepository.mxnetPair("D")
        let aBody = Array(RESTJSON.inferBody(a.input).utf8)
        let dBody = Array(RESTJSON.inferBody(d.input).utf8)
        let (bBody, bHeaders) = Self.binaryInferBody(b.input)
        let baselineMemory = try await Self.coreMemory(metricsPort: metrics)
        #expect(baselineMemory.count == 16)

        let churnRounds = 5
        let churnDone = Locked(false)
        let servedByD = AnswerCounter()
        @Sendable func checked(_ name: String, _ output: [Float], _ expected: [Float]) -> String? {
            let error = relativeL2Error(output, expected)
            return error <= Self.tolerance ? nil : "\(name): relative error \(error)"
        }

        let results = try await withThrowingTaskGroup(of: Outcome.self) { group in
            // A: REST JSON tensors on one keep-alive connection.
            group.addTask {
                try await HTTP1Connection.with(port: http) { connection in
                    var count = 0, failures: [String] = []
                    while !churnDone.withLock({ $0 }) {
                        let reply = try await connection.request(.POST, "v2/models/A/infer", body: aBody)
                        count += 1
                        if reply.status != 200 { failures.append("A: \(reply.status) \(reply.text)"); continue }
                        let output = RESTJSON.floats(RESTJSON.firstOutput(try? JSONSerialization.jsonObject(with: Data(reply.body)))?["data"])
                        if let failure = checked("A", output, a.expected) { failures.append(failure) }
                    }
                    return .steady("A", count, failures)
                }
            }
            // B: REST binary tensors in and out, on one keep-alive connection.
            group.addTask {
                try await HTTP1Connection.with(port: http) { connection in
                    var count = 0, failures: [String] = []
                    while !churnDone.withLock({ $0 }) {
                        let reply = try await connection.request(.POST, "v2/models/B/infer", body: bBody, headers: bHeaders)
                        count += 1
                        guard reply.status == 200, let jsonLength = reply.headers.first(name: "Inference-Header-Content-Length").flatMap(Int.init) else {
                            failures.append("B: \(reply.status) \(reply.text)")
                            continue
                        }
                        if let failure = checked("B", Self.floats(reply.body.dropFirst(jsonLength)), b.expected) { failures.append(failure) }
                    }
                    return .steady("B", count, failures)
                }
            }
            // C: gRPC ModelInfer, two clients' streams multiplexed on the one HTTP/2 connection.
            for _ in 0..<2 { group.addTask {
                var count = 0, failures: [String] = []
                while !churnDone.withLock({ $0 }) {
                    let reply = try await grpc.call(RPC.ModelInfer.descriptor, Self.grpcInferRequest("C", c.input), returning: Inference_ModelInferResponse.self)
                    count += 1
                    guard let response = reply.response, let raw = response.rawOutputContents.first else {
                        failures.append("C: gRPC status \(reply.status ?? "none"): \(reply.message ?? "")")
                        continue
                    }
                    if let failure = checked("C", Self.floats(raw), c.expected) { failures.append(failure) }
                }
                return .steady("C", count, failures)
            } }

            // A same-host client passing A's tensors through system shared memory: each round registers
            // a region, infers over REST and over gRPC (input and output in the region), and unregisters
            // it, alternating the protocol of the registration.
            group.addTask {
                let object = try SharedMemoryObject(size: 16_384)
                let inputBytes = a.input.count * 4, outputBytes = a.expected.count * 4, outputOffset = 12_800
                object.write(a.input.withUnsafeBytes { Array($0) }, at: 0)
                var count = 0, round = 0, failures: [String] = []
                while !churnDone.withLock({ $0 }) {
                    let region = "a-\(round)", restFirst = round.isMultiple(of: 2)
                    try await Self.registerSharedMemory(region, key: object.key, byteSize: object.size, rest: restFirst, http: http, grpc: grpc)
                    for overREST in [true, false] {
                        let reply: (status: String, text: String)
                        if overREST {
                            let body = #"{"inputs":[{"name":"data","shape":[1,3,32,32],"datatype":"FP32","parameters":{"shared_memory_region":"\#(region)","shared_memory_byte_size":\#(inputBytes)}}],"outputs":[{"name":"a_prob_output","parameters":{"shared_memory_region":"\#(region)","shared_memory_byte_size":\#(outputBytes),"shared_memory_offset":\#(outputOffset)}}]}"#
                            let response = try await HTTP1Connection.request(port: http, .POST, "v2/models/A/infer", body: Array(body.utf8))
                            reply = ("\(response.status)", response.text)
                        } else {
                            let response = try await grpc.call(RPC.ModelInfer.descriptor, Self.sharedMemoryInferRequest(region, inputBytes, outputBytes, outputOffset),
                                                               returning: Inference_ModelInferResponse.self)
                            // Triton's shape: the output listed, its raw contents an empty entry.
                            let contents = response.response.map { "outputs \($0.outputs.map(\.name)) raw \($0.rawOutputContents.map(\.count))" } ?? ""
                            reply = (response.status == "0" ? "200" : "gRPC \(response.status ?? "none")", "\(contents) \(response.message ?? "")")
                        }
                        count += 1
                        let described = overREST ? reply.text.contains(#""name":"a_prob_output""#) && !reply.text.contains("\"data\"") && !reply.text.contains("parameters")
                                                 : reply.text.hasPrefix(#"outputs ["a_prob_output"] raw [0]"#)
                        guard reply.status == "200", described else {
                            failures.append("A through shared memory: \(reply.status) \(reply.text)")
                            continue
                        }
                        let output = Self.floats(object.read(at: outputOffset, count: outputBytes))
                        if let failure = checked("A through shared memory", output, a.expected) { failures.append(failure) }
                        object.write([UInt8](repeating: 0, count: outputBytes), at: outputOffset)
                    }
                    try await Self.unregisterSharedMemory(region, rest: !restFirst, http: http, grpc: grpc)
                    round += 1
                }
                return .steady("A", count, failures)
            }

            // D's churn, alternating the protocol of each load, reload and unload between rounds.
            group.addTask {
                defer { churnDone.withLock { $0 = true } }
                for round in 0..<churnRounds {
                    let restFirst = round.isMultiple(of: 2)
                    try await Self.load("D", startIndex: nil, rest: restFirst, http: http, grpc: grpc)
                    try await servedByD.awaitNextAnswer(from: "D")
                    try await Self.load("D", startIndex: 12, rest: !restFirst, http: http, grpc: grpc)
                    try await servedByD.awaitNextAnswer(from: "D")
                    try await Self.unload("D", rest: restFirst, http: http, grpc: grpc)
                }
                return .churnDone
            }
            // D's clients: one over REST, one over gRPC; each answer is MXNet's output or "unavailable".
            group.addTask {
                try await HTTP1Connection.with(port: http) { connection in
                    var outcomes: [String: Int] = [:]
                    while !churnDone.withLock({ $0 }) {
                        let reply = try await connection.request(.POST, "v2/models/D/infer", body: dBody)
                        switch reply.status {
                        case 200:
                            let output = RESTJSON.floats(RESTJSON.firstOutput(try? JSONSerialization.jsonObject(with: Data(reply.body)))?["data"])
                            outcomes[checked("D", output, d.expected) ?? "ok", default: 0] += 1
                            servedByD.record()
                        case 503:
                            outcomes["unavailable", default: 0] += 1
                            try await Task.sleep(for: .microseconds(200))
                        default:
                            outcomes["REST \(reply.status): \(reply.text)", default: 0] += 1
                        }
                    }
                    return .churned(outcomes)
                }
            }
            group.addTask {
                var outcomes: [String: Int] = [:]
                while !churnDone.withLock({ $0 }) {
                    let reply = try await grpc.call(RPC.ModelInfer.descriptor, Self.grpcInferRequest("D", d.input), returning: Inference_ModelInferResponse.self)
                    if let raw = reply.response?.rawOutputContents.first {
                        outcomes[checked("D", Self.floats(raw), d.expected) ?? "ok", default: 0] += 1
                        servedByD.record()
                    } else if reply.status == "14" {
                        outcomes["unavailable", default: 0] += 1
                        try await Task.sleep(for: .microseconds(200))
                    } else {
                        outcomes["gRPC \(reply.status ?? "none"): \(reply.message ?? "")", default: 0] += 1
                    }
                }
                return .churned(outcomes)
            }

            // Scrapers, each read on a connection of its own.
            group.addTask {
                var scrapes = 0, failures: [String] = []
                while !churnDone.withLock({ $0 }) {
                    let text = try await HTTP1Connection.request(port: metrics, .GET, "metrics").text
                    if !text.contains("flexeg_neuroncore_executions_total{neuroncore=\"0\"}") { failures.append("metrics: \(text.prefix(200))") }
                    let index = try await HTTP1Connection.request(port: http, .POST, "v2/repository/index")
                    if index.status != 200 { failures.append("index: \(index.status) \(index.text)") }
                    let statistics = try await RawHTTP2Client.connect(port: grpcPort)
                    let stats = try await statistics.call(RPC.ModelStatistics.descriptor, Inference_ModelStatisticsRequest.with { $0.name = "A" },
                                                          returning: Inference_ModelStatisticsResponse.self)
                    statistics.close()
                    if stats.response?.modelStats.first?.name != "A" { failures.append("gRPC statistics: \(stats.status ?? "none") \(stats.message ?? "")") }
                    scrapes += 1
                    try await Task.sleep(for: .milliseconds(5))
                }
                return .scraped(scrapes, failures)
            }
            // The disrupter: a malformed request, then a good one on the same connection; a REST upload
            // dropped halfway; a gRPC call reset halfway through its message.
            group.addTask {
                var rounds = 0, failures: [String] = []
                while !churnDone.withLock({ $0 }) {
                    let (malformed, good) = try await HTTP1Connection.with(port: http) { connection in
                        (try await connection.request(.POST, "v2/models/A/infer", body: Array(#"{"inputs": [{"name": "data""#.utf8)),
                         try await connection.request(.POST, "v2/models/A/infer", body: aBody))
                    }
                    if malformed.status != 400 { failures.append("malformed JSON: \(malformed.status) \(malformed.text)") }
                    if good.status != 200 { failures.append("after malformed JSON: \(good.status) \(good.text)") }
                    try await HTTP1Connection.with(port: http) { connection in
                        try await connection.sendTruncated("v2/models/A/infer", announced: aBody.count, sent: aBody.count / 2)
                    }
                    let message = try GRPCMessageDeframer.frame(try Self.grpcInferRequest("C", c.input).serializedBytes() as [UInt8], allocator: .init())
                    try await grpc.openAndReset([.headers(.init(headers: RawHTTP2Client.requestHeaders(RPC.ModelInfer.descriptor))),
                                                 .data(.init(data: .byteBuffer(message.getSlice(at: 0, length: message.readableBytes / 2)!)))]) {}
                    rounds += 1
                    try await Task.sleep(for: .milliseconds(2))
                }
                return .disrupted(rounds, goodRequests: rounds, failures)
            }

            var results = Results()
            for try await outcome in group {
                switch outcome {
                case .steady(let name, let count, let failures): results.steadyCounts[name, default: 0] += count; results.failures += failures
                case .churned(let counts): results.churnOutcomes.merge(counts, uniquingKeysWith: +)
                case .scraped(let count, let failures): results.scrapes = count; results.failures += failures
                case .disrupted(let count, let goodRequests, let failures):
                    results.disruptions = count
                    results.steadyCounts["A", default: 0] += goodRequests
                    results.failures += failures
                case .churnDone: break
                }
            }
            return results
        }

        #expect(results.failures.isEmpty, "\(results.failures.prefix(10))")
        #expect(Set(results.churnOutcomes.keys).isSubset(of: ["ok", "unavailable"]), "\(results.churnOutcomes)")
        #expect(results.churnOutcomes["ok", default: 0] >= 2 * churnRounds)
        #expect(results.scrapes > 0 && results.disruptions > 0)
        // Every answered request was counted once by the model it reached, dropped ones never.
        for name in ["A", "B", "C"] {
            let reply = try await HTTP1Connection.request(port: http, .GET, "v2/models/\(name)/stats")
            let stats = (((try? JSONSerialization.jsonObject(with: Data(reply.body))) as? [String: Any])?["model_stats"] as? [[String: Any]])?.first
            let success = ((stats?["inference_stats"] as? [String: Any])?["success"] as? [String: Any])?["count"] as? Int
            #expect(success == results.steadyCounts[name], "model \(name): \(reply.text)")
        }
        let index = try await HTTP1Connection.request(port: http, .POST, "v2/repository/index")
        var states: [String: String] = [:]
        for entry in (try? JSONSerialization.jsonObject(with: Data(index.body))) as? [[String: Any]] ?? [] {
            if let name = entry["name"] as? String { states[name] = entry["state"] as? String }
        }
        #expect(states == ["A": "READY", "B": "READY", "C": "READY", "D": "UNAVAILABLE"], "\(index.text)")
        // D left nothing behind on any core.
        #expect(try await Self.coreMemory(metricsPort: metrics) == baselineMemory)

        try await server.stop()
        // A second server on the same runtime directory gets every core the first one held, and D's.
        let next = try await InProcessServer.start(repository: repository.path, runtimeDirectory: runtime.path, loadModels: ["*"])
        let dAgain = try await HTTP1Connection.request(port: next.httpPort, .POST, "v2/models/D/infer", body: dBody)
        #expect(dAgain.status == 200, "\(dAgain.text)")
        try await next.stop()
    }

    // MARK: - Requests

    /// A REST infer body with `input` as a binary tensor and the outputs asked for in binary, and its headers.
    private static func binaryInferBody(_ input: [Float]) -> ([UInt8], [(String, String)]) {
        let header = Array(#"{"inputs":[{"name":"data","shape":[1,3,32,32],"datatype":"FP32","parameters":{"binary_data_size":\#(input.count * 4)}}],"parameters":{"binary_data_output":true}}"#.utf8)
        var body = header
        input.withUnsafeBytes { body.append(contentsOf: $0) }
        return (body, [("Inference-Header-Content-Length", "\(header.count)"), ("Content-Type", "application/octet-stream")])
    }

    private static func grpcInferRequest(_ model: String, _ input: [Float]) -> Inference_ModelInferRequest {
        .with {
            $0.modelName = model
            $0.inputs = [.with { $0.name = "data"; $0.datatype = "FP32"; $0.shape = [1, 3, 32, 32] }]
            $0.rawInputContents = [input.withUnsafeBytes { Data($0) }]
        }
    }

    /// A gRPC infer request for A with its input at the start of `region` and its output at `outputOffset`.
    private static func sharedMemoryInferRequest(_ region: String, _ inputBytes: Int, _ outputBytes: Int, _ outputOffset: Int) -> Inference_ModelInferRequest {
        func parameters(_ byteSize: Int, offset: Int) -> [String: Inference_InferParameter] {
            ["shared_memory_region": .with { $0.stringParam = region }, "shared_memory_byte_size": .with { $0.int64Param = Int64(byteSize) },
             "shared_memory_offset": .with { $0.int64Param = Int64(offset) }]
        }
        return .with {
            $0.modelName = "A"
            $0.inputs = [.with { $0.name = "data"; $0.datatype = "FP32"; $0.shape = [1, 3, 32, 32]; $0.parameters = parameters(inputBytes, offset: 0) }]
            $0.outputs = [.with { $0.name = "a_prob_output"; $0.parameters = parameters(outputBytes, offset: outputOffset) }]
        }
    }

    /// Loads `name` (at `startIndex`, when given, through a config override) over REST or gRPC.
    private static func load(_ name: String, startIndex: Int?, rest: Bool, http: Int, grpc: RawHTTP2Client) async throws {
        let request = Inference_RepositoryModelLoadRequest.with {
            $0.modelName = name
            if let startIndex { $0.parameters["config"] = .with { $0.stringParam = RESTJSON.startIndexConfig(startIndex) } }
        }
        try await control("load of \(name)", rest: rest, http: http, path: "v2/repository/models/\(name)/load",
                          body: startIndex.map { RESTJSON.loadBody(startIndex: $0) } ?? "",
                          grpc: grpc, RPC.RepositoryModelLoad.descriptor, request, returning: Inference_RepositoryModelLoadResponse.self)
    }

    private static func unload(_ name: String, rest: Bool, http: Int, grpc: RawHTTP2Client) async throws {
        try await control("unload of \(name)", rest: rest, http: http, path: "v2/repository/models/\(name)/unload",
                          grpc: grpc, RPC.RepositoryModelUnload.descriptor, Inference_RepositoryModelUnloadRequest.with { $0.modelName = name },
                          returning: Inference_RepositoryModelUnloadResponse.self)
    }

    /// Registers all `byteSize` bytes of shared memory object `key` as `region`.
    private static func registerSharedMemory(_ region: String, key: String, byteSize: Int, rest: Bool, http: Int, grpc: RawHTTP2Client) async throws {
        try await control("register of \(region)", rest: rest, http: http, path: "v2/systemsharedmemory/region/\(region)/register",
                          body: #"{"key":"\#(key)","offset":0,"byte_size":\#(byteSize)}"#,
                          grpc: grpc, RPC.SystemSharedMemoryRegister.descriptor,
                          Inference_SystemSharedMemoryRegisterRequest.with { $0.name = region; $0.key = key; $0.byteSize = UInt64(byteSize) },
                          returning: Inference_SystemSharedMemoryRegisterResponse.self)
    }

    private static func unregisterSharedMemory(_ region: String, rest: Bool, http: Int, grpc: RawHTTP2Client) async throws {
        try await control("unregister of \(region)", rest: rest, http: http, path: "v2/systemsharedmemory/region/\(region)/unregister",
                          grpc: grpc, RPC.SystemSharedMemoryUnregister.descriptor, Inference_SystemSharedMemoryUnregisterRequest.with { $0.name = region },
                          returning: Inference_SystemSharedMemoryUnregisterResponse.self)
    }

    /// One control call: a REST POST of `body` to `path`, or the gRPC `method` with `request`. Throws,
    /// naming `what`, unless it succeeds.
    private static func control<Request: SwiftProtobuf.Message, Response: SwiftProtobuf.Message>(
        _ what: String, rest: Bool, http: Int, path: String, body: String = "",
        grpc: RawHTTP2Client, _ method: MethodDescriptor, _ request: Request, returning: Response.Type
    ) async throws {
        if rest {
            let reply = try await HTTP1Connection.request(port: http, .POST, path, body: Array(body.utf8))
            guard reply.status == 200 else { throw ControlCallFailed(what: "REST \(what)", detail: "\(reply.status) \(reply.text)") }
        } else {
            let reply = try await grpc.call(method, request, returning: Response.self)
            guard reply.status == "0" else { throw ControlCallFailed(what: "gRPC \(what)", detail: "\(reply.status ?? "none") \(reply.message ?? "")") }
        }
    }

    /// Little-endian float32s.
    private static func floats(_ bytes: some Collection<UInt8>) -> [Float] {
        let bytes = Array(bytes)
        return stride(from: 0, to: bytes.count - 3, by: 4).map { offset in
            Float(bitPattern: UInt32(bytes[offset]) | UInt32(bytes[offset + 1]) << 8 | UInt32(bytes[offset + 2]) << 16 | UInt32(bytes[offset + 3]) << 24)
        }
    }

    /// Each NeuronCore's `flexeg_neuroncore_memory_used_bytes` sample, by its label, from `/metrics`.
    private static func coreMemory(metricsPort: Int) async throws -> [String: String] {
        let text = try await HTTP1Connection.request(port: metricsPort, .GET, "metrics").text
        var samples: [String: String] = [:]
        for line in text.split(separator: "\n") where line.hasPrefix("flexeg_neuroncore_memory_used_bytes{") {
            let parts = line.split(separator: " ")
            samples[String(parts[0])] = parts.count == 2 ? String(parts[1]) : ""
        }
        return samples
    }

    // MARK: - Results

    private enum Outcome: Sendable {
        case steady(String, Int, [String])
        case churned([String: Int])
        case scraped(Int, [String])
        case disrupted(Int, goodRequests: Int, [String])
        case churnDone
    }

    private struct Results {
        var steadyCounts: [String: Int] = [:]
        var failures: [String] = []
        var churnOutcomes: [String: Int] = [:]
        var scrapes = 0
        var disruptions = 0
    }

    private struct ControlCallFailed: Error, CustomStringConvertible {
        let what: String
        let detail: String
        var description: String { "\(what) failed: \(detail)" }
    }
}
