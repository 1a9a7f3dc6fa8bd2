import FlexTestSupport
import Foundation
import Testing

/// `max_batch_size: B` compiles a plain checkpoint at batch B; with `dynamic_batching` concurrent
/// requests of batch 1…B run together (padded when short) and get their own rows back.
@Suite(.serialized)
struct DynamicBatchingTests {
    /// A request of `batch` copies of `input`.
    private func body(_ input: [Float], batch: Int) -> String {
        RESTJSON.inferBody(Array(Array(repeating: input, count: batch).joined()), shape: [batch, 3, 32, 32])
    }

    @Test func concurrentRequestsShareExecutionsAndGetTheirRows() async throws {
        let repository = try DemoRepository()
        try """
            name: "A"
            max_batch_size: 4
            input [ { name: "data", data_type: TYPE_FP32, dims: [ 3, 32, 32 ] } ]
            dynamic_batching { max_queue_delay_microseconds: 200000 }
            parameters { key: "NEURON_CORES" value { string_value: "2" } }
            """.write(toFile: repository.path + "/A/config.pbtxt", atomically: true, encoding: .utf8)
        try """
            name: "B"
            max_batch_size: 2
            input [ { name: "data", data_type: TYPE_FP32, dims: [ 3, 32, 32 ] } ]
            parameters { key: "NEURON_CORES" value { string_value: "1" } }
            """.write(toFile: repository.path + "/B/config.pbtxt", atomically: true, encoding: .utf8)
        let server = try ServerProcess(arguments: ["--model-repository", repository.path, "--instance", "inf1.6xlarge",
                                                   "--model-control-mode", "explicit", "--load-model", "A", "--load-model", "B"])
        defer { server.stop() }
        let metadata = try await server.get("v2/models/A").json as? [String: Any]
        #expect(((metadata?["inputs"] as? [[String: Any]])?.first?["shape"] as? [Int]) == [-1, 3, 32, 32])
        let config = try await server.get("v2/models/A/config").json as? [String: Any]
        #expect(config?["max_batch_size"] as? Int == 4)
        #expect(((config?["input"] as? [[String: Any]])?.first?["dims"] as? [Int]) == [3, 32, 32])

        let (input, expected) = try DemoRepository.mxnetPair("A")
        let batches = [1, 2, 1, 1, 2, 1]  // 8 rows: two batches of 4
        let replies = try await withThrowingTaskGroup(of: (Int, ServerProcess.Reply).self) { group in
            for batch in batches {
                group.addTask { (batch, try await server.post("v2/models/A/infer", json: self.body(input, batch: batch))) }
            }
            return try await group.reduce(into: []) { $0.append($1) }
        }
        for (batch, reply) in replies {
            #expect(reply.status == 200, "\(reply.text)")
            let output = RESTJSON.firstOutput(reply.json)
            #expect(output?["shape"] as? [Int] == [batch, 10])
            let values = RESTJSON.floats(output?["data"])
            #expect(values.count == batch * 10)
            for row in 0..<batch where values.count == batch * 10 {
                #expect(relativeL2Error(Array(values[(row * 10)..<(row * 10 + 10)]), expected) <= 1e-4, "batch \(batch) row \(row)")
            }
        }
        let stats = try await server.get("v2/models/A/stats").json as? [String: Any]
        let entry = (stats?["model_stats"] as? [[String: Any]])?.first
        #expect(entry?["inference_count"] as? Int == 8)
        let metrics = try await server.metrics()
        // Six requests, fewer executions on the cores: stage-0 executions of A's first core.
        let line = metrics.split(separator: "\n").first { $0.hasPrefix(#"flexeg_neuroncore_executions_total{neuroncore="0"}"#) }
        let executions = line.flatMap { Int($0.split(separator: " ").last ?? "") } ?? -1
        #expect(executions >= 2 && executions < batches.count, "\(line ?? "missing")")
        // Triton's execution_count (and nv_inference_exec_count) counts those batch executions, not requests.
        #expect(entry?["execution_count"] as? Int == executions, "\(entry ?? [:])")
        #expect(metrics.contains(#"nv_inference_exec_count{model="A",version="1"} \#(executions)"#), "\(metrics)")
        // batch_stats: one entry per execution size, in order; together they are the executions and
        // the 8 batch elements.
        let batchStats = (entry?["batch_stats"] as? [[String: Any]] ?? []).map { stat in
            (size: stat["batch_size"] as? Int ?? 0, count: (stat["compute_infer"] as? [String: Any])?["count"] as? Int ?? 0)
        }
        #expect(batchStats.map(\.size) == batchStats.map(\.size).sorted() && batchStats.allSatisfy { (1...4).contains($0.size) && $0.count > 0 },
                "\(entry ?? [:])")
        #expect(batchStats.reduce(0) { $0 + $1.count } == executions, "\(entry ?? [:])")
        #expect(batchStats.reduce(0) { $0 + $1.size * $1.count } == 8, "\(entry ?? [:])")

        // Over max_batch_size: an error naming it.
        let tooBig = try await server.post("v2/models/A/infer", json: body(input, batch: 5))
        #expect(tooBig.status == 400)
        #expect(tooBig.error?.contains("max_batch_size 4") == true, "\(tooBig.text)")
        // max_batch_size without dynamic batching: a short request is padded alone.
        let (inputB, expectedB) = try DemoRepository.mxnetPair("B")
        let single = try await server.post("v2/models/B/infer", json: body(inputB, batch: 1))
        let output = RESTJSON.firstOutput(single.json)
        #expect(output?["shape"] as? [Int] == [1, 10], "\(single.text)")
        #expect(relativeL2Error(RESTJSON.floats(output?["data"]), expectedB) <= 1e-4)
        #expect(server.stop() == 0)
    }
}
