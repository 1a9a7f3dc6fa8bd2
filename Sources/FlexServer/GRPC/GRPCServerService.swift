import Foundation
import GRPCCore
import GRPCNIOTransportHTTP2
import Logging
import ServiceLifecycle

/// The gRPC server (HTTP/2 over NIO, plaintext) as a service of the server's `ServiceGroup`: it
/// serves until graceful shutdown, then stops accepting RPCs and lets those in flight finish.
struct GRPCServerService: Service {
    let host: String
    let port: Int
    let maxRequestBytes: Int
    let state: ServerState

    func run() async throws {
        var config = HTTP2ServerTransport.Posix.Config.defaults
        config.rpc.maxRequestPayloadSize = maxRequestBytes
        // HTTP/2 flow control: with the default 64 KiB window a 600 KB image request waits for about nine
        // window updates from the server; a window as large as a request (up to 16 MiB) lets it arrive in
        // one flight. Bigger frames cut the per-frame work for the same bytes.
        config.http2.targetWindowSize = min(max(maxRequestBytes, 1 << 16), 1 << 24)
        config.http2.maxFrameSize = 1 << 20
        let transport = HTTP2ServerTransport.Posix(address: .ipv4(host: host, port: port), transportSecurity: .plaintext, config: config)
        let server = GRPCServer(transport: transport, services: [GRPCInferenceService(state: state)])
        try await withGracefulShutdownHandler {
            try await withThrowingDiscardingTaskGroup { group in
                group.addTask { try await server.serve() }
                let address = try await transport.listeningAddress
                let line = "flexeg serve: gRPC listening on \(address.ipv4?.host ?? host):\(address.ipv4?.port ?? port)\n"
                FileHandle.standardOutput.write(Data(line.utf8))
            }
        } onGracefulShutdown: {
            server.beginGracefulShutdown()
        }
    }
}
