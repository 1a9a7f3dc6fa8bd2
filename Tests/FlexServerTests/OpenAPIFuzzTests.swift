import FlexTestSupport
import Foundation
import Testing

/// schemathesis (in `.venv-serve`, from `Scripts/setup-serve-venv.sh`) generates requests from
/// `Docs/flexeg-serve-openapi.yaml`, valid and not, for every operation, and sends them to a real
/// explicit-mode server with all four demo models loaded: no answer may be a 5xx. Bounded: a fixed
/// seed, 5 examples per operation and phase, a 50 s budget. Without the venv this FAILS, naming the
/// command to run.
///
/// `unloadModel` is excluded for now: the stateful phase unloads A..D, and every later request for an
/// unloaded model answers 503 UNAVAILABLE ("not ready"), which the check counts as a server error.
/// Whether that should be 400/404, as Triton answers for a model with no ready version, is open.
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
        let result = try ProcessRunner.run(schemathesis, [
            "--no-color", "run", root + "/Docs/flexeg-serve-openapi.yaml", "--url", "http://127.0.0.1:\(server.httpPort)",
            "--checks", "not_a_server_error", "--max-examples", "5", "--seed", "1", "--max-time", "50",
            "--request-timeout", "10", "--generation-database", "none", "--exclude-operation-id", "unloadModel",
        ])
        #expect(result.status == 0, "schemathesis found server errors:\n\(result.stdout.suffix(6000))\n\(result.stderr.suffix(2000))\nserver log:\n\(server.stderr.suffix(3000))")
        #expect(result.stdout.contains("Tested: 17"), "\(result.stdout.suffix(2000))")
        // The fuzzing left the server healthy and its models serving.
        #expect(try await server.get("v2/health/ready").status == 200)
        #expect(try await server.get("v2/models/A/ready").status == 200)
        #expect(server.stop() == 0)
    }
}
