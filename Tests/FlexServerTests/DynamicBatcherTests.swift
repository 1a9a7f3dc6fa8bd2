@testable import FlexServer
import Synchronization
import Testing

/// `DynamicBatcher`'s scheduling, in process with a fake model: batches wait for a free instance, a
/// full batch leaves at once, and a request never leaves before its own queue delay unless it fills a
/// batch (a timer armed for an earlier request used to flush it early).
@Suite struct DynamicBatcherTests {
    /// One row per request: a one-float input holding `value`; the fake model echoes it.
    private static func request(_ value: Float) -> [TensorData] {
        [TensorData(TensorDescription(name: "data", datatype: .fp32, shape: [1, 1]),
                    bytes: withUnsafeBytes(of: value) { Array($0) })]
    }

    private static func value(_ outcome: DynamicBatcher.Outcome) -> Float? {
        guard case .success(let (outputs, _)) = outcome, let bytes = outputs.first?.bytes, bytes.count == 4 else { return nil }
        return bytes.withUnsafeBytes { $0.load(as: Float.self) }
    }

    /// A fake model taking `busy` per batch that records the batches it ran (rows that were not padding).
    private final class Recorder: Sendable {
        let batches = Mutex<[[Float]]>([])
        let busy: Duration
        init(busy: Duration) { self.busy = busy }

        func run(_ inputs: [TensorData]) async -> DynamicBatcher.Outcome {
            try? await Task.sleep(for: busy)
            let rows = inputs[0].bytes.withUnsafeBytes { Array($0.bindMemory(to: Float.self)) }
            batches.withLock { $0.append(rows.filter { $0 != 0 }) }
            return .success((inputs, InferenceTiming(queueNanoseconds: 0, inferNanoseconds: 0)))
        }
    }

    @Test func requestsGatherWhileTheInstanceIsBusyAndEachGetsItsRow() async {
        let recorder = Recorder(busy: .milliseconds(150))
        let batcher = DynamicBatcher(maxBatch: 4, delayMicroseconds: 1_000, preferred: [], maxInFlight: 1) { await recorder.run($0) }
        // The first request leaves alone after 1 ms; the next seven arrive while it runs and leave as 4 + 3.
        let results = await withTaskGroup(of: (Float, Float?).self) { group in
            group.addTask { (1, Self.value(await batcher.submit(Self.request(1), batch: 1))) }
            try? await Task.sleep(for: .milliseconds(40))
            for value in 2...8 {
                group.addTask { (Float(value), Self.value(await batcher.submit(Self.request(Float(value)), batch: 1))) }
            }
            return await group.reduce(into: []) { $0.append($1) }
        }
        for (sent, received) in results { #expect(received == sent) }
        let batches = recorder.batches.withLock { $0 }
        #expect(batches.count == 3, "\(batches)")
        #expect(batches.first == [1])
        #expect(batches.map(\.count).sorted() == [1, 3, 4], "\(batches)")
    }

    @Test func aTimerArmedForARequestThatLeftFullDoesNotFlushALaterOneEarly() async {
        let recorder = Recorder(busy: .milliseconds(1))
        let delay = 300_000  // 300 ms
        let batcher = DynamicBatcher(maxBatch: 2, delayMicroseconds: delay, preferred: [], maxInFlight: 1) { await recorder.run($0) }
        // 1 arms a timer for t = 300 ms; 2 fills the batch at once; 3 arrives at ~150 ms and must wait
        // until ~450 ms (its own deadline), not leave when 1's timer fires at 300 ms.
        async let first = batcher.submit(Self.request(1), batch: 1)
        try? await Task.sleep(for: .milliseconds(5))
        async let second = batcher.submit(Self.request(2), batch: 1)
        #expect(Self.value(await first) == 1)
        #expect(Self.value(await second) == 2)
        try? await Task.sleep(for: .milliseconds(145))
        let clock = ContinuousClock()
        let start = clock.now
        let third = Self.value(await batcher.submit(Self.request(3), batch: 1))
        let waited = clock.now - start
        #expect(third == 3)
        #expect(waited >= .milliseconds(280), "the third request left after \(waited), before its 300 ms delay")
        #expect(recorder.batches.withLock { $0 } == [[1, 2], [3]])
    }

    @Test func aPreferredSizeLeavesWithoutWaiting() async {
        let recorder = Recorder(busy: .milliseconds(1))
        let batcher = DynamicBatcher(maxBatch: 8, delayMicroseconds: 5_000_000, preferred: [2], maxInFlight: 1) { await recorder.run($0) }
        let clock = ContinuousClock()
        let start = clock.now
        async let first = batcher.submit(Self.request(1), batch: 1)
        async let second = batcher.submit(Self.request(2), batch: 1)
        #expect(Self.value(await first) == 1)
        #expect(Self.value(await second) == 2)
        #expect(clock.now - start < .seconds(2), "a preferred batch of 2 waited for the 5 s delay")
    }
}
