import FlexTestSupport
import Foundation
import Testing

/// The REST surface of a real `flexeg serve` process, spoken to with URLSession: every endpoint, both
/// tensor encodings, MXNet's outputs, and bad input that must not hurt the server.
@Suite(.serialized)
struct HTTPEndpointTests {
    static let tolerance = 1e-4

    @Test func everyEndpointInNoneModeAndMXNetOutputs() async throws {
        let repository = try DemoRepository()
        let server = try ServerProcess(arguments: ["--model-repository", repository.path, "--instance", "inf1.6xlarge"])
        defer { server.stop() }

        // Health: Triton's status (its clients read only that) with the Open Inference Protocol's
        // body, which KServe's clients read.
        let live = try await server.get("v2/health/live")
        #expect(live.status == 200 && live.json as? [String: Bool] == ["live": true], "\(live.text)")
        let ready = try await server.get("v2/health/ready")
        #expect(ready.status == 200 && ready.json as? [String: Bool] == ["ready": true], "\(ready.text)")
        let metadata = try await server.get("v2").json as? [String: Any]
        #expect(metadata?["name"] as? String == "flexeg")
        #expect((metadata?["extensions"] as? [String])?.contains("binary_tensor_data") == true)

        // Model metadata carries the model's inputs, outputs and NeuronCores.
        let b = try await server.get("v2/models/B").json as? [String: Any]
        #expect(b?["neuron_cores"] as? [Int] == [2, 3, 4, 5])
        #expect(((b?["inputs"] as? [[String: Any]])?.first?["shape"] as? [Int]) == [1, 3, 32, 32])
        #expect(((b?["outputs"] as? [[String: Any]])?.first?["name"] as? String) == "b_prob_output")
        #expect(try await server.get("v2/models/B/versions/1").status == 200)
        #expect(try await server.get("v2/models/B/versions/7").status == 404)
        let modelReady = try await server.get("v2/models/B/ready")
        #expect(modelReady.status == 200, "\(modelReady.text)")
        #expect(modelReady.json as? NSDictionary == ["name": "B", "ready": true] as NSDictionary, "\(modelReady.text)")
        #expect(try await server.get("v2/models/B/versions/1/ready").status == 200)
        let notReady = try await server.get("v2/models/nope/ready")
        #expect(notReady.status == 400, "\(notReady.text)")
        #expect(notReady.json as? NSDictionary == ["name": "nope", "ready": false] as NSDictionary, "\(notReady.text)")

        // The config in force: completed from the checkpoint, with the start index and core count.
        let config = try await server.get("v2/models/C/config").json as? [String: Any]
        let parameters = config?["parameters"] as? [String: [String: String]]
        #expect(parameters?["NEURON_CORE_START_INDEX"]?["string_value"] == "6")
        #expect(parameters?["NEURON_CORES"]?["string_value"] == "3")
        #expect(((config?["output"] as? [[String: Any]])?.first?["data_type"] as? String) == "TYPE_FP32")

        // JSON tensors: MXNet's outputs, request id echoed.
        for name in ["A", "B", "C", "D"] {
            let (input, expected) = try DemoRepository.mxnetPair(name)
            let reply = try await server.post("v2/models/\(name)/infer", json: RESTJSON.inferBody(input, id: "req-\(name)"))
            #expect(reply.status == 200, "\(reply.text)")
            let json = reply.json as? [String: Any]
            #expect(json?["id"] as? String == "req-\(name)")
            #expect(json?["model_name"] as? String == name)
            let output = (json?["outputs"] as? [[String: Any]])?.first
            #expect(output?["shape"] as? [Int] == [1, 10])
            #expect(relativeL2Error(RESTJSON.floats(output?["data"]), expected) <= Self.tolerance, "model \(name)")
        }

        // The binary tensor extension: binary input, binary output.
        let (input, expected) = try DemoRepository.mxnetPair("A")
        let header = Data(#"{"inputs":[{"name":"data","shape":[1,3,32,32],"datatype":"FP32","parameters":{"binary_data_size":12288}}],"outputs":[{"name":"a_prob_output","parameters":{"binary_data":true}}]}"#.utf8)
        var body = header
        input.withUnsafeBytes { body.append(contentsOf: $0) }
        let binary = try await server.post("v2/models/A/infer", body, headers: ["Inference-Header-Content-Length": "\(header.count)", "Content-Type": "application/octet-stream"])
        #expect(binary.status == 200, "\(binary.text)")
        let jsonLength = Int(binary.headers["inference-header-content-length"] ?? "") ?? -1
        #expect(jsonLength > 0 && jsonLength + 40 == binary.body.count)
        if jsonLength > 0, jsonLength + 40 == binary.body.count {
            let values = binary.body.suffix(40).withUnsafeBytes { Array($0.bindMemory(to: Float.self)) }
            #expect(relativeL2Error(values, expected) <= Self.tolerance)
        }
        // Raw binary mode: header length 0, the body is the one input; outputs come back binary.
        var raw = Data()
        input.withUnsafeBytes { raw.append(contentsOf: $0) }
        let rawReply = try await server.post("v2/models/A/infer", raw, headers: ["Inference-Header-Content-Length": "0"])
        #expect(rawReply.status == 200, "\(rawReply.text)")
        #expect(rawReply.headers["inference-header-content-length"] != nil)

        // Statistics count what happened.
        let stats = try await server.get("v2/models/A/stats").json as? [String: Any]
        let entry = (stats?["model_stats"] as? [[String: Any]])?.first
        let success = (entry?["inference_stats"] as? [String: Any])?["success"] as? [String: Any]
        #expect(success?["count"] as? Int == 3)
        #expect((success?["ns"] as? Int ?? 0) > 0)
        #expect(entry?["execution_count"] as? Int == 3)
        // Triton's batch_stats: A has no batch dimension, so its three executions each served one.
        let batchStats = entry?["batch_stats"] as? [[String: Any]]
        #expect(batchStats?.map { $0["batch_size"] as? Int } == [1], "\(entry ?? [:])")
        for field in ["compute_input", "compute_infer", "compute_output"] {
            #expect((batchStats?.first?[field] as? [String: Any])?["count"] as? Int == 3, "\(field): \(batchStats ?? [])")
        }
        #expect(((batchStats?.first?["compute_infer"] as? [String: Any])?["ns"] as? Int ?? 0) > 0)
        let all = try await server.get("v2/models/stats").json as? [String: Any]
        #expect((all?["model_stats"] as? [Any])?.count == 4)

        // In none mode the repository's load and unload answer with an error; the index works.
        let refused = try await server.post("v2/repository/models/A/load")
        #expect(refused.status == 503)
        #expect(refused.error?.contains("--model-control-mode explicit") == true)
        let index = try await server.post("v2/repository/index", json: "{}").json as? [[String: Any]]
        #expect(index?.map { $0["state"] as? String } == ["READY", "READY", "READY", "READY"])
        #expect(index?.first { $0["name"] as? String == "D" }?["neuron_cores"] as? [Int] == [9, 10, 11, 12])

        // Metrics: Triton's names and FlexEG's placement.
        let metrics = try await server.metrics()
        #expect(metrics.contains(#"nv_inference_request_success{model="A",version="1"} 3"#))
        #expect(metrics.contains(#"flexeg_model_neuroncores{model="B",version="1",neuroncores="2-5",state="READY"} 1"#))
        #expect(metrics.contains(#"flexeg_neuroncore_memory_budget_bytes{neuroncore="15"}"#))
        #expect(metrics.contains("nv_cpu_memory_total_bytes"))

        // SIGTERM: a clean exit that unloads everything.
        #expect(server.stop() == 0)
        #expect(server.stderr.contains("models unloaded and NeuronCores released"))
    }

    @Test func badInputGetsAClearErrorAndTheServerKeepsServing() async throws {
        let repository = try DemoRepository()
        let server = try ServerProcess(arguments: ["--model-repository", repository.path, "--instance", "inf1.6xlarge", "--max-request-bytes", "200000"])
        defer { server.stop() }
        let (input, expected) = try DemoRepository.mxnetPair("A")

        let cases: [(String, String, Int, String)] = [
            ("malformed JSON", #"{"inputs": [ {"name": "data", "#, 400, "malformed JSON"),
            ("not an object", "[1, 2]", 400, "must be a JSON object"),
            ("no inputs", "{}", 400, "\"inputs\""),
            ("wrong shape", RESTJSON.inferBody([1, 2, 3], shape: [1, 3]), 400, "takes [1, 3, 32, 32]"),
            ("wrong datatype", RESTJSON.inferBody(input, datatype: "FP64"), 400, "takes FP32"),
            ("unknown datatype", RESTJSON.inferBody(input, datatype: "FLOAT"), 400, "valid datatypes"),
            ("too few elements", RESTJSON.inferBody([Float](input.prefix(100))), 400, "needs 3072"),
            ("unknown input", #"{"inputs":[{"name":"pixels","shape":[1],"datatype":"FP32","data":[1]}]}"#, 400, "its inputs are 'data'"),
            ("unknown output", #"{"inputs":[{"name":"data","shape":[1,3,32,32],"datatype":"FP32","data":[\#(input.map { "\($0)" }.joined(separator: ","))]}],"outputs":[{"name":"nope"}]}"#, 400, "its outputs are 'a_prob_output'"),
            ("string element", #"{"inputs":[{"name":"data","shape":[1,3,32,32],"datatype":"FP32","data":["x"\#(String(repeating: ",1", count: 3071))]}]}"#, 400, "FP32 takes numbers"),
        ]
        for (what, body, status, message) in cases {
            let reply = try await server.post("v2/models/A/infer", json: body)
            #expect(reply.status == status, "\(what): \(reply.text)")
            #expect(reply.error?.contains(message) == true, "\(what): \(reply.text)")
        }
        let unknown = try await server.post("v2/models/nope/infer", json: RESTJSON.inferBody(input))
        #expect(unknown.status == 404)
        #expect(unknown.error?.contains("unknown model 'nope'") == true)
        let escape = try await server.post("v2/models/..%2F..%2Fetc/infer", json: RESTJSON.inferBody(input))
        #expect(escape.status == 404 || escape.status == 400)

        // Binary lengths that do not add up.
        let header = Data(#"{"inputs":[{"name":"data","shape":[1,3,32,32],"datatype":"FP32","parameters":{"binary_data_size":12288}}]}"#.utf8)
        let short = try await server.post("v2/models/A/infer", header + Data(count: 100), headers: ["Inference-Header-Content-Length": "\(header.count)"])
        #expect(short.status == 400)
        #expect(short.error?.contains("only 100 bytes of binary data remain") == true, "\(short.text)")
        let extra = try await server.post("v2/models/A/infer", header + Data(count: 12288 + 8), headers: ["Inference-Header-Content-Length": "\(header.count)"])
        #expect(extra.error?.contains("8 bytes of binary data that no input") == true, "\(extra.text)")
        let past = try await server.post("v2/models/A/infer", header, headers: ["Inference-Header-Content-Length": "\(header.count + 5)"])
        #expect(past.status == 400)
        let rawWrong = try await server.post("v2/models/A/infer", Data(count: 10), headers: ["Inference-Header-Content-Length": "0"])
        #expect(rawWrong.error?.contains("takes 12288") == true, "\(rawWrong.text)")

        // A body over --max-request-bytes: 413.
        let big = try await server.post("v2/models/A/infer", Data(count: 300_000), headers: ["Content-Type": "application/json"])
        #expect(big.status == 413)
        #expect(big.error?.contains("--max-request-bytes") == true, "\(big.text)")

        // Still serving, with MXNet's outputs; every failure counted.
        let good = try await server.post("v2/models/A/infer", json: RESTJSON.inferBody(input))
        #expect(good.status == 200)
        let output = ((good.json as? [String: Any])?["outputs"] as? [[String: Any]])?.first
        #expect(relativeL2Error(RESTJSON.floats(output?["data"]), expected) <= Self.tolerance)
        #expect(try await server.get("v2/health/ready").status == 200)
        let metrics = try await server.metrics()
        // The 10 cases, the short, extra and raw binary bodies reached model A and failed there; the
        // header past the body and the 413 were refused before.
        #expect(metrics.contains(#"nv_inference_request_failure{model="A",version="1",reason="OTHER"} 13"#), "\(metrics)")
        #expect(metrics.contains(#"nv_inference_request_success{model="A",version="1"} 1"#))
    }
}

/// `instance_group [{ count: N }]` loads N copies on consecutive core ranges; a plain checkpoint is
/// compiled at load and its cache reused by the next load while the files are unchanged.
@Suite(.serialized)
struct InstanceGroupTests {
    @Test func copiesOnConsecutiveRangesAndTheCompiledCache() async throws {
        let repository = try DemoRepository()
        let config = repository.path + "/A/config.pbtxt"
        let text = try String(contentsOfFile: config, encoding: .utf8)
        try (text.replacingOccurrences(of: #"string_value: "0" }"#, with: #"string_value: "4" }"#) + "instance_group [ { count: 3 } ]\n")
            .write(toFile: config, atomically: true, encoding: .utf8)
        let server = try ServerProcess(arguments: ["--model-repository", repository.path, "--instance", "inf1.6xlarge",
                                                   "--model-control-mode", "explicit", "--load-model", "A"])
        defer { server.stop() }
        let metadata = try await server.get("v2/models/A").json as? [String: Any]
        #expect(metadata?["neuron_cores"] as? [Int] == [4, 5, 6, 7, 8, 9])
        let metrics = try await server.metrics()
        for range in ["4-5", "6-7", "8-9"] {
            #expect(metrics.contains(#"flexeg_model_neuroncores{model="A",version="1",neuroncores="\#(range)""#), "\(range)")
        }
        // Round robin over the copies: every copy's cores run.
        let (input, expected) = try DemoRepository.mxnetPair("A")
        let body = RESTJSON.inferBody(input)
        for _ in 0..<6 {
            let reply = try await server.post("v2/models/A/infer", json: body)
            #expect(relativeL2Error(RESTJSON.floats(RESTJSON.firstOutput(reply.json)?["data"]), expected) <= 1e-4)
        }
        let after = try await server.metrics()
        for core in [4, 6, 8] {
            let line = after.split(separator: "\n").first { $0.hasPrefix(#"flexeg_neuroncore_executions_total{neuroncore="\#(core)"}"#) }
            #expect(line.map { !$0.hasSuffix(" 0") } == true, "core \(core): \(line ?? "missing")")
        }
        // The compiled cache was written beside the checkpoint, and a reload uses it.
        let cache = repository.path + "/A/1/.flexeg-compiled/cores2-data=1x3x32x32"
        #expect(FileManager.default.fileExists(atPath: cache + "/model-symbol.json"))
        #expect(server.stderr.contains("origin=compiled at load"))
        #expect(try await server.post("v2/repository/models/A/load").status == 200)
        #expect(server.stderr.contains("origin=compiled cache"))
        #expect(try await server.get("v2/models/A").json.flatMap { ($0 as? [String: Any])?["neuron_cores"] as? [Int] } == [4, 5, 6, 7, 8, 9])
        // A cache another build of FlexEG made is not reused: its kernel choices are that build's.
        let key = try String(contentsOfFile: cache + "/source.txt", encoding: .utf8)
        let lines = key.split(separator: "\n")
        #expect(lines.contains { $0.hasPrefix("build ") && $0.count > "build ".count + 8 }, "\(key)")
        let otherBuild = lines.map { $0.hasPrefix("build ") ? "build 0000000000000000" : String($0) }.joined(separator: "\n") + "\n"
        try otherBuild.write(toFile: cache + "/source.txt", atomically: true, encoding: .utf8)
        let compiledBefore = server.stderr.components(separatedBy: "origin=compiled at load").count
        #expect(try await server.post("v2/repository/models/A/load").status == 200)
        #expect(server.stderr.components(separatedBy: "origin=compiled at load").count == compiledBefore + 1)
        #expect(try String(contentsOfFile: cache + "/source.txt", encoding: .utf8) == key)
        #expect(server.stop() == 0)
    }
}

/// The process's NeuronCores are released however the server ends.
@Suite(.serialized)
struct ShutdownTests {
    @Test func killNineFreesTheCoresForANewServerAtOnce() async throws {
        let repository = try DemoRepository()
        let runtime = try TemporaryDirectory(prefix: "flexeg-serve-locks")
        let arguments = ["--model-repository", repository.path, "--cores", "16"]
        let first = try ServerProcess(arguments: arguments, runtimeDirectory: runtime.path)
        #expect(try await first.get("v2/health/ready").status == 200)
        // A second server wanting the same 16 cores while the first holds them fails, naming the holder.
        do {
            _ = try ServerProcess(arguments: arguments, runtimeDirectory: runtime.path, timeout: 30)
            Issue.record("a second server took the cores the first holds")
        } catch {
            #expect("\(error)".contains("held by process \(first.process.processIdentifier)"), "\(error)")
        }
        kill(first.process.processIdentifier, SIGKILL)
        first.process.waitUntilExit()
        let second = try ServerProcess(arguments: arguments, runtimeDirectory: runtime.path)
        defer { second.stop() }
        #expect(try await second.get("v2/models/D/ready").status == 200)
        #expect(second.stop() == 0)
    }
}

/// A load of a name that is not in the repository answers 404 and leaves nothing behind: the name
/// stays 404 (not 503 UNAVAILABLE) and is not listed in the index (found by schemathesis).
@Suite(.serialized)
struct UnknownModelTests {
    @Test func aFailedLoadOfAnUnknownNameLeavesNoRecord() async throws {
        let repository = try DemoRepository()
        let server = try ServerProcess(arguments: ["--model-repository", repository.path, "--instance", "inf1.6xlarge",
                                                   "--model-control-mode", "explicit"])
        defer { server.stop() }
        let load = try await server.post("v2/repository/models/Nope/load")
        #expect(load.status == 404, "\(load.text)")
        #expect(load.error?.contains("not in the model repository") == true, "\(load.text)")
        for path in ["v2/models/Nope", "v2/models/Nope/config", "v2/models/Nope/stats"] {
            #expect(try await server.get(path).status == 404, "\(path)")
        }
        #expect(try await server.get("v2/models/Nope/ready").status == 400)  // not ready, as Triton answers
        #expect(try await server.post("v2/models/Nope/infer", json: "{}").status == 404)
        let index = try await server.post("v2/repository/index", json: "{}").json as? [[String: Any]]
        #expect(index?.map { $0["name"] as? String } == ["A", "B", "C", "D"])
        #expect(server.stop() == 0)
    }
}
