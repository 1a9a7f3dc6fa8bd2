import FlexTensor

/// A model loaded on a runtime's cores: stage j runs on `cores[j]`. Submit requests to it; unload it
/// when done. Several `LoadedModel`s may share one `PipelineModel` (its weights exist once).
///
/// Requests: at most `maxInFlight` are in flight (admitted, not yet completed); beyond that `submit`
/// waits (blocking a thread, or suspending a task in the async variant) and `trySubmit` fails with
/// `NRT_QUEUE_FULL`. Stages of successive requests overlap: while stage 1 runs request r on one core,
/// stage 0 can run request r + 1 on another. Outputs of each request come back in its own
/// `PendingInference`, so completion order does not matter to callers.
///
/// Unloading drains: requests already admitted complete normally; new ones (and callers still
/// waiting for a slot) fail with `RuntimeError.modelUnloaded`; then the runners are released and the
/// memory is freed.
///
/// Async calls suspend without blocking a thread and resume through continuations when a core
/// completes the request; they are not cancellable (a task waits for its slot and outputs, or for the
/// unload). Blocking calls are bounded by the runtime's execution timeout.
///
/// Thread ownership: every method may be called from any thread except a NeuronCore's own (the
/// blocking ones refuse with `RuntimeError.blockingCallOnCoreThread` there). Stage completion runs on
/// the core threads.
public final class LoadedModel: Sendable {
    /// Unique within the runtime.
    public let id: Int
    public let model: any PipelineModel
    /// The context index it was loaded at (a core, or a group in NeuronCore Group mode).
    public let context: Int
    /// Context indexes of its cores, stage 0 first.
    public let cores: [Int]
    /// Most requests in flight at once.
    public let maxInFlight: Int
    public let runtime: NeuronRuntime

    let neuronCores: [NeuronCore]
    /// `model.inputsReadInPadding`: the inputs whose padding a short batch's submit zeroes.
    let inputsReadInPadding: [Int]
    let charges: [MemoryLedger.Charge]
    let limiter: InFlightLimiter
    let counters: Locked<ModelCounters>

    private enum Lifecycle { case loading, loaded, unloading, unloaded }
    private let lifecycle = Locked(Lifecycle.loading)
    private let unloaded = OneShot<Void>()

    public var name: String { model.name }
    /// Device core indexes of its cores, stage 0 first.
    public var deviceCores: [Int] { neuronCores.map(\.deviceIndex) }
    /// False once an unload has started.
    public var isLoaded: Bool { lifecycle.withLock { $0 == .loaded || $0 == .loading } }

    init(
        id: Int, model: any PipelineModel, context: Int, runtime: NeuronRuntime, neuronCores: [NeuronCore],
        maxInFlight: Int, charges: [MemoryLedger.Charge], latencyWindow: Int
    ) {
        self.id = id
        self.model = model
        self.context = context
        self.runtime = runtime
        self.neuronCores = neuronCores
        self.inputsReadInPadding = model.inputsReadInPadding
        self.cores = neuronCores.map(\.index)
        self.maxInFlight = maxInFlight
        self.charges = charges
        self.limiter = InFlightLimiter(limit: maxInFlight)
        self.counters = Locked(ModelCounters(latencyWindow: latencyWindow))
    }

    var reference: ModelReference { ModelReference(id: id, name: name) }

    // MARK: Submitting

    /// Submits without waiting: fails with `NRT_QUEUE_FULL` when `maxInFlight` requests are in flight.
    public func trySubmit(_ inputs: [String: Tensor]) throws(RuntimeError) -> PendingInference {
        let ordered = try validated(inputs)
        let admitted: Bool
        do { admitted = try limiter.tryAcquire() } catch { throw failed(error) }
        guard admitted else { throw failed(.queueFull(model: name, limit: maxInFlight)) }
        return start(ordered)
    }

    /// Submits, blocking the calling thread while `maxInFlight` requests are in flight, at most the
    /// runtime's execution timeout.
    public func submit(_ inputs: [String: Tensor]) throws(RuntimeError) -> PendingInference {
        let timeout = runtime.executionTimeout
        return try submit(inputs, until: timeout.map { ContinuousClock.now + $0 }, timeout: timeout)
    }

    /// Submits, suspending the calling task (no thread blocks) while `maxInFlight` requests are in
    /// flight.
    public func submit(_ inputs: [String: Tensor]) async throws(RuntimeError) -> PendingInference {
        try await admit(validated(inputs))
    }

    /// Submits tensors the caller hands over, as `submit(_:)` does but without copying them: the cores
    /// read the caller's buffers in place, so the caller must neither read nor write them again (a
    /// server's freshly decoded request, which nothing else holds).
    ///
    /// `rows`: only the first `rows` samples along every input's leading (batch) axis carry data, the rest
    /// being padding up to the compiled batch (a short dynamic batch); outputs keep their full shapes, and
    /// past their first `rows` samples hold nothing meaningful. The cores may then skip the padding's work.
    /// The padding may hold anything: where the model could read it (`PipelineModel.inputsReadInPadding`),
    /// it is zeroed here, so a short batch's rows never depend on it.
    public func submit(handingOver inputs: [String: Tensor], rows: Int? = nil) async throws(RuntimeError) -> PendingInference {
        let ordered = try validated(inputs, copying: false)
        if let rows {
            try checkRows(rows, of: ordered)
            for index in inputsReadInPadding { ordered[index].zeroSamples(from: rows, of: ordered[index].shape.dims.first ?? 1) }
        }
        return try await admit(ordered, rows: rows)
    }

    /// Waits for an in-flight slot, suspending the task, then starts `ordered` (validated inputs).
    private func admit(_ ordered: [Tensor], rows: Int? = nil) async throws(RuntimeError) -> PendingInference {
        do { try await limiter.acquire() } catch { throw failed(error) }
        return start(ordered, rows: rows)
    }

    /// Runs one inference, blocking the calling thread; the runtime's execution timeout covers waiting
    /// for a slot and running. Outputs in `model.outputs` order.
    public func infer(_ inputs: [String: Tensor]) throws(RuntimeError) -> [Tensor] {
        let timeout = runtime.executionTimeout
        let deadline = timeout.map { ContinuousClock.now + $0 }
        return try submit(inputs, until: deadline, timeout: timeout).wait(until: deadline, timeout: timeout)
    }

    /// Runs one inference, suspending the calling task until its outputs are in.
    public func infer(_ inputs: [String: Tensor]) async throws(RuntimeError) -> [Tensor] {
        try await submit(inputs).outputs()
    }

    private func submit(
        _ inputs: [String: Tensor], until deadline: ContinuousClock.Instant?, timeout: Duration?
    ) throws(RuntimeError) -> PendingInference {
        if let core = NeuronCore.currentCoreIndex() {
            throw failed(.blockingCallOnCoreThread(operation: "a blocking submit to \"\(name)\"", core: core))
        }
        let ordered = try validated(inputs)
        let admitted: Bool
        do { admitted = try limiter.acquire(until: deadline) } catch { throw failed(error) }
        guard admitted else { throw failed(.timeout(model: name, seconds: timeout?.seconds ?? 0)) }
        return start(ordered)
    }

    private func start(_ inputs: [Tensor], rows: Int? = nil) -> PendingInference {
        let request = InferenceRequest(model: self, submitted: .now, rows: rows)
        neuronCores[0].enqueue(.run(StageJob(request: request, stage: 0, inputs: inputs)))
        return PendingInference(request: request)
    }

    /// Counts `error` against this model and returns it.
    func failed(_ error: RuntimeError) -> RuntimeError {
        counters.withLock { $0.recordError(error) }
        return error
    }

    // MARK: Running (on core threads)

    /// Called on the core thread that ran `job`: hands the outputs to the next stage's core, or
    /// completes the request after the last stage.
    func stageFinished(_ job: StageJob, outputs: [Tensor]) {
        let next = job.stage + 1
        if next < neuronCores.count {
            neuronCores[next].enqueue(.run(StageJob(request: job.request, stage: next, inputs: outputs)))
            return
        }
        if let problem = outputProblem(outputs) {
            complete(job.request, .failure(.stageFailed(model: name, stage: job.stage, problem: problem)))
        } else {
            complete(job.request, .success(outputs))
        }
    }

    private func complete(_ request: InferenceRequest, _ result: Result<[Tensor], RuntimeError>) {
        let now = ContinuousClock.now
        counters.withLock { counters in
            switch result {
            case .success:
                counters.inferences += 1
                counters.latencies.record(latency: request.submitted.duration(to: now), completed: now)
            case .failure(let error):
                counters.recordError(error)
            }
        }
        limiter.release()
        request.outcome.fulfill(result)
    }

    // MARK: Loading and unloading

    /// Creates the stage runners on their cores and waits until they are in place.
    func install() {
        let installed = neuronCores.enumerated().map { stage, core in
            let done = OneShot<Void>()
            core.enqueue(.install(self, stage: stage, done: done))
            return done
        }
        for done in installed { _ = done.wait(until: nil) }
        lifecycle.withLock { if $0 == .loading { $0 = .loaded } }
    }

    /// Unloads: rejects new requests, waits for those in flight, releases the runners on their cores
    /// and frees the model's memory. Calling it again (or concurrently) waits for the first unload.
    public func unload() throws(RuntimeError) {
        if let core = NeuronCore.currentCoreIndex() {
            throw .blockingCallOnCoreThread(operation: "unloading \"\(name)\"", core: core)
        }
        let first = lifecycle.withLock { state in
            guard state == .loaded || state == .loading else { return false }
            state = .unloading
            return true
        }
        guard first else {
            _ = unloaded.wait(until: nil)
            return
        }
        limiter.close(with: .modelUnloaded(model: name))
        limiter.waitUntilDrained()
        let removed = neuronCores.map { core in
            let done = OneShot<Void>()
            core.enqueue(.remove(modelID: id, done: done))
            return done
        }
        for done in removed { _ = done.wait(until: nil) }
        runtime.forget(self)
        lifecycle.withLock { $0 = .unloaded }
        unloaded.fulfill(())
    }
}
