import FlexArtifact
import FlexCompiler
import FlexEG
import FlexExecution
import FlexGraph
import FlexKernels
import FlexRuntime
import Foundation
import MXNetFormat
import Synchronization

/// One benchmark run: a runtime of `cores × copies` NeuronCores, `copies` loaded instances of the model,
/// and `concurrency` client threads per instance, each submitting a request, waiting for its outputs and
/// submitting the next.
///
/// Thread ownership: `execute` runs on the calling thread, which starts the client threads, shows
/// progress while they run and joins them; clients share only the atomic request counter and the stop
/// flag, and hand their latencies back when they finish.
struct BenchRun {
    enum Limit {
        /// Stop after this many timed requests in total.
        case requests(Int)
        /// Stop submitting after this many seconds.
        case seconds(Double)
    }

    let setup: BenchSetup
    let copies: Int
    let concurrency: Int
    let warmup: Int
    let limit: Limit
    /// Where to write the outputs of one inference after timing (nil: nowhere).
    let outputDirectory: String?
    let progress: ProgressLine

    func execute() throws -> BenchResult {
        let cores = setup.model.stageCount
        let runtimeStart = ContinuousClock.now
        let runtime = try NeuronRuntime(RuntimeConfiguration(deviceCoreCount: cores * copies))
        defer { try? runtime.shutdown() }
        for warning in runtime.warnings { progress.warn(warning.message) }
        let pipeline = CompiledPipelineModel(name: setup.name, compiled: setup.model)
        var loaded: [LoadedModel] = []
        for copy in 0..<copies {
            progress.show("loading copy \(copy + 1) of \(copies) on NeuronCores \(copy * cores)-\(copy * cores + cores - 1)")
            loaded.append(try runtime.load(pipeline, at: copy * cores, maxInFlight: max(concurrency, 1)))
        }

        // Warm-up: every client runs its untimed requests concurrently, as in the timed phase.
        if warmup > 0 {
            progress.show("warming up (\(warmup * concurrency * copies) requests)")
            let remaining = Locked([Int](repeating: warmup, count: concurrency * copies))
            _ = try runClients(loaded, monitor: {}) { client in
                remaining.withLock { counts in
                    counts[client] -= 1
                    return counts[client] >= 0
                }
            }
        }

        let before = runtime.snapshot(), beforeTime = ContinuousClock.now, beforeCPU = Self.processCPUSeconds()
        let claimed = Atomic<Int>(0)
        let completed = Atomic<Int>(0)
        let stop = Atomic<Bool>(false)
        let deadline: ContinuousClock.Instant? = if case .seconds(let seconds) = limit { beforeTime + .seconds(seconds) } else { nil }
        let total: Int? = if case .requests(let count) = limit { count } else { nil }
        let perClient = try runClients(loaded, monitor: {
            let elapsed = (ContinuousClock.now - beforeTime).seconds
            let done = completed.load(ordering: .relaxed)
            let rate = elapsed > 0 ? Double(done * setup.batch) / elapsed : 0
            let share = if let total { Double(done) / Double(total) } else { elapsed / (deadline.map { ($0 - beforeTime).seconds } ?? 1) }
            progress.show(String(format: "running %3.0f%%  %.1f s  %d requests  %.1f inferences/s", min(share, 1) * 100, elapsed, done, rate))
        }) { _ in
            if let total { return claimed.add(1, ordering: .relaxed).newValue <= total }
            if stop.load(ordering: .relaxed) { return false }
            if let deadline, ContinuousClock.now >= deadline {
                stop.store(true, ordering: .relaxed)
                return false
            }
            return true
        } onCompletion: {
            completed.add(1, ordering: .relaxed)
        }
        let afterTime = ContinuousClock.now, afterCPU = Self.processCPUSeconds()
        let after = runtime.snapshot()
        let wall = (afterTime - beforeTime).seconds

        let latencies = perClient.flatMap { $0 }
        let sinceStartBefore = (beforeTime - runtimeStart).seconds, sinceStartAfter = (afterTime - runtimeStart).seconds
        let busy = zip(before.cores, after.cores).map { first, last in
            wall > 0 ? min(1, max(0, (last.busyFraction * sinceStartAfter - first.busyFraction * sinceStartBefore) / wall)) : 0
        }
        if let outputDirectory {
            try FileManager.default.createDirectory(atPath: outputDirectory, withIntermediateDirectories: true)
            for (index, output) in try loaded[0].infer(setup.inputs).enumerated() {
                try NDArray(output).save(npyFile: (outputDirectory as NSString).appendingPathComponent("out_\(index).npy"))
            }
        }
        for copy in loaded { try copy.unload() }
        return BenchResult(
            model: setup.name, cores: cores, copies: copies, concurrency: concurrency, batch: setup.batch,
            compiledHere: setup.compiledHere, compileSeconds: setup.compileSeconds, requests: latencies.count, seconds: wall,
            latenciesSeconds: latencies, flopsPerRequest: setup.flopsPerRequest, coreBusy: busy,
            cpuUtilization: wall > 0 ? (afterCPU - beforeCPU) / wall : 0)
    }

    /// Runs `concurrency` client threads per loaded copy (client `i` on copy `i / concurrency`), each
    /// running requests one after another while `proceed(i)` says so (it is asked before every request).
    /// `monitor` runs on the calling thread about every 100 ms meanwhile. Returns each client's request
    /// latencies in seconds once all have stopped; the first request error is rethrown then.
    private func runClients(
        _ models: [LoadedModel], monitor: () -> Void, proceed: @escaping @Sendable (Int) -> Bool,
        onCompletion: @escaping @Sendable () -> Void = {}
    ) throws -> [[Double]] {
        let inputs = setup.inputs
        let clients = models.flatMap { model in Array(repeating: model, count: concurrency) }
        let results = Locked<[[Double]]>(Array(repeating: [], count: clients.count))
        let failure = Locked<(any Error)?>(nil)
        let finished = DispatchSemaphore(value: 0)
        for (index, model) in clients.enumerated() {
            NamedThread.start("flexeg-client") {
                var latencies: [Double] = []
                while proceed(index) {
                    let start = ContinuousClock.now
                    do {
                        _ = try model.infer(inputs)
                    } catch {
                        failure.withLock { if $0 == nil { $0 = error } }
                        break
                    }
                    latencies.append((ContinuousClock.now - start).seconds)
                    onCompletion()
                }
                results.withLock { $0[index] = latencies }
                finished.signal()
            }
        }
        for _ in clients.indices {
            while finished.wait(timeout: .now() + .milliseconds(100)) == .timedOut { monitor() }
        }
        if let error = failure.withLock({ $0 }) { throw error }
        return results.withLock { $0 }
    }

    /// User plus system CPU time of the process so far, seconds.
    static func processCPUSeconds() -> Double {
        var time = timespec()
        clock_gettime(CLOCK_PROCESS_CPUTIME_ID, &time)
        return Double(time.tv_sec) + Double(time.tv_nsec) * 1e-9
    }
}
