import Foundation
import Testing
@testable import FlexServer

/// Explicit mode treats a `--load-model` model that cannot load as a start-up error (Triton's
/// `--exit-on-error`): the server never reports ready, names the model and the reason on stderr, and
/// exits non-zero, instead of serving on without it.
@Suite(.serialized)
struct StartupFailureTests {
    /// Starts a server expected to exit by itself; returns how it ended.
    private func failedStart(_ arguments: [String]) throws -> ServerStartFailure {
        do {
            let server = try ServerProcess(arguments: arguments, timeout: 60)
            server.stop()
            Issue.record("the server became ready although it should not start: \(arguments)")
            return ServerStartFailure(description: "ready", exitStatus: 0, stdout: server.stdout, stderr: server.stderr)
        } catch let failure as ServerStartFailure {
            return failure
        }
    }

    @Test func aModelMissingFromTheRepositoryStopsTheServer() throws {
        let repository = try DemoRepository()
        let failure = try failedStart(["--model-repository", repository.path, "--instance", "inf1.6xlarge",
                                       "--model-control-mode", "explicit", "--load-model", "A", "--load-model", "Nope"])
        #expect(failure.exitStatus.map { $0 != 0 } == true, "exit status \(String(describing: failure.exitStatus))")
        #expect(!failure.stdout.contains("flexeg serve: ready"))
        #expect(failure.stderr.contains("could not be loaded at start"), "\(failure.stderr)")
        #expect(failure.stderr.contains("'Nope'"), "\(failure.stderr)")
        // The listeners shut down gracefully, not cancelled mid-accept (which Hummingbird logs as errors).
        #expect(!failure.stderr.contains("CancellationError") && !failure.stderr.contains("Server shutdown error"), "\(failure.stderr)")
    }

    @Test func aModelThatDoesNotFitItsCoresStopsTheServer() throws {
        // D needs 4 cores from index 14 of a 16-core inf1.6xlarge: cores 14...17 do not exist.
        let repository = try DemoRepository(startIndexes: ["D": 14])
        let failure = try failedStart(["--model-repository", repository.path, "--instance", "inf1.6xlarge",
                                       "--model-control-mode", "explicit", "--load-model", "A", "--load-model", "D"])
        #expect(failure.exitStatus.map { $0 != 0 } == true, "exit status \(String(describing: failure.exitStatus))")
        #expect(!failure.stdout.contains("flexeg serve: ready"))
        #expect(failure.stderr.contains("failed to load 'D'"), "\(failure.stderr)")
        #expect(!failure.stderr.contains("failed to load 'A'"), "\(failure.stderr)")
    }

    @Test func aPortInUseStopsTheServerNamingTheAddressAndTheFlag() throws {
        let repository = try DemoRepository()
        let first = try ServerProcess(arguments: ["--model-repository", repository.path, "--instance", "inf1.6xlarge", "--model-control-mode", "explicit"])
        defer { first.stop() }
        for (flag, port) in [("--grpc-port", first.grpcPort), ("--http-port", first.httpPort)] {
            let failure = try failedStart(["--model-repository", repository.path, "--instance", "inf1.6xlarge",
                                           "--model-control-mode", "explicit", flag, "\(port)"])
            #expect(failure.exitStatus.map { $0 != 0 } == true)
            #expect(failure.stderr.contains("127.0.0.1:\(port): the port is already in use. Pick another with \(flag)"), "\(failure.stderr)")
        }
        // The first server is unharmed.
        #expect(first.stop() == 0)
    }

    @Test func noneModeServesOnAndReportsTheFailure() async throws {
        let repository = try DemoRepository(startIndexes: ["D": 14])
        let server = try ServerProcess(arguments: ["--model-repository", repository.path, "--instance", "inf1.6xlarge"])
        defer { server.stop() }
        #expect(server.stdout.contains("failed to load D"))
        #expect(try await server.get("v2/models/A/ready").status == 200)
        #expect(try await server.get("v2/models/D/ready").status != 200)
        // A repository model is not ready, so neither is the server (Triton's strict readiness), on
        // both protocols' health checks: REST 400 {"ready": false}, the standard gRPC one NOT_SERVING.
        let ready = try await server.get("v2/health/ready")
        #expect(ready.status == 400 && ready.json as? [String: Bool] == ["ready": false], "\(ready.text)")
        let client = try await RawHTTP2Client.connect(port: server.grpcPort)
        defer { client.close() }
        let health = try await client.call(Grpc_Health_V1_Health.Method.Check.descriptor, Grpc_Health_V1_HealthCheckRequest(),
                                           returning: Grpc_Health_V1_HealthCheckResponse.self)
        #expect(health.status == "0" && health.response?.status == .notServing, "\(health)")
        #expect(server.stop() == 0)
    }
}
