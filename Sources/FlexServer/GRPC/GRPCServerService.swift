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
