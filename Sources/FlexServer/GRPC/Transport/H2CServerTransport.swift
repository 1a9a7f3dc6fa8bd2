import FlexRuntime
import GRPCCore
import NIOCore
import NIOHPACK
import NIOHTTP2
import NIOPosix

/// GRPCCore's server transport over plaintext HTTP/2 ("h2c", prior knowledge), on SwiftNIO.
///
/// FlexEG serves gRPC on loopback or inside a cluster network, never with TLS, so this transport
/// has no TLS stack: it replaces grpc-swift-nio-transport, whose HTTP/2 transport links BoringSSL
/// twice over (through swift-nio-ssl and swift-certificates) even for plaintext.
///
/// `bind` opens the socket (so a busy port fails start-up with the system's error and the caller can
/// print the address); `GRPCServer.serve()` then calls `listen`, which accepts connections and runs
/// each HTTP/2 stream as one RPC in its own task. `beginGracefulShutdown` stops accepting, sends
/// every connection a GOAWAY, and closes each connection once its last RPC has finished.
final class H2CServerTransport: ServerTransport {
    typealias Bytes = [UInt8]

    /// Where the socket listens (the port the system chose when bound to port 0).
    let localAddress: SocketAddress?
    private let server: NIOAsyncChannel<Connection, Never>
    private let maxMessageBytes: Int
    private let methods = Locked<[String: MethodDescriptor]>([:])
    private let connections = ConnectionRegistry()

    private init(server: NIOAsyncChannel<Connection, Never>, maxMessageBytes: Int) {
        self.server = server
        self.localAddress = server.channel.localAddress
        self.maxMessageBytes = maxMessageBytes
    }

    /// Binds `host:port`.
    /// - Parameters:
    ///   - maxMessageBytes: the largest request message accepted; larger ones get RESOURCE_EXHAUSTED.
    ///   - windowBytes: the HTTP/2 flow-control window offered per stream and per connection. A
    ///     window as large as a request lets it arrive in one flight instead of waiting for updates.
    ///   - maxFrameBytes: the largest HTTP/2 frame the client may send (16 KiB to 16 MiB).
    static func bind(host: String, port: Int, maxMessageBytes: Int, windowBytes: Int, maxFrameBytes: Int = 1 << 20) async throws -> H2CServerTransport {
        var http2 = NIOHTTP2Handler.Configuration()
        let window = min(max(windowBytes, 1 << 16 - 1), Int(Int32.max))
        http2.connection.targetWindowSize = window
        http2.stream.targetWindowSize = window
        http2.connection.initialSettings = [
            HTTP2Setting(parameter: .enablePush, value: 0),
            HTTP2Setting(parameter: .maxConcurrentStreams, value: 1024),
            HTTP2Setting(parameter: .initialWindowSize, value: window),
            HTTP2Setting(parameter: .maxFrameSize, value: min(max(maxFrameBytes, 1 << 14), (1 << 24) - 1)),
            HTTP2Setting(parameter: .maxHeaderListSize, value: HPACKDecoder.defaultMaxHeaderListSize),
        ]
        let configuration = http2
        let server = try await ServerBootstrap(group: MultiThreadedEventLoopGroup.singleton)
            .serverChannelOption(.backlog, value: 256)
            .serverChannelOption(.socketOption(.so_reuseaddr), value: 1)
            .childChannelOption(.socketOption(.tcp_nodelay), value: 1)
            .bind(host: host, port: port) { channel in
                channel.eventLoop.makeCompletedFuture {
                    let streams = try channel.pipeline.syncOperations.configureAsyncHTTP2Pipeline(mode: .server, configuration: configuration) { stream in
                        stream.eventLoop.makeCompletedFuture { try HTTP2StreamChannel(wrappingChannelSynchronously: stream) }
                    }
                    return Connection(channel: channel, streams: streams)
                }
            }
        return H2CServerTransport(server: server, maxMessageBytes: maxMessageBytes)
    }

    func configure(context: GRPCServerContext) {
        methods.withLock { table in
            for method in context.methods { table["/\(method.fullyQualifiedMethod)"] = method }
        }
    }

    func listen(streamHandler: @escaping @Sendable (RPCStream<Inbound, Outbound>, ServerContext) async -> Void) async throws {
        let methods = self.methods.withLock { $0 }
        try await withThrowingDiscardingTaskGroup { group in
            try await server.executeThenClose { accepted in
                for try await connection in accepted {
                    // The connection's tasks, its streams' included, run on its event loop (as REST's do):
                    // HTTP/2 frames and the handlers' messages then pass without thread hops.
                    group.addTask {
                        await withTaskExecutorPreference(EventLoopTaskExecutor(connection.channel.eventLoop)) {
                            await self.serve(connection, methods: methods, handler: streamHandler)
                        }
                    }
                }
            }
        }
    }

    func beginGracefulShutdown() {
        server.channel.close(promise: nil)
        connections.drainAll()
    }

    /// Runs one connection's streams until the client goes away or a drain closes it.
    private func serve(_ connection: Connection, methods: [String: MethodDescriptor], handler: @escaping GRPCServerStream.Handler) async {
        let channel = connection.channel
        let peers = (remote: Self.describe(channel.remoteAddress), local: Self.describe(channel.localAddress))
        let id = connections.register(channel)
        defer {
            connections.remove(id)
            channel.close(promise: nil)
        }
        await withDiscardingTaskGroup { group in
            do {
                for try await stream in connection.streams.inbound {
                    connections.streamOpened(id)
                    group.addTask {
                        await GRPCServerStream.serve(stream, peers: peers, methods: methods, maxMessageBytes: self.maxMessageBytes, handler: handler)
                        self.connections.streamClosed(id)
                    }
                }
            } catch {
                // The connection failed (a protocol error or a reset); its streams end with it.
            }
        }
    }

    /// gRPC's peer notation: `ipv4:127.0.0.1:50051`, `ipv6:[::1]:50051`, `unix:/path`.
    private static func describe(_ address: SocketAddress?) -> String {
        switch address {
        case .v4(let v4)?: "ipv4:\(v4.host):\(address?.port ?? 0)"
        case .v6(let v6)?: "ipv6:[\(v6.host)]:\(address?.port ?? 0)"
        case .unixDomainSocket?: "unix:\(address?.pathname ?? "")"
        case nil: "unknown"
        }
    }
}

/// An accepted TCP connection and its HTTP/2 streams as they open.
private struct Connection: Sendable {
    let channel: any Channel
    let streams: NIOHTTP2Handler.AsyncStreamMultiplexer<HTTP2StreamChannel>
}

/// The open connections and how many RPCs each runs, so a graceful shutdown can close every
/// connection as soon as it is idle. Any task may call in; the lock guards the table.
private final class ConnectionRegistry: Sendable {
    private struct Entry {
        let channel: any Channel
        var openStreams = 0
        var draining = false
    }

    private struct Table {
        var entries: [ObjectIdentifier: Entry] = [:]
        var draining = false
    }

    private let table = Locked(Table())

    func register(_ channel: any Channel) -> ObjectIdentifier {
        let id = ObjectIdentifier(channel)
        let drainNow = table.withLock { table in
            table.entries[id] = Entry(channel: channel, draining: table.draining)
            return table.draining
        }
        if drainNow { Self.goAway(channel, close: true) }
        return id
    }

    func remove(_ id: ObjectIdentifier) {
        _ = table.withLock { $0.entries.removeValue(forKey: id) }
    }

    func streamOpened(_ id: ObjectIdentifier) {
        table.withLock { $0.entries[id]?.openStreams += 1 }
    }

    func streamClosed(_ id: ObjectIdentifier) {
        let idle: (any Channel)? = table.withLock { table in
            guard var entry = table.entries[id] else { return nil }
            entry.openStreams -= 1
            table.entries[id] = entry
            return entry.draining && entry.openStreams == 0 ? entry.channel : nil
        }
        idle?.close(promise: nil)
    }

    /// GOAWAY to every connection; the idle ones close now, the others after their last RPC.
    func drainAll() {
        let toDrain: [(channel: any Channel, idle: Bool)] = table.withLock { table in
            table.draining = true
            var list: [(channel: any Channel, idle: Bool)] = []
            for (id, entry) in table.entries where !entry.draining {
                table.entries[id]?.draining = true
                list.append((entry.channel, entry.openStreams == 0))
            }
            return list
        }
        for connection in toDrain { Self.goAway(connection.channel, close: connection.idle) }
    }

    /// A GOAWAY that lets in-flight streams finish (the last stream ID is the highest possible).
    private static func goAway(_ channel: any Channel, close: Bool) {
        let frame = HTTP2Frame(streamID: .rootStream, payload: .goAway(lastStreamID: .maxID, errorCode: .noError, opaqueData: nil))
        channel.writeAndFlush(frame).whenComplete { _ in
            if close { channel.close(promise: nil) }
        }
    }
}
