import NIOCore
import NIOHTTP1
import NIOPosix

/// One keep-alive HTTP/1.1 connection to a loopback port, its requests sent one at a time. It is
/// SwiftNIO on both ends, so when the server runs in the test's process ThreadSanitizer sees every
/// thread a request crosses (URLSession's libcurl threads it cannot).
struct HTTP1Connection {
    typealias Channel = NIOAsyncChannel<HTTPClientResponsePart, HTTPClientRequestPart>

    struct Reply: Sendable {
        let status: Int
        let headers: HTTPHeaders
        let body: [UInt8]
        var text: String { String(decoding: body, as: UTF8.self) }
    }

    /// The server closed the connection before its reply was complete.
    struct ClosedEarly: Error {}

    private var inbound: NIOAsyncChannelInboundStream<HTTPClientResponsePart>.AsyncIterator
    private let outbound: NIOAsyncChannelOutboundWriter<HTTPClientRequestPart>

    /// Connects to 127.0.0.1:`port`, runs `body` with the connection, then closes it.
    static func with<Result: Sendable>(port: Int, _ body: (inout HTTP1Connection) async throws -> Result) async throws -> Result {
        let channel = try await ClientBootstrap(group: MultiThreadedEventLoopGroup.singleton)
            .connect(host: "127.0.0.1", port: port) { channel in
                channel.eventLoop.makeCompletedFuture {
                    try channel.pipeline.syncOperations.addHTTPClientHandlers()
                    return try Channel(wrappingChannelSynchronously: channel)
                }
            }
        return try await channel.executeThenClose { inbound, outbound in
            var connection = HTTP1Connection(inbound: inbound.makeAsyncIterator(), outbound: outbound)
            return try await body(&connection)
        }
    }

    /// One request on a fresh connection.
    static func request(port: Int, _ method: HTTPMethod, _ path: String, body: [UInt8] = [], headers: [(String, String)] = []) async throws -> Reply {
        try await with(port: port) { connection in try await connection.request(method, path, body: body, headers: headers) }
    }

    /// Sends a request for `path` (no leading slash) and reads its whole reply.
    mutating func request(_ method: HTTPMethod, _ path: String, body: [UInt8] = [], headers: [(String, String)] = []) async throws -> Reply {
        try await outbound.write(.head(Self.head(method, path, contentLength: body.count, headers: headers)))
        if !body.isEmpty { try await outbound.write(.body(.byteBuffer(ByteBuffer(bytes: body)))) }
        try await outbound.write(.end(nil))

        var status = 0, replyHeaders = HTTPHeaders(), replyBody: [UInt8] = []
        while let part = try await inbound.next() {
            switch part {
            case .head(let head):
                status = Int(head.status.code)
                replyHeaders = head.headers
            case .body(let bytes):
                replyBody.append(contentsOf: bytes.readableBytesView)
            case .end:
                return Reply(status: status, headers: replyHeaders, body: replyBody)
            }
        }
        throw ClosedEarly()
    }

    /// Announces a `announced`-byte body for `path` but sends only `sent` bytes of it; the caller then
    /// closes the connection, as a client that gives up mid-upload does.
    mutating func sendTruncated(_ path: String, announced: Int, sent: Int) async throws {
        try await outbound.write(.head(Self.head(.POST, path, contentLength: announced, headers: [])))
        try await outbound.write(.body(.byteBuffer(ByteBuffer(repeating: UInt8(ascii: "{"), count: sent))))
    }

    private static func head(_ method: HTTPMethod, _ path: String, contentLength: Int, headers: [(String, String)]) -> HTTPRequestHead {
        var head = HTTPRequestHead(version: .http1_1, method: method, uri: "/" + path)
        head.headers.add(name: "Host", value: "127.0.0.1")
        head.headers.add(name: "Content-Length", value: "\(contentLength)")
        for (name, value) in headers { head.headers.add(name: name, value: value) }
        return head
    }
}
