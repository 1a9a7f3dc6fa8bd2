import Foundation
import GRPCCore
import NIOCore
import NIOHPACK
import NIOHTTP2
import NIOPosix
import Testing
@testable import FlexServer

/// `H2CServerTransport` at the HTTP/2 frame level: a raw NIOHTTP2 client sends well-formed and broken
/// requests to a real `GRPCServer` on loopback and reads back every frame. (`TritonClientTests` drive
/// the same transport with tritonclient's gRPC client.)
@Suite(.serialized)
struct GRPCTransportTests {
    static let echo = MethodDescriptor(fullyQualifiedService: "flexeg.test.Echo", method: "Echo", type: .bidirectionalStreaming)
    static let hold = MethodDescriptor(fullyQualifiedService: "flexeg.test.Echo", method: "Hold", type: .unary)

    @Test func messagesSplitAcrossFramesAndPackedIntoOneAreEchoedInOrder() async throws {
        try await withServer { port, _ in
            let client = try await RawHTTP2Client.connect(port: port)
            defer { client.close() }
            let big = [UInt8]((0..<100_000).map { UInt8(truncatingIfNeeded: $0 &* 7) })
            var packed = frame([1, 2, 3])
            packed.writeImmutableBuffer(frame([]))
            packed.writeImmutableBuffer(frame([9]))
            var bigFrame = frame(big)
            // The big message arrives in 7-byte DATA frames' worth of slices, prefix split too.
            var pieces: [HTTP2Frame.FramePayload] = [.headers(.init(headers: requestHeaders(Self.echo)))]
            pieces.append(.data(.init(data: .byteBuffer(packed))))
            while bigFrame.readableBytes > 0 {
                let slice = bigFrame.readSlice(length: min(7_001, bigFrame.readableBytes))!
                pieces.append(.data(.init(data: .byteBuffer(slice))))
            }
            pieces.append(.data(.init(data: .byteBuffer(ByteBuffer()), endStream: true)))
            let response = try await client.exchange(pieces)
            #expect(response.headers.first?.first(name: ":status") == "200")
            #expect(response.grpcStatus == "0", "\(response.trailers)")
            #expect(response.messages == [[1, 2, 3], [], [9], big])
        }
    }

    @Test func anOversizedMessageIsRefusedFromItsPrefixNamingTheLimit() async throws {
        try await withServer(maxMessageBytes: 1000) { port, _ in
            let client = try await RawHTTP2Client.connect(port: port)
            defer { client.close() }
            // Only the prefix of a 5000-byte message is sent: the answer must not wait for the rest.
            var prefix = ByteBuffer()
            prefix.writeInteger(UInt8(0))
            prefix.writeInteger(UInt32(5000))
            let response = try await client.exchange([
                .headers(.init(headers: requestHeaders(Self.echo))), .data(.init(data: .byteBuffer(prefix))),
            ])
            #expect(response.grpcStatus == "8", "\(response.trailers)")  // RESOURCE_EXHAUSTED
            #expect(response.grpcMessage?.contains("5000 bytes") == true, "\(response.trailers)")
            #expect(response.grpcMessage?.contains("--max-request-bytes") == true, "\(response.trailers)")
        }
    }

    @Test func requestsThatAreNotGRPCGetHTTPAndGRPCErrors() async throws {
        try await withServer { port, _ in
            let client = try await RawHTTP2Client.connect(port: port)
            defer { client.close() }
            let get = requestHeaders(Self.echo, verb: "GET")
            #expect(try await client.exchange([.headers(.init(headers: get, endStream: true))]).headers.first?.first(name: ":status") == "405")

            let json = requestHeaders(Self.echo, contentType: "application/json")
            #expect(try await client.exchange([.headers(.init(headers: json, endStream: true))]).headers.first?.first(name: ":status") == "415")

            var gzip = requestHeaders(Self.echo)
            gzip.add(name: "grpc-encoding", value: "gzip")
            let compressed = try await client.exchange([.headers(.init(headers: gzip, endStream: true))])
            #expect(compressed.grpcStatus == "12")  // UNIMPLEMENTED
            #expect(compressed.trailers.first(name: "grpc-accept-encoding") == "identity")

            var flagged = ByteBuffer()
            flagged.writeInteger(UInt8(1))
            flagged.writeInteger(UInt32(1))
            flagged.writeInteger(UInt8(42))
            let flaggedResponse = try await client.exchange([
                .headers(.init(headers: requestHeaders(Self.echo))), .data(.init(data: .byteBuffer(flagged), endStream: true)),
            ])
            #expect(flaggedResponse.grpcStatus == "13", "\(flaggedResponse.trailers)")  // INTERNAL
            #expect(flaggedResponse.grpcMessage?.contains("compressed") == true)

            var truncated = frame([1, 2, 3, 4])
            truncated.moveWriterIndex(to: truncated.writerIndex - 2)
            let truncatedResponse = try await client.exchange([
                .headers(.init(headers: requestHeaders(Self.echo))), .data(.init(data: .byteBuffer(truncated), endStream: true)),
            ])
            #expect(truncatedResponse.grpcStatus == "13", "\(truncatedResponse.trailers)")
            #expect(truncatedResponse.grpcMessage?.contains("middle of a message") == true)

            let unknown = MethodDescriptor(fullyQualifiedService: "flexeg.test.Echo", method: "Nope")
            #expect(try await client.exchange([.headers(.init(headers: requestHeaders(unknown), endStream: true))]).grpcStatus == "12")
            let badPath = requestHeaders(Self.echo, path: "/no-method")
            let badPathResponse = try await client.exchange([.headers(.init(headers: badPath, endStream: true))])
            #expect(badPathResponse.grpcStatus == "12")
            #expect(badPathResponse.grpcMessage?.contains("/no-method") == true, "\(badPathResponse.trailers)")

            // After all that, the same connection still serves.
            let fine = try await client.exchange([
                .headers(.init(headers: requestHeaders(Self.echo))), .data(.init(data: .byteBuffer(frame([7])), endStream: true)),
            ])
            #expect(fine.messages == [[7]] && fine.grpcStatus == "0")
        }
    }

    @Test func grpcMessageIsPercentEncoded() {
        #expect(GRPCHeaders.percentEncoded("50% of ü\n") == "50%25 of %C3%BC%0A")
        #expect(GRPCHeaders.percentEncoded("plain text") == "plain text")
    }

    @Test func aClientResetCancelsItsHandlerAndTheConnectionServesOn() async throws {
        try await withServer { port, events in
            let client = try await RawHTTP2Client.connect(port: port)
            defer { client.close() }
            // Hold's handler waits for its own cancellation; the reset must deliver it.
            var reported = events.stream.makeAsyncIterator()
            try await client.openAndReset([.headers(.init(headers: requestHeaders(Self.hold))), .data(.init(data: .byteBuffer(frame([1])), endStream: true))],
                                          after: { #expect(await reported.next() == "hold started") })
            #expect(await reported.next() == "hold cancelled")
            let fine = try await client.exchange([
                .headers(.init(headers: requestHeaders(Self.echo))), .data(.init(data: .byteBuffer(frame([5])), endStream: true)),
            ])
            #expect(fine.messages == [[5]])
        }
    }

    @Test func gracefulShutdownLetsTheRunningRPCFinishAndClosesIdleConnections() async throws {
        let events = Events()
        let transport = try await H2CServerTransport.bind(host: "127.0.0.1", port: 0, maxMessageBytes: 1 << 20, windowBytes: 1 << 20)
        let server = GRPCServer(transport: transport, services: [EchoService(events: events)])
        let port = try #require(transport.localAddress?.port)
        let serving = Task { try await server.serve() }
        let idle = try await RawHTTP2Client.connect(port: port)
        let busy = try await RawHTTP2Client.connect(port: port)
        defer { idle.close(); busy.close() }
        _ = try await idle.exchange([.headers(.init(headers: requestHeaders(Self.echo))), .data(.init(data: .byteBuffer(frame([1])), endStream: true))])
        // A streaming RPC is open on `busy` when shutdown begins; it must still complete.
        let stream = try await busy.open()
        let rest = try await stream.executeThenClose { inbound, outbound in
            try await outbound.write(contentsOf: [.headers(.init(headers: requestHeaders(Self.echo))), .data(.init(data: .byteBuffer(frame([3]))))])
            var inbound = inbound.makeAsyncIterator()
            // Up to the echo of [3] (response headers first; the frames can come split or with others between).
            var first: [HTTP2Frame.FramePayload] = []
            while RawResponse(frames: first).messages != [[3]], let frame = try await inbound.next() { first.append(frame) }
            #expect(RawResponse(frames: first).messages == [[3]])
            server.beginGracefulShutdown()
            try await idle.channel.closeFuture.get()  // the idle connection is closed by the server
            try await outbound.write(.data(.init(data: .byteBuffer(frame([4])), endStream: true)))
            var rest: [HTTP2Frame.FramePayload] = []
            while let frame = try await inbound.next() { rest.append(frame) }
            return rest
        }
        #expect(RawResponse(frames: rest).messages == [[4]])
        #expect(RawResponse(frames: rest).grpcStatus == "0")
        try await serving.value  // serve() returns once the busy connection's last RPC is done
        try await busy.channel.closeFuture.get()
    }

    // MARK: - Helpers

    private func withServer(maxMessageBytes: Int = 1 << 20, _ body: (Int, Events) async throws -> Void) async throws {
        let events = Events()
        let transport = try await H2CServerTransport.bind(host: "127.0.0.1", port: 0, maxMessageBytes: maxMessageBytes, windowBytes: 1 << 16)
        let server = GRPCServer(transport: transport, services: [EchoService(events: events)])
        let port = try #require(transport.localAddress?.port)
        try await withThrowingTaskGroup { group in
            group.addTask { try await server.serve() }
            defer { server.beginGracefulShutdown() }
            try await body(port, events)
        }
    }

    private func requestHeaders(_ method: MethodDescriptor, verb: String = "POST", path: String? = nil,
                                contentType: String = "application/grpc") -> HPACKHeaders {
        RawHTTP2Client.requestHeaders(method, verb: verb, path: path, contentType: contentType)
    }

    private func frame(_ message: [UInt8]) -> ByteBuffer {
        try! GRPCMessageDeframer.frame(message, allocator: ByteBufferAllocator())
    }
}

/// Echo: each request message back, in order. Hold: reports it started, then waits to be cancelled.
private struct EchoService: RegistrableRPCService {
    let events: Events

    func registerMethods<Transport: ServerTransport>(with router: inout RPCRouter<Transport>) {
        router.registerHandler(forMethod: GRPCTransportTests.echo, deserializer: RawBytes(), serializer: RawBytes()) { request, _ in
            StreamingServerResponse { writer in
                for try await message in request.messages { try await writer.write(message) }
                return [:]
            }
        }
        let events = self.events
        router.registerHandler(forMethod: GRPCTransportTests.hold, deserializer: RawBytes(), serializer: RawBytes()) { request, context in
            StreamingServerResponse { writer in
                for try await _ in request.messages {}
                events.send("hold started")
                while !context.cancellation.isCancelled { try? await Task.sleep(for: .milliseconds(5)) }
                events.send("hold cancelled")
                return [:]
            }
        }
    }
}

private struct RawBytes: MessageSerializer, MessageDeserializer {
    func serialize<Bytes: GRPCContiguousBytes>(_ message: [UInt8]) throws -> Bytes { Bytes(message) }
    func deserialize<Bytes: GRPCContiguousBytes>(_ bytes: Bytes) throws -> [UInt8] { bytes.withUnsafeBytes { [UInt8]($0) } }
}

/// Lines the test service reports; the test reads them in order from `stream`.
private final class Events: Sendable {
    let stream: AsyncStream<String>
    private let continuation: AsyncStream<String>.Continuation

    init() {
        (stream, continuation) = AsyncStream.makeStream(of: String.self)
    }

    func send(_ event: String) { continuation.yield(event) }
}
