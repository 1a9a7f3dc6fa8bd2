import Foundation
import GRPCCore
import NIOCore
import NIOHPACK

/// Splits a request stream's DATA bytes into gRPC's length-prefixed messages (gRPC over HTTP/2,
/// "Length-Prefixed-Message": a 1-byte compressed flag, a 4-byte big-endian length, the message).
///
/// A message's length is checked against the limit as soon as its 5-byte prefix arrives, so an
/// oversized message is refused before its bytes are buffered. Owned by one RPC's task.
struct GRPCMessageDeframer {
    /// The largest message accepted, in bytes (`--max-request-bytes`).
    let maxMessageBytes: Int
    private var buffer = ByteBuffer()

    init(maxMessageBytes: Int) {
        self.maxMessageBytes = maxMessageBytes
    }

    /// True when bytes of an unfinished message are buffered.
    var hasPartialMessage: Bool { buffer.readableBytes > 0 }

    mutating func append(_ bytes: ByteBuffer) {
        if buffer.readableBytes == 0 {
            buffer = bytes  // the common case, a message in one frame: no copy
        } else {
            buffer.writeImmutableBuffer(bytes)
        }
    }

    /// The next whole message, or nil until more bytes arrive.
    mutating func nextMessage() throws(RPCError) -> [UInt8]? {
        guard let flag = buffer.getInteger(at: buffer.readerIndex, as: UInt8.self),
              let length32 = buffer.getInteger(at: buffer.readerIndex + 1, as: UInt32.self) else { return nil }
        switch flag {
        case 0: break
        case 1:
            throw RPCError(code: .internalError, message: "a request message is compressed, but the request named no grpc-encoding (this server accepts identity only)")
        default:
            throw RPCError(code: .internalError, message: "a request message has compressed flag \(flag); gRPC allows 0 or 1")
        }
        let length = Int(length32)
        guard length <= maxMessageBytes else {
            throw RPCError(code: .resourceExhausted, message: "the request message is \(length) bytes, over the server's limit of \(maxMessageBytes) bytes (--max-request-bytes)")
        }
        guard buffer.readableBytes >= 5 + length else { return nil }
        buffer.moveReaderIndex(forwardBy: 5)
        let message = buffer.readBytes(length: length) ?? []
        if buffer.readableBytes == 0 {
            buffer = ByteBuffer()
        } else if buffer.readerIndex >= 1 << 16 {
            buffer.discardReadBytes()
        }
        return message
    }

    /// `message` with its 5-byte prefix (uncompressed), ready for one DATA frame.
    static func frame(_ message: [UInt8], allocator: ByteBufferAllocator) throws(RPCError) -> ByteBuffer {
        guard let length = UInt32(exactly: message.count) else {
            throw RPCError(code: .resourceExhausted, message: "the response message is \(message.count) bytes; gRPC's length prefix holds at most \(UInt32.max)")
        }
        var buffer = allocator.buffer(capacity: 5 + message.count)
        buffer.writeInteger(UInt8(0))
        buffer.writeInteger(length)
        buffer.writeBytes(message)
        return buffer
    }
}

/// gRPC's header conventions: custom metadata as HTTP/2 headers (binary values base64 under `-bin`
/// keys) and `grpc-message`'s percent-encoding.
enum GRPCHeaders {
    /// A request's custom metadata: every header but the pseudo-headers, `-bin` values decoded.
    /// `grpc-timeout` stays in, for GRPCCore's deadline.
    static func metadata(from headers: HPACKHeaders) -> Metadata {
        var metadata = Metadata()
        for (name, value, _) in headers where !name.hasPrefix(":") {
            if name.hasSuffix("-bin") {
                if let bytes = decodeBase64(value) { metadata.addBinary(bytes, forKey: name) }
            } else {
                metadata.addString(value, forKey: name)
            }
        }
        return metadata
    }

    /// Appends `metadata` to response headers or trailers, skipping keys HTTP/2 or gRPC reserve.
    static func append(_ metadata: Metadata, to headers: inout HPACKHeaders) {
        for (key, value) in metadata {
            let name = key.lowercased()
            if name.hasPrefix(":") || name == "content-type" || name == "grpc-status" || name == "grpc-message" { continue }
            switch value {
            case .string(let text): headers.add(name: name, value: text)
            case .binary(let bytes): headers.add(name: name.hasSuffix("-bin") ? name : name + "-bin", value: Data(bytes).base64EncodedString())
            }
        }
    }

    /// `grpc-message`'s encoding: bytes outside printable ASCII, and `%`, become `%XX`.
    static func percentEncoded(_ message: String) -> String {
        var encoded = ""
        encoded.reserveCapacity(message.utf8.count)
        for byte in message.utf8 {
            if byte >= 0x20 && byte <= 0x7E && byte != UInt8(ascii: "%") {
                encoded.unicodeScalars.append(Unicode.Scalar(byte))
            } else {
                encoded += "%" + String(byte, radix: 16, uppercase: true).leftPadded(to: 2)
            }
        }
        return encoded
    }

    /// Base64 with or without padding (gRPC senders may omit it).
    private static func decodeBase64(_ text: String) -> [UInt8]? {
        let padding = (4 - text.utf8.count % 4) % 4
        return Data(base64Encoded: text + String(repeating: "=", count: padding)).map { [UInt8]($0) }
    }
}

private extension String {
    func leftPadded(to width: Int) -> String {
        count >= width ? self : String(repeating: "0", count: width - count) + self
    }
}
