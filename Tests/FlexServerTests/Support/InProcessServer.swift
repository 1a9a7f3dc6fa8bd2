@testable import FlexServer
import FlexRuntime
import FlexTestSupport
import Logging
import NIOCore
import ServiceLifecycle

/// `InferenceServer.run` inside the test's process, on ephemeral loopback ports (HTTP, gRPC and
/// metrics), so ThreadSanitizer sees its transports too (`ServerProcess` runs the binary, which is not
/// built with it). It runs as the only service of a `ServiceGroup` with no signal handlers; `stop()`
/// shuts that group down gracefully, which is what SIGTERM does to `flexeg serve`.
final class InProcessServer: Sendable {
    let httpPort: Int
    let grpcPort: Int
    let metricsPort: Int
    private let group: ServiceGroup
    private let running: Task<Void, any Error>

    private init(ports: [String: Int], group: ServiceGroup, running: Task<Void, any Error>) {
        httpPort = ports["HTTP"]!
        grpcPort = ports["gRPC"]!
        metricsPort = ports["metrics"]!
        self.group = group
        self.running = running
    }

    /// Starts a server on `repository` and returns once it answers `v2/health/ready` with 200 (at most
    /// `timeout`). Its NeuronCore locks live in `runtimeDirectory`.
    static func start(repository: String, runtimeDirectory: String, controlMode: ModelControlMode = .explicit,
                      loadModels: [String] = [], timeout: Duration = .seconds(120)) async throws -> InProcessServer {
        var configuration = ServerConfiguration(repository: repository)
        configuration.httpPort = 0
        configuration.grpcPort = 0
        configuration.metricsPort = 0
        configuration.controlMode = controlMode
        configuration.loadModels = loadModels
        configuration.device = DeviceOptions(instance: "inf1.6xlarge", environment: ["FLEXEG_RUNTIME_DIR": runtimeDirectory])
        configuration.logLevel = .error
        let listening = Locked<[String: Int]>([:])
        let settings = configuration
        let server = ClosureService {
            try await InferenceServer.run(settings, shutdownSignals: []) { name, address in
                listening.withLock { $0[name] = address?.port }
            }
        }
        var logger = Logger(label: "flexeg.serve.test")
        logger.logLevel = .error
        let group = ServiceGroup(services: [server], logger: logger)
        let ended = Locked(false)
        let running = Task {
            defer { ended.withLock { $0 = true } }
            try await group.run()
        }

        let deadline = ContinuousClock.now + timeout
        while true {
            let ports = listening.withLock { $0 }
            if let http = ports["HTTP"], ports.count == 3,
               (try? await HTTP1Connection.request(port: http, .GET, "v2/health/ready"))?.status == 200 {
                return InProcessServer(ports: ports, group: group, running: running)
            }
            if ended.withLock({ $0 }) {
                try await running.value  // the server's own start-up error
                throw NotReady(timeout: timeout)
            }
            guard ContinuousClock.now < deadline else {
                await group.triggerGracefulShutdown()
                _ = await running.result
                throw NotReady(timeout: timeout)
            }
            try await Task.sleep(for: .milliseconds(20))
        }
    }

    /// Shuts the server down gracefully and waits for `InferenceServer.run` to return (rethrowing
    /// what it threw): listeners closed, requests in flight finished, models unloaded, cores released.
    func stop() async throws {
        await group.triggerGracefulShutdown()
        try await running.value
    }

    struct NotReady: Error, CustomStringConvertible {
        let timeout: Duration
        var description: String { "the in-process server was not ready within \(timeout)" }
    }
}
