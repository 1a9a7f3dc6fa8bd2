@testable import FlexServer
import Hummingbird
import Logging
import NIOCore
import NIOEmbedded
import NIOPosix
import Testing

/// The HTTP listener's connections read large inference bodies in large reads (the end-to-end suites
/// send 602 KB bodies and over-limit ones through the real server).
@Suite struct InferenceHTTPChannelTests {
    @Test func acceptedConnectionsMayReadUpToOneMiBAtATime() throws {
        let channel = EmbeddedChannel()
        defer { _ = try? channel.finish() }
        let http = InferenceHTTPChannel(responder: { _, _, _ in })
        _ = try http.setup(channel: channel, logger: Logger(label: "test")).wait()

        let allocator = try channel.getOption(ChannelOptions.recvAllocator).wait()
        let adaptive = try #require(allocator as? AdaptiveRecvByteBufferAllocator)
        #expect(adaptive.maximum == 1 << 20)
        // Idle and small-request connections start small: thousands of them stay cheap.
        #expect(adaptive.initial <= 4096)
    }
}

/// A connection's task prefers its channel's event loop: its jobs, before and after suspensions,
/// run on that loop's thread, so body chunks and writes need no thread hop.
@Suite struct EventLoopTaskExecutorTests {
    private static func suspendAndReport(_ loop: any EventLoop) async -> Bool {
        await Task.yield()
        return loop.inEventLoop
    }

    @Test func aPreferringTaskRunsOnTheLoopAcrossSuspensions() async throws {
        let group = MultiThreadedEventLoopGroup(numberOfThreads: 2)
        let loop = group.next()
        let onLoop = await withTaskExecutorPreference(EventLoopTaskExecutor(loop)) {
            let first = loop.inEventLoop
            let afterYield = await Self.suspendAndReport(loop)
            // A future completed on another loop resumes this task back on its own loop.
            let other = group.next() === loop ? group.next() : group.next()
            _ = try? await other.submit { 1 }.get()
            return [first, afterYield, loop.inEventLoop]
        }
        #expect(onLoop == [true, true, true])
        #expect(!loop.inEventLoop)  // and the test's own task is back where it was
        try await group.shutdownGracefully()
    }
}
