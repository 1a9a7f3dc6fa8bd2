import FlexTestSupport
import Foundation
import Testing

/// Loads that upload the model (Triton's `file:<version>/<file>` load parameters, base64 over REST,
/// with a `config`): a model the repository does not have goes on the cores its config names and
/// serves MXNet's outputs; a reload replaces its files; bad uploads are refused naming the fix and
/// leave nothing behind (no record, no staged files, the old version serving); unload and shutdown
/// remove the staged files, and a server's start those of killed servers. The server's temporary directory (TMPDIR) is the test's, so the staged
/// files can be counted. tritonclient's `load_model(files=...)` runs in `tritonclient_e2e.py`.
@Suite(.serialized)
struct ModelUploadTests {
    static func checkpoint(_ source: String) throws -> (symbol: Data, params: Data) {
        let prefix = RepositoryPaths.root() + "/Sources/flexeg/DemoModels/\(source)/\(source)"
        return (try Data(contentsOf: URL(fileURLWithPath: prefix + "-symbol.json")),
                try Data(contentsOf: URL(fileURLWithPath: prefix + "-0000.params")))
    }

    /// A load body uploading `files` (path under the model directory → bytes) with `config` (JSON text).
    static func uploadBody(config: String?, files: [String: Data]) throws -> Data {
        var parameters: [String: Any] = [:]
        if let config { parameters["config"] = config }
        for (path, bytes) in files { parameters["file:" + path] = bytes.base64EncodedString() }
        return try JSONSerialization.data(withJSONObject: ["parameters": parameters])
    }

    static func config(cores: Int, start: Int) -> String {
        #"{"input": [{"name": "data", "data_type": "TYPE_FP32", "dims": [1, 3, 32, 32]}], "#
            + #""parameters": {"NEURON_CORES": {"string_value": "\#(cores)"}, "NEURON_CORE_START_INDEX": {"string_value": "\#(start)"}}}"#
    }

    /// The staged upload directories of model `name` under the server's temporary directory.
    static func staged(_ name: String, in temporary: String) -> [String] {
        let roots = ((try? FileManager.default.contentsOfDirectory(atPath: temporary)) ?? []).filter { $0.hasSuffix("-uploads") }
        return roots.flatMap { root in
            ((try? FileManager.default.contentsOfDirectory(atPath: temporary + "/" + root)) ?? []).filter { $0.hasPrefix(name + "-") }
        }
    }

    @Test func anUploadedModelServesOnItsConfigsCoresAndLeavesNothingBehind() async throws {
        let repository = try DemoRepository()
        let temporary = try TemporaryDirectory(prefix: "upload-tmp")
        // Uploads a killed server left behind (its pid no longer runs) go at start; a live one's stay.
        let finished = Process()
        finished.executableURL = URL(fileURLWithPath: "/bin/true")
        try finished.run()
        finished.waitUntilExit()
        let stale = temporary.path + "/flexeg-serve-\(finished.processIdentifier)-uploads/E-1/1"
        let live = temporary.path + "/flexeg-serve-1-uploads"  // pid 1 always runs
        for directory in [stale, live] { try FileManager.default.createDirectory(atPath: directory, withIntermediateDirectories: true) }
        let server = try ServerProcess(arguments: ["--model-repository", repository.path, "--instance", "inf1.6xlarge",
                                                   "--model-control-mode", "explicit", "--load-model", "A"],
                                       environment: ["TMPDIR": temporary.path])
        defer { server.stop() }
        #expect(!FileManager.default.fileExists(atPath: temporary.path + "/flexeg-serve-\(finished.processIdentifier)-uploads"))
        #expect(FileManager.default.fileExists(atPath: live))
        try FileManager.default.removeItem(atPath: live)
        let c = try Self.checkpoint("model_c"), b = try Self.checkpoint("model_b")
        func index() async throws -> [String: [String: Any]] {
            let entries = try await server.post("v2/repository/index", json: "{}").json as? [[String: Any]] ?? []
            return Dictionary(entries.map { ($0["name"] as? String ?? "", $0) }, uniquingKeysWith: { first, _ in first })
        }
        func infer(_ pair: String) async throws -> (status: Int, error: Double) {
            let (input, expected) = try DemoRepository.mxnetPair(pair)
            let reply = try await server.post("v2/models/E/infer", json: RESTJSON.inferBody(input))
            return (reply.status, Double(relativeL2Error(RESTJSON.floats(RESTJSON.firstOutput(reply.json)?["data"]), expected)))
        }

        // E, which the repository does not have: model C's checkpoint on cores 13-15.
        let load = try await server.post("v2/repository/models/E/load", try Self.uploadBody(
            config: Self.config(cores: 3, start: 13), files: ["1/model-symbol.json": c.symbol, "1/model-0000.params": c.params]))
        #expect(load.status == 200, "\(load.text)")
        #expect(try await index()["E"]?["neuron_cores"] as? [Int] == [13, 14, 15])
        var result = try await infer("C")
        #expect(result.status == 200 && result.error <= 1e-4, "\(result)")
        #expect(Self.staged("E", in: temporary.path).count == 1)

        // Reloaded with B's checkpoint on 4 cores from 9: E moves, and only the new files stay.
        let reload = try await server.post("v2/repository/models/E/load", try Self.uploadBody(
            config: Self.config(cores: 4, start: 9), files: ["1/model-symbol.json": b.symbol, "1/model-0000.params": b.params]))
        #expect(reload.status == 200, "\(reload.text)")
        #expect(try await index()["E"]?["neuron_cores"] as? [Int] == [9, 10, 11, 12])
        result = try await infer("B")
        #expect(result.status == 200 && result.error <= 1e-4, "\(result)")
        #expect(Self.staged("E", in: temporary.path).count == 1)

        // A corrupt reload fails with the checkpoint's error; the previous upload keeps serving.
        let corrupt = try await server.post("v2/repository/models/E/load", try Self.uploadBody(
            config: Self.config(cores: 4, start: 9), files: ["1/model-symbol.json": b.symbol, "1/model-0000.params": b.params.prefix(100)]))
        #expect(corrupt.status == 400 && corrupt.error?.contains("the previous version keeps serving") == true, "\(corrupt.text)")
        result = try await infer("B")
        #expect(result.status == 200 && result.error <= 1e-4, "\(result)")
        #expect(Self.staged("E", in: temporary.path).count == 1)

        // Refused, naming what to fix; none leaves a record or files.
        let refusals: [(String, Data, String)] = [
            ("F", try Self.uploadBody(config: nil, files: ["1/model-symbol.json": c.symbol]), #"needs a "config" parameter"#),
            ("F", try Self.uploadBody(config: Self.config(cores: 3, start: 0), files: ["../x": c.symbol]), "'file:<version>/<file>'"),
            ("F", try Self.uploadBody(config: Self.config(cores: 3, start: 0), files: ["1/../../x": c.symbol]), "'file:<version>/<file>'"),
            ("F", Data(#"{"parameters": {"config": "{}", "file:1/model-symbol.json": "not base64!"}}"#.utf8), "base64"),
            ("F", try Self.uploadBody(config: Self.config(cores: 3, start: 0), files: ["1/model-symbol.json": c.symbol]), "uploaded file:1 has model-symbol.json but no model-NNNN.params"),
            ("F", try Self.uploadBody(config: Self.config(cores: 3, start: 14), files: ["1/model-symbol.json": c.symbol, "1/model-0000.params": c.params]),
             "start index"),
            (".hidden", try Self.uploadBody(config: Self.config(cores: 3, start: 0), files: ["1/model-symbol.json": c.symbol]), "not a directory name"),
        ]
        for (name, body, text) in refusals {
            let reply = try await server.post("v2/repository/models/\(name)/load", body)
            #expect((400..<500).contains(reply.status) && reply.error?.contains(text) == true, "\(name) \(text): \(reply.status) \(reply.text)")
        }
        let after = try await index()
        #expect(after["F"] == nil && after[".hidden"] == nil, "\(after.keys.sorted())")
        #expect(Self.staged("F", in: temporary.path).isEmpty)
        #expect(try await server.get("v2/models/F").status == 404)

        // Unloading E removes its files; its cores are free for A's move onto them.
        #expect(try await server.post("v2/repository/models/E/unload", json: "{}").status == 200)
        #expect(Self.staged("E", in: temporary.path).isEmpty)
        #expect(try await server.post("v2/repository/models/A/load", json: RESTJSON.loadBody(startIndex: 9)).status == 200)
        #expect(server.stop() == 0)
        #expect(((try? FileManager.default.contentsOfDirectory(atPath: temporary.path)) ?? []).filter { $0.hasSuffix("-uploads") }.isEmpty)
    }
}
