import GRPCCore
import NIOCore
import ServiceLifecycle

/// The gRPC server (plaintext HTTP/2, `H2CServerTransport`) as a service of the server's
/// `ServiceGroup`: it serves until graceful shutdown, then stops accepting RPCs and lets those in
/// flight finish.
struct GRPCServerService: Service {
    let host: String
    let port: Int
    let maxRequestBytes: Int
    let state: ServerState
    /// Called once the socket is bound (prints the "listening on" line).
    let onListening: @Sendable (SocketAddress?) -> Void

    func run() async throws {
        // HTTP/2 flow control: with the default 64 KiB window a 600 KB image request waits for about nine
        // window updates from the server; a window as large as a request (up to 16 MiB) lets it arrive in
        // one flight. Bigger frames cut the per-frame work for the same bytes.
        let transport = try await H2CServerTransport.bind(
            host: host, port: port, maxMessageBytes: maxRequestBytes, windowBytes: min(maxRequestBytes, 1 << 24))
        onListening(transport.localAddress)
        let server = GRPCServer(transport: transport, services: [GRPCInferenceService(state: state), GRPCHealthService(state: state)])
        try await withGracefulShutdownHandler {
            try await server.serve()
        } onGracefulShutdown: {
            server.beginGracefulShutdown()
        }
    }
}
