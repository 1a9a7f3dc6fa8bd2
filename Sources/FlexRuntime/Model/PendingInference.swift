import FlexTensor

/// A submitted inference: wait for its outputs from a thread, or await them from a task.
///
/// Thread ownership: a value; any thread or task may wait on it, any number of times.
public struct PendingInference: Sendable {
    let request: InferenceRequest

    public var model: LoadedModel { request.model }

    /// When the request was admitted (took an in-flight slot) and queued for its first core.
    public var submitted: ContinuousClock.Instant { request.submitted }

    /// When the first stage's core began running the request (nil while it waits in that core's
    /// queue): `submitted` to this is the queueing; from this to completion, the cores' work.
    public var started: ContinuousClock.Instant? { request.started.withLock { $0 } }

    /// Whether the outputs (or the error) are in.
    public var isComplete: Bool { request.outcome.current != nil }

    /// Blocks until the outputs are in, at most the runtime's execution timeout
    /// (`NEURON_RT_EXEC_TIMEOUT`, default 30 s) from now.
    public func wait() throws(RuntimeError) -> [Tensor] {
        try wait(timeout: model.runtime.executionTimeout)
    }

    /// Blocks until the outputs are in or `timeout` passes (nil: no limit). A timeout throws
    /// `RuntimeError.timeout` but does not cancel the request: it still completes and frees its slot.
    public func wait(timeout: Duration?) throws(RuntimeError) -> [Tensor] {
        try wait(until: timeout.map { ContinuousClock.now + $0 }, timeout: timeout)
    }

    func wait(until deadline: ContinuousClock.Instant?, timeout: Duration?) throws(RuntimeError) -> [Tensor] {
        if let core = NeuronCore.currentCoreIndex() {
            throw model.failed(.blockingCallOnCoreThread(operation: "waiting for an inference of \"\(model.name)\"", core: core))
        }
        guard let outcome = request.outcome.wait(until: deadline) else {
            throw model.failed(.timeout(model: model.name, seconds: timeout?.seconds ?? 0))
        }
        return try outcome.get()
    }

    /// Suspends the calling task (no thread blocks) until the outputs are in.
    public func outputs() async throws(RuntimeError) -> [Tensor] {
        try await request.outcome.value().get()
    }
}
