import FlexRuntime
import GRPCCore
import NIOCore
import NIOHPACK
import NIOHTTP2

/// An HTTP/2 stream as NIO hands it to async code: request frames in, response frames out.
typealias HTTP2StreamChannel = NIOAsyncChannel<HTTP2Frame.FramePayload, HTTP2Frame.FramePayload>

/// Serves one RPC on one HTTP/2 stream: checks the request head, hands GRPCCore the request as
/// `RPCRequestPart`s and writes its `RPCResponsePart`s back as HEADERS, DATA and trailers.
/// Runs in the task the transport starts for the stream; that task owns the stream.
enum GRPCServerStream {
    typealias Handler = @Sendable (RPCStream<H2CServerTransport.Inbound, H2CServerTransport.Outbound>, ServerContext) async -> Void

    static func serve(_ stream: HTTP2StreamChannel, peers: (remote: String, local: String), methods: [String: MethodDescriptor],
                      maxMessageBytes: Int, handler: Handler) async {
        let channel = stream.channel
        // A client reset, a dropped connection and the end of the RPC all close the stream channel; the
        // handle tells GRPCCore, which cancels the handler if it still runs.
        let cancellation = ServerContext.RPCCancellationHandle()
        channel.closeFuture.whenComplete { _ in cancellation.cancel() }
        try? await stream.executeThenClose { inbound, outbound in
            let frames = InboundFrames(inbound.makeAsyncIterator())
            guard case .headers(let head)? = try await frames.next() else { return }
            let descriptor: MethodDescriptor
            switch RequestHead.check(head.headers, methods: methods) {
            case .refused(let response):
                try await outbound.write(.headers(.init(headers: response, endStream: true)))
                return
            case .accepted(let method):
                descriptor = method
            }
            if head.endStream { frames.sawEndStream = true }
            let parts = RequestParts(metadata: GRPCHeaders.metadata(from: head.headers), frames: frames, maxMessageBytes: maxMessageBytes)
            let writer = ResponseWriter(outbound: outbound, allocator: channel.allocator)
            let rpc = RPCStream(descriptor: descriptor, inbound: RPCAsyncSequence(wrapping: parts), outbound: RPCWriter.Closable(wrapping: writer))
            await handler(rpc, ServerContext(descriptor: descriptor, remotePeer: peers.remote, localPeer: peers.local, cancellation: cancellation))
            await writer.finish()
            // The trailers may still wait behind DATA for the client's flow-control window. Closing now
            // would reset the stream and drop them, so let the stream close itself once they are out
            // (a client that has ended its side; one that has not is reset when we leave).
            if frames.sawEndStream { try? await channel.closeFuture.get() }
        }
    }
}

/// What a request's HEADERS frame decides: the method to run, or an immediate response.
private enum RequestHead {
    case accepted(MethodDescriptor)
    case refused(HPACKHeaders)

    static func check(_ headers: HPACKHeaders, methods: [String: MethodDescriptor]) -> RequestHead {
        guard headers.first(name: ":method") == "POST" else { return .refused([":status": "405"]) }
        guard let contentType = headers.first(name: "content-type"), contentType.hasPrefix("application/grpc") else {
            return .refused([":status": "415"])
        }
        if let encoding = headers.first(name: "grpc-encoding"), encoding != "identity" {
            var response = ResponseWriter.trailersOnly(Status(code: .unimplemented, message: "grpc-encoding '\(encoding)' is not supported; this server accepts identity (uncompressed) messages only"))
            response.add(name: "grpc-accept-encoding", value: "identity")
            return .refused(response)
        }
        let path = headers.first(name: ":path") ?? ""
        if let method = methods[path] { return .accepted(method) }
        // Not registered: GRPCCore's router answers UNIMPLEMENTED for a well-formed name.
        let components = path.split(separator: "/", omittingEmptySubsequences: false)
        guard components.count == 3, components[0].isEmpty, !components[1].isEmpty, !components[2].isEmpty else {
            return .refused(ResponseWriter.trailersOnly(Status(code: .unimplemented, message: "':path' must be /<package.Service>/<Method>, got '\(path)'")))
        }
        return .accepted(MethodDescriptor(fullyQualifiedService: String(components[1]), method: String(components[2])))
    }
}

/// The stream's inbound frames, shared by the head check and the request parts. GRPCCore reads a
/// request from one task at a time, so the iterator is never used concurrently.
private final class InboundFrames: @unchecked Sendable {
    private var iterator: NIOAsyncChannelInboundStream<HTTP2Frame.FramePayload>.AsyncIterator
    /// Whether the client has ended its side of the stream.
    var sawEndStream = false

    init(_ iterator: NIOAsyncChannelInboundStream<HTTP2Frame.FramePayload>.AsyncIterator) {
        self.iterator = iterator
    }

    func next() async throws -> HTTP2Frame.FramePayload? {
        try await iterator.next()
    }
}

/// The request as GRPCCore reads it: its metadata, then each message.
private struct RequestParts: AsyncSequence, Sendable {
    typealias Element = RPCRequestPart<[UInt8]>

    let metadata: Metadata
    let frames: InboundFrames
    let maxMessageBytes: Int

    func makeAsyncIterator() -> Iterator {
        Iterator(metadata: metadata, frames: frames, deframer: GRPCMessageDeframer(maxMessageBytes: maxMessageBytes))
    }

    struct Iterator: AsyncIteratorProtocol {
        var metadata: Metadata?
        let frames: InboundFrames
        var deframer: GRPCMessageDeframer

        mutating func next() async throws -> RPCRequestPart<[UInt8]>? {
            if let metadata {
                self.metadata = nil
                return .metadata(metadata)
            }
            while true {
                if let message = try deframer.nextMessage() { return .message(message) }
                if frames.sawEndStream {
                    guard !deframer.hasPartialMessage else {
                        throw RPCError(code: .internalError, message: "the request stream ended in the middle of a message")
                    }
                    return nil
                }
                let frame: HTTP2Frame.FramePayload?
                do { frame = try await frames.next() } catch {
                    throw RPCError(code: .cancelled, message: "the client reset the stream", cause: error)
                }
                switch frame {
                case .data(let data)?:
                    if case .byteBuffer(let bytes) = data.data { deframer.append(bytes) }
                    if data.endStream { frames.sawEndStream = true }
                case .headers(let trailers)?:
                    // Request trailers carry nothing gRPC uses; they end the request.
                    if trailers.endStream { frames.sawEndStream = true }
                case nil, .rstStream?:
                    throw RPCError(code: .cancelled, message: "the client closed the stream before ending its request")
                default:
                    continue
                }
            }
        }
    }
}

/// Writes an RPC's response parts as HTTP/2 frames: the headers go out with the first message (or as
/// a trailers-only response when there is none), each message as one DATA frame, the status as
/// trailers that end the stream. GRPCCore writes from one task at a time; the lock makes the state
/// safe to reach from whichever task that is.
private final class ResponseWriter: ClosableRPCWriterProtocol {
    typealias Element = RPCResponsePart<[UInt8]>

    private struct State {
        var pendingHeaders: HPACKHeaders?
        var sentHeaders = false
        var ended = false
    }

    private let outbound: NIOAsyncChannelOutboundWriter<HTTP2Frame.FramePayload>
    private let allocator: ByteBufferAllocator
    private let state = Locked(State())

    init(outbound: NIOAsyncChannelOutboundWriter<HTTP2Frame.FramePayload>, allocator: ByteBufferAllocator) {
        self.outbound = outbound
        self.allocator = allocator
    }

    static let responseHeaders: HPACKHeaders = [":status": "200", "content-type": "application/grpc"]

    /// A response that is only trailers: `:status`, content type and the status in one HEADERS frame.
    static func trailersOnly(_ status: Status, trailers: Metadata = [:]) -> HPACKHeaders {
        var headers = responseHeaders
        appendStatus(status, trailers: trailers, to: &headers)
        return headers
    }

    private static func appendStatus(_ status: Status, trailers: Metadata, to headers: inout HPACKHeaders) {
        headers.add(name: "grpc-status", value: String(status.code.rawValue))
        if !status.message.isEmpty { headers.add(name: "grpc-message", value: GRPCHeaders.percentEncoded(status.message)) }
        GRPCHeaders.append(trailers, to: &headers)
    }

    func write(_ element: Element) async throws {
        try await write(contentsOf: CollectionOfOne(element))
    }

    func write(contentsOf elements: some Sequence<Element>) async throws {
        var frames: [HTTP2Frame.FramePayload] = []
        for element in elements {
            let data: ByteBuffer?
            if case .message(let message) = element { data = try GRPCMessageDeframer.frame(message, allocator: allocator) } else { data = nil }
            try state.withLock { state throws(RPCError) in
                guard !state.ended else { throw RPCError(code: .internalError, message: "the RPC's response has already ended") }
                switch element {
                case .metadata(let metadata):
                    guard !state.sentHeaders else { throw RPCError(code: .internalError, message: "the RPC's response headers were already sent") }
                    var headers = Self.responseHeaders
                    GRPCHeaders.append(metadata, to: &headers)
                    state.pendingHeaders = headers
                case .message:
                    if !state.sentHeaders {
                        frames.append(.headers(.init(headers: state.pendingHeaders ?? Self.responseHeaders)))
                        state.sentHeaders = true
                        state.pendingHeaders = nil
                    }
                    frames.append(.data(.init(data: .byteBuffer(data!))))
                case .status(let status, let trailers):
                    if state.sentHeaders || state.pendingHeaders != nil {
                        if let pending = state.pendingHeaders { frames.append(.headers(.init(headers: pending))) }
                        var headers = HPACKHeaders()
                        Self.appendStatus(status, trailers: trailers, to: &headers)
                        frames.append(.headers(.init(headers: headers, endStream: true)))
                    } else {
                        frames.append(.headers(.init(headers: Self.trailersOnly(status, trailers: trailers), endStream: true)))
                    }
                    state.sentHeaders = true
                    state.pendingHeaders = nil
                    state.ended = true
                }
            }
        }
        try await outbound.write(contentsOf: frames)
    }

    /// Ends the response; one that has no status yet gets INTERNAL, so the client is never left waiting.
    func finish() async {
        await end(Status(code: .internalError, message: "the server ended the RPC without a status"))
    }

    func finish(throwing error: any Error) async {
        if let error = error as? RPCError {
            await end(Status(code: Status.Code(error.code), message: error.message))
        } else {
            await end(Status(code: .unknown, message: "\(error)"))
        }
    }

    private func end(_ status: Status) async {
        let open = state.withLock { !$0.ended }
        if open { try? await write(.status(status, [:])) }
    }
}
