import Foundation
import Hummingbird
import Logging
import NIOCore
import ServiceLifecycle
import UnixSignals

/// How `flexeg serve` runs.
public struct ServerConfiguration: Sendable {
    public var repository: String
    public var host: String = "127.0.0.1"
    /// 0 picks a free port; the chosen one is printed (`listening` lines on stdout).
    public var httpPort: Int = 8000
    public var metricsPort: Int = 8002
    /// nil: no gRPC server.
    public var grpcPort: Int? = 8001
    public var allowMetrics: Bool = true
    public var controlMode: ModelControlMode = .none
    /// `explicit` mode: models to load at start (`*`: all).
    public var loadModels: [String] = []
    public var device: DeviceOptions = DeviceOptions()
    public var maxRequestBytes: Int = 64 << 20
    public var logLevel: Logger.Level = .info

    public init(repository: String) {
        self.repository = repository
    }
}

/// `flexeg serve`: the HTTP, gRPC and metrics servers as services of one `ServiceGroup`, which
/// SIGTERM and SIGINT shut down gracefully: the listeners stop accepting, requests in flight finish,
/// then every model is unloaded and the NeuronCores released.
///
/// Thread ownership: `run` owns the server for its whole life, on the caller's task; requests run on
/// SwiftNIO's event loops and Swift tasks; inference runs on the runtime's pinned core threads;
/// loads on `ModelManager`'s loader queue.
public enum InferenceServer {
    /// Serves until SIGTERM or SIGINT, printing each listener's address on stdout.
    public static func run(_ configuration: ServerConfiguration) async throws {
        try await run(configuration, shutdownSignals: [.sigterm, .sigint], onListening: printListening)
    }

    /// A bound listener: `name` is "HTTP", "gRPC" or "metrics".
    typealias ListeningHandler = @Sendable (_ name: String, _ address: SocketAddress?) -> Void

    /// Serves until one of `shutdownSignals` arrives or the enclosing `ServiceGroup` shuts down
    /// gracefully (in-process tests run the server that way, with no signals).
    static func run(_ configuration: ServerConfiguration, shutdownSignals: [UnixSignal], onListening: @escaping ListeningHandler) async throws {
        var logger = Logger(label: "flexeg.serve")
        logger.logLevel = configuration.logLevel
        let repository = try ModelRepository(path: configuration.repository)
        let host = try ModelHost(configuration.device)
        for warning in host.warnings { logger.notice("\(warning)") }
        let manager = ModelManager(repository: repository, host: host, mode: configuration.controlMode, logger: logger)
        let state = ServerState(manager: manager, logger: logger)

        let listenHost = configuration.host
        let http = Application(
            router: HTTPEndpoints(state: state, maxRequestBytes: configuration.maxRequestBytes, logger: logger).router(),
            server: InferenceHTTPChannel.builder,
            configuration: .init(address: .hostname(listenHost, port: configuration.httpPort), serverName: "flexeg"),
            onServerRunning: { channel in onListening("HTTP", channel.localAddress) },
            logger: logger)
        var services: [any Service] = [Listener(name: "HTTP", flag: "--http-port", host: listenHost, port: configuration.httpPort, service: http)]
        if let grpcPort = configuration.grpcPort {
            let grpc = GRPCServerService(host: listenHost, port: grpcPort, maxRequestBytes: configuration.maxRequestBytes, state: state,
                                         onListening: { address in onListening("gRPC", address) })
            services.append(Listener(name: "gRPC", flag: "--grpc-port", host: listenHost, port: grpcPort, service: grpc))
        }
        if configuration.allowMetrics {
            let exposition = MetricsExposition(manager: manager)
            let router = Router(context: BasicRequestContext.self)
            router.get("metrics") { _, _ in
                var headers = HTTPFields()
                headers[.contentType] = "text/plain; version=0.0.4; charset=utf-8"
                return Response(status: .ok, headers: headers, body: ResponseBody(byteBuffer: ByteBuffer(string: exposition.render())))
            }
            let metrics = Application(
                router: router,
                configuration: .init(address: .hostname(listenHost, port: configuration.metricsPort), serverName: "flexeg-metrics"),
                onServerRunning: { channel in onListening("metrics", channel.localAddress) },
                logger: logger)
            services.append(Listener(name: "metrics", flag: "--metrics-port", host: listenHost, port: configuration.metricsPort, service: metrics))
        }
        services.append(StartupLoads(configuration: configuration, manager: manager, state: state, logger: logger))

        let group = ServiceGroup(configuration: .init(
            // A failing service (a --load-model model that cannot load, a port in use) shuts the others down
            // gracefully, so the listeners close cleanly instead of being cancelled mid-accept.
            services: services.map { ServiceGroupConfiguration.ServiceConfiguration(service: $0, failureTerminationBehavior: .gracefullyShutdownGroup) },
            gracefulShutdownSignals: shutdownSignals,
            logger: logger))
        do {
            try await group.run()
        } catch {
            state.setReady(false)
            await manager.unloadAll()
            host.shutdown()
            throw error
        }
        state.setReady(false)
        await manager.unloadAll()
        host.shutdown()
        logger.info("server stopped; models unloaded and NeuronCores released")
    }

    /// `flexeg serve: HTTP listening on 127.0.0.1:8000` on stdout (tests read the port from it).
    private static func printListening(_ what: String, _ address: SocketAddress?) {
        let line = "flexeg serve: \(what) listening on \(address?.ipAddress ?? "?"):\(address?.port ?? 0)\n"
        FileHandle.standardOutput.write(Data(line.utf8))
    }
}

/// One of the server's listeners (HTTP, gRPC, metrics): a socket that cannot be bound stops the
/// server with a message that names the address and the flag that changes it.
private struct Listener: Service {
    let name: String
    let flag: String
    let host: String
    let port: Int
    let service: any Service

    func run() async throws {
        do {
            try await service.run()
        } catch let error as IOError {
            let address = "\(host):\(port)"
            switch error.errnoCode {
            case EADDRINUSE:
                throw ServerError(.unavailable, "cannot listen for \(name) on \(address): the port is already in use. Pick another with \(flag) (0 picks a free one).")
            case EACCES:
                throw ServerError(.unavailable, "cannot listen for \(name) on \(address): binding this port needs privileges. Pick one above 1023 with \(flag).")
            case EADDRNOTAVAIL:
                throw ServerError(.unavailable, "cannot listen for \(name) on \(address): \(host) is not an address of this machine. Fix --host.")
            default:
                throw ServerError(.unavailable, "cannot listen for \(name) on \(address): \(error)")
            }
        } catch let error as SocketAddressError {
            throw ServerError(.unavailable, "cannot listen for \(name) on \(host):\(port): \(error). Fix --host.")
        }
    }
}

/// Loads the start-up models (`none`: all of them; `explicit`: `--load-model`), then marks the
/// server ready and waits for shutdown. In `explicit` mode a `--load-model` model that fails to load
/// throws, which stops the whole server (none mode serves on, reporting the failures in its ready line
/// and in each model's state).
private struct StartupLoads: Service {
    let configuration: ServerConfiguration
    let manager: ModelManager
    let state: ServerState
    let logger: Logger

    func run() async throws {
        let all = manager.repository.modelNames()
        let names: [String]
        switch configuration.controlMode {
        case .none: names = all
        case .explicit: names = configuration.loadModels.contains("*") ? all : configuration.loadModels
        }
        var failed: [String] = []
        var reasons: [String] = []
        for name in names {
            do { try await manager.load(name) } catch {
                failed.append(name)
                reasons.append(error.message)
            }
        }
        // Triton's --exit-on-error: a model the operator named with --load-model that cannot load is
        // a start-up error, not a degraded server; the group then stops and `flexeg serve` exits 1.
        if configuration.controlMode == .explicit, !reasons.isEmpty {
            throw ServerError(.unavailable, "the server stops because \(reasons.count == 1 ? "a --load-model model" : "\(reasons.count) --load-model models") could not be loaded at start: "
                + reasons.joined(separator: "; ") + ". Fix the model (or drop its --load-model) and start again.")
        }
        state.setReady(true)
        let line = "flexeg serve: ready (" + (failed.isEmpty ? "all \(names.count) start-up models loaded" : "failed to load \(failed.joined(separator: ", "))") + ")\n"
        FileHandle.standardOutput.write(Data(line.utf8))
        try? await gracefulShutdown()
        state.setReady(false)
    }
}
