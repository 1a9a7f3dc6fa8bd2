@testable import FlexServer
import Hummingbird
import Logging
import NIOCore
import NIOEmbedded
import Testing

/// The HTTP listener's connections read large inference bodies in large reads (the end-to-end suites
/// send 602 KB bodies and over-limit ones through the real server).
@Suite struct InferenceHTTPChannelTests {
    @Test func acceptedConnectionsMayReadUpToOneMiBAtATime() throws {
        let channel = EmbeddedChannel()
        defer { _ = try? channel.finish() }
        let http = InferenceHTTPChannel(responder: { _, _, _ in Response(status: .ok) })
        _ = try http.setup(channel: channel, logger: Logger(label: "test")).wait()

        let allocator = try channel.getOption(ChannelOptions.recvAllocator).wait()
        let adaptive = try #require(allocator as? AdaptiveRecvByteBufferAllocator)
        #expect(adaptive.maximum == 1 << 20)
        // Idle and small-request connections start small: thousands of them stay cheap.
        #expect(adaptive.initial <= 4096)
    }
}
