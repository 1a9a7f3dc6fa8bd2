@testable import FlexServer
import GRPCCore
import NIOCore
import NIOHPACK
import NIOHTTP2
import NIOPosix
import SwiftProtobuf

/// The frames the server sent on one stream, read the way a gRPC client reads them.
struct RawResponse {
    let frames: [HTTP2Frame.FramePayload]

    var headers: [HPACKHeaders] {
        frames.compactMap { if case .headers(let h) = $0 { h.headers } else { nil } }
    }
    var trailers: HPACKHeaders { headers.last ?? [:] }
    var grpcStatus: String? { trailers.first(name: "grpc-status") }
    var grpcMessage: String? { trailers.first(name: "grpc-message")?.removingPercentEncoding }
    var messages: [[UInt8]] {
        var deframer = GRPCMessageDeframer(maxMessageBytes: .max)
        var messages: [[UInt8]] = []
        for case .data(let data) in frames {
            if case .byteBuffer(let bytes) = data.data { deframer.append(bytes) }
            while let message = try? deframer.nextMessage() { messages.append(message) }
        }
        return messages
    }
}

/// One plaintext HTTP/2 connection whose streams the test writes frame by frame.
struct RawHTTP2Client {
    typealias Stream = NIOAsyncChannel<HTTP2Frame.FramePayload, HTTP2Frame.FramePayload>
    let channel: any Channel
    let multiplexer: NIOHTTP2Handler.AsyncStreamMultiplexer<Void>

    static func connect(port: Int) async throws -> RawHTTP2Client {
        let (channel, multiplexer) = try await ClientBootstrap(group: MultiThreadedEventLoopGroup.singleton)
            .connect(host: "127.0.0.1", port: port) { channel in
                channel.eventLoop.makeCompletedFuture {
                    let multiplexer = try channel.pipeline.syncOperations.configureAsyncHTTP2Pipeline(mode: .client) { stream in
                        stream.eventLoop.makeSucceededVoidFuture()
                    }
                    return (channel, multiplexer)
                }
            }
        return RawHTTP2Client(channel: channel, multiplexer: multiplexer)
    }

    func open() async throws -> Stream {
        try await multiplexer.openStream { stream in
            stream.eventLoop.makeCompletedFuture { try Stream(wrappingChannelSynchronously: stream) }
        }
    }

    /// Sends `frames` on a new stream; returns what the server sent until it ended or reset the stream.
    func exchange(_ frames: [HTTP2Frame.FramePayload]) async throws -> RawResponse {
        let stream = try await open()
        return try await stream.executeThenClose { inbound, outbound in
            try await outbound.write(contentsOf: frames)
            var received: [HTTP2Frame.FramePayload] = []
            do {
                for try await frame in inbound {
                    received.append(frame)
                    if case .headers(let headers) = frame, headers.endStream { break }
                    if case .data(let data) = frame, data.endStream { break }
                }
            } catch {
                // A reset after the trailers ends the stream too.
            }
            return RawResponse(frames: received)
        }
    }

    /// Sends `frames` on a new stream, waits for `after`, then resets the stream.
    func openAndReset(_ frames: [HTTP2Frame.FramePayload], after: () async -> Void) async throws {
        let stream = try await open()
        try await stream.executeThenClose { _, outbound in
            try await outbound.write(contentsOf: frames)
            await after()
            try await outbound.write(.rstStream(.cancel))
        }
    }

    func close() { channel.close(promise: nil) }

    /// A gRPC request's headers (pseudo-headers first, as HTTP/2 requires), with one part overridden.
    static func requestHeaders(_ method: MethodDescriptor, verb: String = "POST", path: String? = nil,
                               contentType: String = "application/grpc") -> HPACKHeaders {
        [":method": verb, ":scheme": "http", ":path": path ?? "/\(method.fullyQualifiedMethod)", ":authority": "localhost",
         "content-type": contentType, "te": "trailers"]
    }

    /// A unary RPC on a new stream: the gRPC status and message from the trailers, and the response
    /// (nil unless the status is 0, OK).
    func call<Response: SwiftProtobuf.Message>(_ method: MethodDescriptor, _ request: some SwiftProtobuf.Message,
                                               returning _: Response.Type = Response.self) async throws -> (status: String?, message: String?, response: Response?) {
        let framed = try GRPCMessageDeframer.frame(try request.serializedBytes() as [UInt8], allocator: ByteBufferAllocator())
        let reply = try await exchange([.headers(.init(headers: Self.requestHeaders(method))), .data(.init(data: .byteBuffer(framed), endStream: true))])
        guard reply.grpcStatus == "0", let bytes = reply.messages.first else { return (reply.grpcStatus, reply.grpcMessage, nil) }
        return (reply.grpcStatus, nil, try Response(serializedBytes: bytes))
    }
}
