import FlexArtifact
import FlexCompiler
import FlexEG
import FlexExecution
import FlexGraph
import FlexKernels
import FlexRuntime
import Foundation
import MXNetFormat

/// Models bound to NeuronCores and driven at once, the way `flexeg run` and `flexeg demo` measure a
/// placement: each model gets `requests` requests, `concurrency` at a time, every model at the same
/// time, from dedicated threads (blocking `forward` calls; the cores do the work).
///
/// Thread ownership: built and measured on one thread; `measure` starts and joins its own senders.
struct PlacementScenario {
    /// One model of the scenario: its executor (bound to `mx.neuron(context)`) and the inputs its
    /// requests take in turn (read-only while requests run).
    struct Entry: Sendable {
        var name: String
        var executor: Executor
        var inputs: [[String: NDArray]]
        var concurrency: Int
    }

    let runtime: NeuronRuntime
    /// When the runtime (and so its cores' clocks) started; busy fractions are measured against it.
    let runtimeStarted: ContinuousClock.Instant
    var entries: [Entry] = []
    /// The report lists the runtime's warnings from this position of `NeuronRuntime.warnings` on.
    let firstWarning: Int

    /// A scenario on `runtime`, started at `started`, reporting the warnings raised from now on, or
    /// all of them with `allWarnings`.
    init(runtime: NeuronRuntime, started: ContinuousClock.Instant, allWarnings: Bool = false) {
        self.runtime = runtime
        self.runtimeStarted = started
        self.firstWarning = allWarnings ? 0 : runtime.warnings.count
    }

    /// `count` random inputs (uniform in [-1, 1), converted to each input's dtype) for `executor`'s model.
    static func randomInputs(for executor: Executor, count: Int) -> [[String: NDArray]] {
        let specs = executor.loadedModel?.model.inputs ?? []
        return (0..<count).map { _ in
            Dictionary(uniqueKeysWithValues: specs.map { spec in
                let values = (0..<spec.shape.elementCount).map { _ in Float.random(in: -1..<1) }
                let tensor = Tensor(shape: spec.shape, floats: values)
                return (spec.name, NDArray(spec.dtype == .float32 ? tensor : tensor.converted(to: spec.dtype)))
            })
        }
    }

    /// Sends `requests` requests to every entry and reports what the runtime counted meanwhile.
    /// Throws the first failed request's error (after every sender has stopped).
    func measure(requests: Int) throws -> PlacementReport {
        let before = runtime.snapshot()
        let beforeAge = runtimeStarted.duration(to: .now).seconds
        let start = ContinuousClock.now

        let progress = entries.map { _ in Locked(SenderState()) }
        let group = DispatchGroup()
        for (index, entry) in entries.enumerated() {
            for _ in 0..<entry.concurrency {
                group.enter()
                NamedThread.start("flexeg-client") {
                    Self.send(entry, requests: requests, progress: progress[index])
                    group.leave()
                }
            }
        }
        group.wait()

        let seconds = start.duration(to: .now).seconds
        let afterAge = runtimeStarted.duration(to: .now).seconds
        let after = runtime.snapshot()
        let results = progress.map { $0.withLock { $0 } }
        if let error = results.lazy.compactMap(\.firstError).first { throw error }

        let modelsBefore = Dictionary(uniqueKeysWithValues: before.models.map { ($0.id, $0) })
        let models = zip(entries, results).compactMap { entry, result -> PlacementReport.Model? in
            guard let loaded = entry.executor.loadedModel,
                  let now = after.models.first(where: { $0.id == loaded.id }) else { return nil }
            let earlier = modelsBefore[loaded.id]
            let elapsed = result.lastCompletion.map { start.duration(to: $0).seconds } ?? 0
            return PlacementReport.Model(
                name: entry.name, context: now.context, cores: now.cores,
                inferences: now.inferences - (earlier?.inferences ?? 0),
                errors: now.errors - (earlier?.errors ?? 0),
                concurrency: entry.concurrency,
                throughput: elapsed > 0 ? Double(result.completed) / elapsed : 0,
                latencyMs: .init(p50: now.latency.p50, p90: now.latency.p90, p99: now.latency.p99),
                state: now.state.rawValue)
        }
        let names = Dictionary(uniqueKeysWithValues: entries.compactMap { entry in entry.executor.loadedModel.map { ($0.id, entry.name) } })
        let cores = zip(before.cores, after.cores).map { earlier, now in
            let busySeconds = now.busyFraction * afterAge - earlier.busyFraction * beforeAge
            return PlacementReport.Core(
                index: now.index, deviceCore: now.deviceCore,
                models: now.modelsLoaded.map { names[$0.id] ?? $0.name },
                executions: now.executions - earlier.executions,
                switches: now.switches - earlier.switches,
                switchMs: (now.switchSeconds - earlier.switchSeconds) * 1000,
                busy: seconds > 0 ? min(1, max(0, busySeconds / seconds)) : 0)
        }
        return PlacementReport(
            device: .init(
                cores: after.deviceCoreCount, mode: after.mode == "flexeg" ? "flexeg" : "ncg", processCores: after.cores.count,
                groups: after.groups, hostCPUs: HostCPUs.available().count),
            models: models, cores: cores,
            warnings: runtime.warnings.dropFirst(firstWarning).map(\.message),
            seconds: seconds)
    }

    /// What one model's senders did; they share it under a `Locked`.
    private struct SenderState {
        var next = 0
        var completed = 0
        var lastCompletion: ContinuousClock.Instant?
        var firstError: (any Error)?
    }

    /// One sender: takes request numbers until `requests` are taken or a request failed.
    private static func send(_ entry: Entry, requests: Int, progress: Locked<SenderState>) {
        while true {
            let number: Int? = progress.withLock { state in
                guard state.next < requests, state.firstError == nil else { return nil }
                defer { state.next += 1 }
                return state.next
            }
            guard let number else { return }
            do {
                _ = try entry.executor.forward(entry.inputs[number % entry.inputs.count])
                let now = ContinuousClock.now
                progress.withLock { state in
                    state.completed += 1
                    state.lastCompletion = max(state.lastCompletion ?? now, now)
                }
            } catch {
                progress.withLock { state in
                    if state.firstError == nil { state.firstError = error }
                }
                return
            }
        }
    }
}
