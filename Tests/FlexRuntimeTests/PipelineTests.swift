import FlexRuntimeTesting
import FlexRuntime
import FlexTensor
import Foundation
import Testing

/// Requests flowing through stages: results, overlap between successive requests, in-flight bounds.
@Suite struct PipelineTests {
    @Test func everyRequestGetsItsOwnAnswerFromConcurrentClients() throws {
        try withRuntime(cores: 4) { runtime in
            let model = try runtime.load(SyntheticModel(name: "Three", stageCount: 3, shape: [2, 3]), at: 1)
            let wrong = Shared(0)
            onThreads(4) { client in
                for request in 0..<15 {
                    let tag = Float(client * 1000 + request)
                    let outputs = try? model.infer(taggedInput(tag, shape: [2, 3]))
                    if outputs.map({ isSyntheticAnswer($0, tag: tag, stageCount: 3) }) != true { wrong.withLock { $0 += 1 } }
                }
            }
            #expect(wrong.current == 0)
            let snapshot = runtime.snapshot()
            #expect(snapshot.models[0].inferences == 60)
            #expect(snapshot.cores.map(\.executions) == [0, 60, 60, 60])
        }
    }

    /// `started` is when the first core takes the request, not when it was submitted: a request queued
    /// behind another on the same core has none until that core is free.
    @Test func aRequestIsStartedWhenItsFirstCoreTakesIt() throws {
        let log = EventLog()
        let gate = DispatchSemaphore(value: 0)
        let model = SyntheticModel(name: "Gate", stageCount: 1) { event in
            log.record(event)
            if event.phase == .started, event.tag == 0 { _ = gate.wait(timeout: .now() + 20) }
        }
        try withRuntime(cores: 1) { runtime in
            let loaded = try runtime.load(model, at: 0, maxInFlight: 2)
            let first = try loaded.submit(taggedInput(0))
            let second = try loaded.submit(taggedInput(1))
            #expect(log.wait(timeout: 20, until: { $0.contains { $0.phase == .started && $0.tag == 0 } }))
            #expect(first.started != nil)
            #expect(second.started == nil, "the second request waits in the core's queue")
            gate.signal()
            _ = try first.wait()
            _ = try second.wait()
            let firstStarted = try #require(first.started), secondStarted = try #require(second.started)
            #expect(first.submitted <= firstStarted && second.submitted <= secondStarted)
            #expect(firstStarted < secondStarted)
        }
    }

    /// Stage 1 of request r holds its core until stage 0 of request r + 1 has started on the other
    /// core: that only happens if successive requests overlap in the pipeline.
    @Test func stagesOfSuccessiveRequestsOverlap() throws {
        let log = EventLog()
        let requests = 6
        let overlapped = Shared<[Float]>([])
        let model = SyntheticModel(name: "Pipe", stageCount: 2) { event in
            log.record(event)
            guard event.phase == .started, event.stage == 1, let tag = event.tag, Int(tag) < requests - 1 else { return }
            let next = tag + 1
            if log.wait(timeout: 20, until: { $0.contains { $0.stage == 0 && $0.phase == .started && $0.tag == next } }) {
                overlapped.withLock { $0.append(tag) }
            }
        }
        try withRuntime(cores: 2) { runtime in
            let loaded = try runtime.load(model, at: 0, maxInFlight: 2)
            let pending = try (0..<requests).map { try loaded.submit(taggedInput(Float($0))) }
            for (tag, request) in pending.enumerated() {
                #expect(try isSyntheticAnswer(request.wait(), tag: Float(tag), stageCount: 2))
            }
        }
        #expect(overlapped.current == (0..<(requests - 1)).map(Float.init))
    }

    /// With enough requests in flight, every core of a k-stage pipeline works at once: stage 2 of request
    /// r holds its core until stage 0 of request r + 2 has started (stage 1 of r + 1 is then in between),
    /// which only happens if three requests are in the pipeline together. This is what makes a k-core
    /// model's throughput approach one request per stage time; it is checked as behaviour, not timed.
    @Test func aThreeStagePipelineKeepsAllItsCoresBusyAtOnce() throws {
        let log = EventLog()
        let requests = 6
        let filled = Shared<[Float]>([])
        let model = SyntheticModel(name: "Deep", stageCount: 3, work: .sleep(.milliseconds(1))) { event in
            log.record(event)
            guard event.phase == .started, event.stage == 2, let tag = event.tag, Int(tag) < requests - 2 else { return }
            let later = tag + 2
            if log.wait(timeout: 20, until: { $0.contains { $0.stage == 0 && $0.phase == .started && $0.tag == later } }) {
                filled.withLock { $0.append(tag) }
            }
        }
        try withRuntime(cores: 3) { runtime in
            let loaded = try runtime.load(model, at: 0, maxInFlight: 3)
            let pending = try (0..<requests).map { try loaded.submit(taggedInput(Float($0))) }
            for (tag, request) in pending.enumerated() {
                #expect(try isSyntheticAnswer(request.wait(), tag: Float(tag), stageCount: 3))
            }
            #expect(runtime.snapshot().cores.map(\.executions) == [requests, requests, requests])
        }
        #expect(filled.current == (0..<(requests - 2)).map(Float.init))
    }

    @Test func inFlightRequestsNeverExceedTheLimit() throws {
        let limit = 3
        let inside = Shared((now: 0, most: 0))
        let model = SyntheticModel(name: "Bounded", stageCount: 2, work: .sleep(.milliseconds(1))) { event in
            if event.stage == 0 && event.phase == .started { inside.withLock { $0.now += 1; $0.most = max($0.most, $0.now) } }
            if event.stage == 1 && event.phase == .finished { inside.withLock { $0.now -= 1 } }
        }
        try withRuntime(cores: 2) { runtime in
            let loaded = try runtime.load(model, at: 0, maxInFlight: limit)
            let failures = Shared(0)
            onThreads(8) { client in
                for request in 0..<8 {
                    let tag = Float(client * 100 + request)
                    let ok = (try? loaded.submit(taggedInput(tag)).wait()).map { isSyntheticAnswer($0, tag: tag, stageCount: 2) }
                    if ok != true { failures.withLock { $0 += 1 } }
                }
            }
            #expect(failures.current == 0)
            let snapshot = runtime.snapshot().models[0]
            #expect(snapshot.maxInFlight == limit)
            #expect(snapshot.peakInFlight == limit)
            #expect(snapshot.inFlight == 0)
            #expect(snapshot.inferences == 64)
        }
        #expect(inside.current.most <= limit)
        #expect(inside.current.most >= 2)
    }

    @Test func defaultInFlightLimitIsCoresPlusThree() throws {
        try withRuntime(cores: 4) { runtime in
            let loaded = try runtime.load(SyntheticModel(name: "M", stageCount: 3), at: 0)
            #expect(loaded.maxInFlight == 6)
            #expect(runtimeError { try runtime.load(SyntheticModel(name: "M", stageCount: 1), at: 0, maxInFlight: 0) }?.status == .invalid)
        }
    }

    @Test func trySubmitFailsWithQueueFullWhenSlotsAreTaken() throws {
        let gate = Gate()
        let model = SyntheticModel(name: "Gated", stageCount: 1) { event in
            if event.phase == .started { _ = gate.pass() }
        }
        try withRuntime(cores: 1) { runtime in
            let loaded = try runtime.load(model, at: 0, maxInFlight: 2)
            let first = try loaded.trySubmit(taggedInput(1))
            let second = try loaded.trySubmit(taggedInput(2))
            let error = runtimeError { try loaded.trySubmit(taggedInput(3)) }
            #expect(error == .queueFull(model: "Gated", limit: 2))
            #expect(error?.status == .queueFull)
            #expect(error?.status.rawValue == 7)
            gate.open()
            #expect(try isSyntheticAnswer(first.wait(), tag: 1, stageCount: 1))
            #expect(try isSyntheticAnswer(second.wait(), tag: 2, stageCount: 1))
            #expect(try isSyntheticAnswer(loaded.trySubmit(taggedInput(4)).wait(), tag: 4, stageCount: 1))
            let snapshot = runtime.snapshot().models[0]
            #expect(snapshot.errorsByStatus == ["NRT_QUEUE_FULL": 1])
            #expect(snapshot.inferences == 3)
        }
    }

    @Test func blockingInferTimesOutWhileNoSlotFrees() throws {
        let gate = Gate()
        let model = SyntheticModel(name: "Stuck", stageCount: 1) { event in
            if event.phase == .started { _ = gate.pass() }
        }
        try withRuntime(cores: 1, environment: ["NEURON_RT_EXEC_TIMEOUT": "1"]) { runtime in
            #expect(runtime.executionTimeout == .seconds(1))
            let loaded = try runtime.load(model, at: 0, maxInFlight: 1)
            let held = try loaded.trySubmit(taggedInput(1))
            let start = ContinuousClock.now
            let error = runtimeError { try loaded.infer(taggedInput(2)) }
            #expect(error == .timeout(model: "Stuck", seconds: 1))
            #expect(error?.status == .timeout)
            #expect(start.duration(to: .now) >= .seconds(1))
            let waitError = runtimeError { try held.wait(timeout: .milliseconds(50)) }
            #expect(waitError?.status == .timeout)
            gate.open()
            #expect(try isSyntheticAnswer(held.wait(), tag: 1, stageCount: 1))
        }
    }

    /// `submit(_:)` copies the caller's inputs; `submit(handingOver:)` lets the cores read them in place
    /// (the server's decoded requests, which nothing else holds). A write after submitting, while the
    /// core is held at the stage's start, shows which one the core read.
    @Test func handedOverInputsAreReadInPlaceAndSubmittedOnesAreCopied() async throws {
        let gate = Gate()
        let model = SyntheticModel(name: "Held", stageCount: 1) { event in
            if event.phase == .started { _ = gate.pass() }
        }
        try await withRuntime(cores: 1) { runtime in
            let loaded = try runtime.load(model, at: 0, maxInFlight: 2)
            let copied = taggedInput(1)
            let handed = taggedInput(2)
            let first = try await loaded.submit(copied)
            let second = try await loaded.submit(handingOver: handed)
            for tensor in [copied["data"]!, handed["data"]!] { tensor.floats[0] = 100 }
            gate.open()
            let firstOutputs = try await first.outputs()
            let secondOutputs = try await second.outputs()
            #expect(isSyntheticAnswer(firstOutputs, tag: 1, stageCount: 1))
            #expect(secondOutputs[0].toFloatArray()[0] == 101)
            #expect(Array(secondOutputs[0].toFloatArray().dropFirst()) == [4, 5, 6])
        }
    }

    @Test func asyncInferenceSuspendsForSlotsAndCompletesThroughContinuations() async throws {
        try await withRuntime(cores: 2) { runtime in
            let loaded = try runtime.load(SyntheticModel(name: "Async", stageCount: 2, work: .sleep(.milliseconds(1))), at: 0, maxInFlight: 2)
            let correct = try await withThrowingTaskGroup(of: Bool.self) { group in
                for tag in 0..<20 {
                    group.addTask { try isSyntheticAnswer(await loaded.infer(taggedInput(Float(tag))), tag: Float(tag), stageCount: 2) }
                }
                var correct = 0
                for try await ok in group where ok { correct += 1 }
                return correct
            }
            #expect(correct == 20)
            let pending = try await loaded.submit(taggedInput(99))
            #expect(try isSyntheticAnswer(await pending.outputs(), tag: 99, stageCount: 2))
            let snapshot = runtime.snapshot().models[0]
            #expect(snapshot.peakInFlight == 2)
            #expect(snapshot.inferences == 21)
        }
    }
}

/// A short batch's row count (`submit(handingOver:rows:)`) reaches every stage's runner; a count outside
/// the batch is refused before anything runs; the padding is zeroed where the model says it reads it.
@Suite struct ShortBatchTests {
    /// Two stages passing their `[4, 2]` input on, each recording the rows it was told carry data (nil
    /// for a plain `run`). `readsPadding`: whether it lists its input in `inputsReadInPadding`.
    private final class RowRecordingModel: PipelineModel {
        let name = "Rows"
        let stageCount = 2
        let inputs = [TensorSpec(name: "data", shape: [4, 2])]
        let outputs = [TensorSpec(name: "data", shape: [4, 2])]
        let seen = Shared<[[Int?]]>([[], []])
        let inputsReadInPadding: [Int]
        init(readsPadding: Bool = true) { inputsReadInPadding = readsPadding ? [0] : [] }
        func weightBytes(stage: Int) -> Int { 0 }
        func workspaceBytes(stage: Int) -> Int { 0 }
        func activationBytes(stage: Int) -> Int { 32 }
        func makeStageRunner(stage: Int) -> any StageRunner { Runner(stage: stage, seen: seen) }

        final class Runner: StageRunner {
            let stage: Int
            let seen: Shared<[[Int?]]>
            init(stage: Int, seen: Shared<[[Int?]]>) {
                self.stage = stage
                self.seen = seen
            }
            func run(_ inputs: [Tensor]) -> [Tensor] { record(nil, inputs) }
            func run(_ inputs: [Tensor], rows: Int) -> [Tensor] { record(rows, inputs) }
            func activate() {}
            private func record(_ rows: Int?, _ inputs: [Tensor]) -> [Tensor] {
                seen.withLock { $0[stage].append(rows) }
                return [inputs[0].copy()]
            }
        }
    }

    @Test func theRowCountReachesEveryStageAndIsChecked() async throws {
        let model = RowRecordingModel()
        try await withRuntime(cores: 2) { runtime in
            let loaded = try runtime.load(model, at: 0)
            let input = { ["data": Tensor(shape: [4, 2], floats: [1, 2, 3, 4, 5, 6, 7, 8])] }
            let outputs = try await loaded.submit(handingOver: input(), rows: 3).outputs()
            #expect(outputs[0].toFloatArray() == [1, 2, 3, 4, 5, 6, 0, 0], "the padding row reached the runner not zeroed")
            _ = try await loaded.submit(handingOver: input()).outputs()
            #expect(model.seen.current == [[3, nil], [3, nil]])
            for rows in [0, 5] {
                do {
                    _ = try await loaded.submit(handingOver: input(), rows: rows)
                    Issue.record("\(rows) rows of a batch of 4 were accepted")
                } catch let error as RuntimeError {
                    #expect(error.status == .invalid)
                    #expect(error.description.contains("valid: 1...4"), "\(error.description)")
                } catch {
                    Issue.record("expected a RuntimeError, got \(error)")
                }
            }
            #expect(model.seen.current == [[3, nil], [3, nil]], "a refused request reached a core")
        }
    }

    /// A model that never reads its input's padding has it passed on untouched: zeroing it would only
    /// cost time (a batch-8 image model's 4 MB per short batch).
    @Test func paddingTheModelDoesNotReadIsLeftAlone() async throws {
        try await withRuntime(cores: 2) { runtime in
            let loaded = try runtime.load(RowRecordingModel(readsPadding: false), at: 0)
            let input = ["data": Tensor(shape: [4, 2], floats: [1, 2, 3, 4, 5, 6, 7, 8])]
            let outputs = try await loaded.submit(handingOver: input, rows: 1).outputs()
            #expect(outputs[0].toFloatArray() == [1, 2, 3, 4, 5, 6, 7, 8])
        }
    }
}
