import Hummingbird
import HummingbirdCore
import Logging
import NIOCore

/// Hummingbird's HTTP/1.1 child channel with reads sized for inference requests.
///
/// A ResNet-50 or MobileNetV2 request carries one 3×224×224 FP32 image: 602 KB of body. SwiftNIO's
/// default receive allocator reads at most 64 KiB per `read`, so such a body arrives as ten or more
/// chunks, each a syscall, a pass through the HTTP decoder and a hop to the handler's task. This
/// channel lets the adaptive allocator grow to `maximumReadBytes` on connections that keep filling
/// their buffer (large bodies) while idle or small-request connections stay at a few KiB, so thousands
/// of connections still cost little memory.
///
/// Runs on the child channel's event loop: `setup` as a channel initializer, `handle` as the
/// connection's task, which prefers that loop as its executor.
struct InferenceHTTPChannel: ServerChildChannel {
    typealias Value = HTTP1Channel.Value

    /// Largest single read on a connection, bytes.
    static let maximumReadBytes = 1 << 20

    let http1: HTTP1Channel

    init(responder: @escaping HTTPChannelHandler.Responder) {
        http1 = HTTP1Channel(responder: responder)
    }

    /// The receive allocator every accepted connection gets.
    static func receiveAllocator() -> AdaptiveRecvByteBufferAllocator {
        AdaptiveRecvByteBufferAllocator(minimum: 64, initial: 2048, maximum: maximumReadBytes)
    }

    func setup(channel: any Channel, logger: Logger) -> EventLoopFuture<Value> {
        channel.setOption(ChannelOptions.recvAllocator, value: Self.receiveAllocator()).flatMap {
            http1.setup(channel: channel, logger: logger)
        }
    }

    /// Runs the connection, its request handlers included, on the channel's event loop (see
    /// `EventLoopTaskExecutor`): a 602 KB body's chunks then resume the handler without a thread hop.
    func handle(value: Value, logger: Logger) async {
        await withTaskExecutorPreference(EventLoopTaskExecutor(value.channel.eventLoop)) {
            await http1.handle(value: value, logger: logger)
        }
    }

    /// The builder `Application(router:server:)` takes.
    static var builder: HTTPServerBuilder {
        HTTPServerBuilder { responder in InferenceHTTPChannel(responder: responder) }
    }
}
