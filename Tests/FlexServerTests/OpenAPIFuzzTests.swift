import FlexTestSupport
import Foundation
import Testing

/// schemathesis (in `.venv-serve`, from `Scripts/setup-serve-venv.sh`) generates requests from
/// `Docs/flexeg-serve-openapi.yaml`, valid and not, for every operation, and sends them to a real
/// explicit-mode server with all four demo models loaded: no answer may be a 5xx. Bounded: a fixed
/// seed, 5 examples per operation and phase, a 50 s budget. Without the venv this FAILS, naming the
/// command to run.
///
/// `unloadModel` is fuzzed in a second, final run of its own: once A..D are unloaded, a request for
/// them answers 503 UNAVAILABLE, as Triton maps UNAVAILABLE, which the check would count as a server
/// error in every operation that follows. After both runs the server must still load and serve.
@Suite(.serialized)
struct OpenAPIFuzzTests {
    @Test func noRequestTheDocumentDescribesGetsAServerError() async throws {
        let root = RepositoryPaths.root()
        let schemathesis = root + "/.venv-serve/bin/st"
        guard FileManager.default.isExecutableFile(atPath: schemathesis) else {
            Issue.record("schemathesis is missing: run `bash Scripts/setup-serve-venv.sh` (makes \(root)/.venv-serve)")
            return
        }
        let repository = try DemoRepository()
        let server = try ServerProcess(arguments: ["--model-repository", repository.path, "--instance", "inf1.6xlarge",
                                                   "--model-control-mode", "explicit", "--load-model", "*"])
        defer { server.stop() }
        func fuzz(_ operations: [String], seconds: Int) throws -> ProcessRunner.Result {
            try ProcessRunner.run(schemathesis, [
                "--no-color", "run", root + "/Docs/flexeg-serve-openapi.yaml", "--url", "http://127.0.0.1:\(server.httpPort)",
                "--checks", "not_a_server_error", "--max-examples", "5", "--seed", "1", "--max-time", "\(seconds)",
                "--request-timeout", "10", "--generation-database", "none",
            ] + operations)
        }
        let everything = try fuzz(["--exclude-operation-id", "unloadModel"], seconds: 50)
        #expect(everything.status == 0, "schemathesis found server errors:\n\(everything.stdout.suffix(6000))\n\(everything.stderr.suffix(2000))\nserver log:\n\(server.stderr.suffix(3000))")
        #expect(everything.stdout.contains("Tested: 22"), "\(everything.stdout.suffix(2000))")
        // The fuzzing left the server healthy and its models serving.
        #expect(try await server.get("v2/health/ready").status == 200)
        #expect(try await server.get("v2/models/A/ready").status == 200)

        let unloads = try fuzz(["--include-operation-id", "unloadModel"], seconds: 20)
        #expect(unloads.status == 0, "schemathesis found server errors in unload:\n\(unloads.stdout.suffix(6000))\n\(unloads.stderr.suffix(2000))\nserver log:\n\(server.stderr.suffix(3000))")
        #expect(unloads.stdout.contains("Tested: 1"), "\(unloads.stdout.suffix(2000))")
        // Whatever it unloaded, the server is live and A loads and serves again.
        #expect(try await server.get("v2/health/live").status == 200)
        #expect(try await server.post("v2/repository/models/A/load", json: "{}").status == 200)
        #expect(try await server.get("v2/models/A/ready").status == 200)
        #expect(server.stop() == 0)
    }
}
