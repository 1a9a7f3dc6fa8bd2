import FlexTestSupport
import Foundation
import Testing

/// Unmodified `tritonclient` (PyPI) against a real `flexeg serve`: the script
/// `EndToEnd/tritonclient_e2e.py` runs in `.venv-serve`, which `Scripts/setup-serve-venv.sh` makes.
/// Without that venv these tests FAIL (they do not skip), naming the command to run.
@Suite(.serialized)
struct TritonClientTests {
    static var python: String { RepositoryPaths.root() + "/.venv-serve/bin/python" }

    private func run(_ scenario: String, server: ServerProcess) throws {
        let root = RepositoryPaths.root()
        guard FileManager.default.isExecutableFile(atPath: Self.python) else {
            Issue.record("tritonclient's venv is missing: run `bash Scripts/setup-serve-venv.sh` (makes \(root)/.venv-serve)")
            return
        }
        let result = try ProcessRunner.run(Self.python, [
            root + "/Tests/FlexServerTests/EndToEnd/tritonclient_e2e.py", "--scenario", scenario,
            "--url", "127.0.0.1:\(server.httpPort)", "--metrics-url", "127.0.0.1:\(server.metricsPort)",
            "--demo-dir", root + "/Sources/flexeg/DemoModels", "--grpc-url", "127.0.0.1:\(server.grpcPort)",
            "--server-pid", "\(server.process.processIdentifier)", "--duration", ProcessInfo.processInfo.environment["FLEXEG_SOAK_SECONDS"] ?? "8",
        ])
        #expect(result.status == 0, "tritonclient \(scenario) failed:\n\(result.stdout)\n\(result.stderr)\nserver log:\n\(server.stderr.suffix(4000))")
        #expect(result.stdout.contains("all checks passed"))
    }

    /// Runs `scenario` against a fresh explicit-mode server on a 16-core inf1.6xlarge, then checks
    /// that SIGTERM ends it cleanly.
    private func serve(_ scenario: String, mode: String = "explicit", environment: [String: String] = [:]) throws {
        let repository = try DemoRepository()
        let server = try ServerProcess(
            arguments: ["--model-repository", repository.path, "--instance", "inf1.6xlarge", "--model-control-mode", mode],
            environment: environment)
        defer { server.stop() }
        try run(scenario, server: server)
        #expect(server.stop() == 0)
    }

    @Test func seedPlacementsThroughTheManagementAPI() throws { try serve("placements") }

    @Test func everyGRPCCall() throws { try serve("grpc") }

    @Test func systemSharedMemoryOverHTTPAndGRPC() throws { try serve("sharedmemory") }

    /// The issue's soak, shortened (8 s; FLEXEG_SOAK_SECONDS=60 for the full one).
    @Test func soakLoadingAndUnloadingWhileThreeModelsServe() throws { try serve("soak") }

    @Test func manyConnectionsAndClientsThatHangUp() throws { try serve("abuse", mode: "none") }

    @Test func neuronCoreGroups() throws { try serve("ncg", environment: ["NEURONCORE_GROUP_SIZES": "2,4,3,4"]) }
}
