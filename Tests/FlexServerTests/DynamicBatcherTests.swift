@testable import FlexServer
import FlexRuntime
import Testing

/// `DynamicBatcher`'s scheduling, in process with a fake model: batches wait for a free instance, a
/// full batch leaves at once, and a request never leaves before its own queue delay unless it fills a
/// batch (a timer armed for an earlier request used to flush it early). The assertions hold however
/// late the test's tasks get a thread (the full suite runs many tests at once on 2 CPUs): orderings are
/// forced with a gate, and times are only ever checked as lower bounds or against bounds far above
/// any scheduling delay.
@Suite struct DynamicBatcherTests {
    /// One row per request: a one-float input holding `value`; the fake model echoes it.
    private static func request(_ value: Float) -> [TensorData] {
        [TensorData(TensorDescription(name: "data", datatype: .fp32, shape: [1, 1]),
                    bytes: withUnsafeBytes(of: value) { Array($0) })]
    }

    private static func rows(_ value: Float, count: Int) -> [TensorData] {
        [TensorData(TensorDescription(name: "data", datatype: .fp32, shape: [count, 1]),
                    bytes: (0..<count).flatMap { _ in withUnsafeBytes(of: value) { Array($0) } })]
    }

    private static func value(_ outcome: DynamicBatcher.Outcome) -> Float? {
        guard case .success(let (outputs, _)) = outcome, let bytes = outputs.first?.bytes, bytes.count >= 4 else { return nil }
        return bytes.withUnsafeBytes { $0.load(as: Float.self) }
    }

    /// The padding row is left as it was: the runtime zeroes padding only where the model reads it.
    @Test func requestsAreStackedInOrderAndPadded() {
        let stacked = DynamicBatcher.concatenated([Self.request(1.5), Self.rows(-2, count: 2)], batches: [1, 2], to: 4)
        #expect(stacked.count == 1 && stacked[0].shape == [4, 1])
        let floats = stacked[0].bytes.withUnsafeBytes { Array($0.bindMemory(to: Float.self)) }
        #expect(Array(floats.prefix(3)) == [1.5, -2, -2] && floats.count == 4)
        let second = DynamicBatcher.rows(stacked[0], from: 1, count: 2, of: 4)
        #expect(second.shape == [2, 1] && second.bytes.withUnsafeBytes { Array($0.bindMemory(to: Float.self)) } == [-2, -2])
    }

    /// A fake model that records the batches it ran (the rows that are requests') and the row counts
    /// the batcher said were requests'; the first batch waits until `open()` when the recorder is gated.
    private final class Recorder: Sendable {
        // Locked rather than Mutex: this suite runs under ThreadSanitizer, which sees only Locked's ordering.
        let batches = Locked<[[Float]]>([])
        let rowCounts = Locked<[Int]>([])
        private let gate: AsyncStream<Void>
        private let opener: AsyncStream<Void>.Continuation
        private let gated: Locked<Bool>

        init(gated: Bool) {
            (gate, opener) = AsyncStream<Void>.makeStream()
            self.gated = Locked(gated)
        }

        func open() { opener.yield(); opener.finish() }

        func run(_ inputs: [TensorData], rows count: Int) async -> DynamicBatcher.Outcome {
            rowCounts.withLock { $0.append(count) }
            let waits = gated.withLock { value -> Bool in
                let was = value
                value = false
                return was
            }
            if waits {
                for await _ in gate { break }
            }
            let rows = inputs[0].bytes.withUnsafeBytes { Array($0.bindMemory(to: Float.self)) }
            batches.withLock { $0.append(Array(rows.prefix(count))) }  // one float per row
            return .success((inputs, InferenceTiming(queueNanoseconds: 0, inferNanoseconds: 0)))
        }
    }

    /// Polls `condition` every 5 ms for up to 10 minutes (a bound no scheduling delay reaches).
    private static func eventually(_ condition: () -> Bool) async -> Bool {
        let clock = ContinuousClock(), deadline = clock.now + .seconds(600)
        while clock.now < deadline {
            if condition() { return true }
            try? await Task.sleep(for: .milliseconds(5))
        }
        return condition()
    }

    @Test func requestsGatherWhileTheInstanceIsBusyAndEachGetsItsRow() async {
        let recorder = Recorder(gated: true)
        let batcher = DynamicBatcher(maxBatch: 4, delayMicroseconds: 1_000, preferred: [], maxInFlight: 1) { await recorder.run($0, rows: $1) }
        // A full batch of 4 rows leaves at once and holds the instance until the gate opens; the seven
        // single requests meanwhile wait in the queue, then leave as 4 + 3.
        let results = await withTaskGroup(of: (Float, Float?).self) { group in
            group.addTask { (9, Self.value(await batcher.submit(Self.rows(9, count: 4), batch: 4))) }
            // The full batch holds the instance (it reached the model, which waits at the gate) before
            // any single request is sent; an empty queue alone may be seen before it was even submitted.
            #expect(await Self.eventually { recorder.rowCounts.withLock { $0 } == [4] })
            for value in 1...7 {
                group.addTask { (Float(value), Self.value(await batcher.submit(Self.request(Float(value)), batch: 1))) }
            }
            #expect(await Self.eventually { batcher.queuedRequests == 7 }, "the single requests did not queue behind the busy instance")
            recorder.open()
            return await group.reduce(into: []) { $0.append($1) }
        }
        for (sent, received) in results { #expect(received == sent) }
        let batches = recorder.batches.withLock { $0 }
        #expect(batches.map(\.count) == [4, 4, 3], "\(batches)")
        #expect(recorder.rowCounts.withLock { $0 } == [4, 4, 3], "the rows the model was told carry requests")
        #expect(batches.first == [9, 9, 9, 9])
        let singles: Set<Float> = Set(batches.dropFirst().flatMap { $0 })
        let sent: Set<Float> = [1, 2, 3, 4, 5, 6, 7]
        #expect(singles == sent)
    }

    /// `max_queue_delay_microseconds: 0` (Triton's default): a lone request leaves at once, and what
    /// queued while the instance was busy leaves as one batch when it frees, short as it is.
    @Test func withoutADelayALoneRequestLeavesAtOnceAndTheQueueLeavesTogether() async {
        let recorder = Recorder(gated: true)
        let batcher = DynamicBatcher(maxBatch: 8, delayMicroseconds: 0, preferred: [], maxInFlight: 1) { await recorder.run($0, rows: $1) }
        let results = await withTaskGroup(of: (Float, Float?).self) { group in
            group.addTask { (1, Self.value(await batcher.submit(Self.request(1), batch: 1))) }
            #expect(await Self.eventually { recorder.rowCounts.withLock { $0 } == [1] }, "the lone request waited")
            for value in 2...5 {
                group.addTask { (Float(value), Self.value(await batcher.submit(Self.request(Float(value)), batch: 1))) }
            }
            #expect(await Self.eventually { batcher.queuedRequests == 4 }, "requests left while the instance was busy")
            recorder.open()
            return await group.reduce(into: []) { $0.append($1) }
        }
        for (sent, received) in results { #expect(received == sent) }
        let batches = recorder.batches.withLock { $0 }
        #expect(batches.map(\.count) == [1, 4], "\(batches)")
        #expect(Set(batches.dropFirst().flatMap { $0 }) == [2, 3, 4, 5])
    }

    @Test func aTimerArmedForARequestThatLeftFullDoesNotFlushALaterOneEarly() async {
        let recorder = Recorder(gated: false)
        let batcher = DynamicBatcher(maxBatch: 2, delayMicroseconds: 1_000_000, preferred: [], maxInFlight: 1) { await recorder.run($0, rows: $1) }
        // 1 arms a timer for its deadline (1 s); 2 fills the batch at once; 3 arrives half a second later
        // and must wait for its own deadline, not leave when 1's timer fires. (Should this task be starved
        // past 1's deadline, 1 leaves alone instead; what is asserted holds either way.)
        async let first = batcher.submit(Self.request(1), batch: 1)
        #expect(await Self.eventually { batcher.queuedRequests == 1 })
        async let second = batcher.submit(Self.request(2), batch: 1)
        #expect(Self.value(await first) == 1)
        #expect(Self.value(await second) == 2)
        try? await Task.sleep(for: .milliseconds(500))
        let clock = ContinuousClock()
        let start = clock.now
        let thirdOutcome = await batcher.submit(Self.request(3), batch: 1)
        let waited = clock.now - start
        #expect(Self.value(thirdOutcome) == 3)
        #expect(waited >= .milliseconds(990), "the third request left after \(waited), before its 1 s delay")
        // Its wait in the batcher's queue is its queue time (the fake model reports none of its own).
        guard case .success(let (_, timing)) = thirdOutcome else { return }
        #expect(timing.queueNanoseconds >= 990_000_000, "queue time \(timing.queueNanoseconds) ns")
        // Stacking its row into the batch is timed apart from the queue (Triton's compute input).
        #expect(timing.stackingNanoseconds > 0 && timing.stackingNanoseconds < timing.queueNanoseconds)
        #expect(recorder.batches.withLock { $0.last } == [3])
    }

    @Test func aPreferredSizeLeavesWithoutWaitingForTheDelay() async {
        let recorder = Recorder(gated: false)
        // A 30-minute delay: were the preferred size ignored, the batch would still be queued when
        // `eventually` gives up (10 minutes), and the test would fail instead of passing late.
        let batcher = DynamicBatcher(maxBatch: 8, delayMicroseconds: 1_800_000_000, preferred: [2], maxInFlight: 1) { await recorder.run($0, rows: $1) }
        async let first = batcher.submit(Self.request(1), batch: 1)
        #expect(await Self.eventually { batcher.queuedRequests == 1 })
        async let second = batcher.submit(Self.request(2), batch: 1)
        let ran = await Self.eventually { recorder.batches.withLock { $0.count } == 1 }
        #expect(ran, "a preferred batch of 2 waited for the queue delay")
        guard ran else { return }
        #expect(Self.value(await first) == 1)
        #expect(Self.value(await second) == 2)
    }
}
