/// Bounds how many requests of one loaded model are in flight (admitted and not yet completed), with
/// backpressure: callers wait for a slot in FIFO order, blocking a thread or suspending a task.
///
/// Thread ownership: any thread; all state sits under one lock. A freed slot passes straight to the
/// oldest waiter, so the count never exceeds `limit`.
final class InFlightLimiter: Sendable {
    let limit: Int

    private typealias Grant = OneShot<Result<Void, RuntimeError>>

    private struct State {
        var inFlight = 0
        var peak = 0
        var waiters = FIFO<(id: Int, grant: Grant)>()
        var nextWaiterID = 0
        /// Set by `close`: the error new requests get.
        var closedError: RuntimeError?
        var drainWaiters: [OneShot<Void>] = []
    }

    private let state = Locked(State())

    init(limit: Int) {
        self.limit = limit
    }

    /// Requests in flight now, and the most ever in flight at once.
    var usage: (inFlight: Int, peak: Int) { state.withLock { ($0.inFlight, $0.peak) } }

    private enum Admission {
        case admitted
        case rejected(RuntimeError)
        case full
        case queued(id: Int, Grant)
    }

    private func admitOrQueue(queueIfFull: Bool) -> Admission {
        state.withLock { state in
            if let error = state.closedError { return .rejected(error) }
            if state.inFlight < limit {
                state.inFlight += 1
                state.peak = max(state.peak, state.inFlight)
                return .admitted
            }
            guard queueIfFull else { return .full }
            let grant = Grant()
            let id = state.nextWaiterID
            state.nextWaiterID += 1
            state.waiters.append((id, grant))
            return .queued(id: id, grant)
        }
    }

    /// Takes a slot without waiting; returns false when all are taken. Throws the close error.
    func tryAcquire() throws(RuntimeError) -> Bool {
        switch admitOrQueue(queueIfFull: false) {
        case .admitted: return true
        case .full: return false
        case .rejected(let error): throw error
        case .queued: preconditionFailure("tryAcquire never queues")
        }
    }

    /// Blocks until a slot is free or `deadline` passes. Returns false on timeout.
    func acquire(until deadline: ContinuousClock.Instant?) throws(RuntimeError) -> Bool {
        switch admitOrQueue(queueIfFull: true) {
        case .admitted: return true
        case .rejected(let error): throw error
        case .full: preconditionFailure("a blocking acquire queues when full")
        case .queued(let id, let grant):
            if let outcome = grant.wait(until: deadline) { try outcome.get(); return true }
            let abandoned = state.withLock { state in
                state.waiters.removeFirst { $0.id == id }
            }
            if abandoned { return false }
            // Granted (or failed) just as the deadline passed: take the outcome.
            try grant.wait(until: nil)!.get()
            return true
        }
    }

    /// Suspends the calling task until a slot is free (not cancellable: it waits for a slot or for
    /// the model's unload).
    func acquire() async throws(RuntimeError) {
        switch admitOrQueue(queueIfFull: true) {
        case .admitted: return
        case .rejected(let error): throw error
        case .full: preconditionFailure("an async acquire queues when full")
        case .queued(_, let grant): try await grant.value().get()
        }
    }

    /// Frees a slot: it passes to the oldest waiter, if any.
    func release() {
        let action: (grant: Grant?, drained: [OneShot<Void>]) = state.withLock { state in
            if let waiter = state.waiters.popFirst() { return (waiter.grant, []) }
            state.inFlight -= 1
            guard state.inFlight == 0 else { return (nil, []) }
            let drained = state.drainWaiters
            state.drainWaiters = []
            return (nil, drained)
        }
        action.grant?.fulfill(.success(()))
        for waiter in action.drained { waiter.fulfill(()) }
    }

    /// Rejects new requests with `error` from now on, and fails every caller waiting for a slot with
    /// it. Requests already admitted continue.
    func close(with error: RuntimeError) {
        let waiting: [(id: Int, grant: Grant)] = state.withLock { state in
            state.closedError = state.closedError ?? error
            return state.waiters.removeAll()
        }
        for waiter in waiting { waiter.grant.fulfill(.failure(error)) }
    }

    /// Blocks until no request is in flight.
    func waitUntilDrained() {
        let waiter: OneShot<Void>? = state.withLock { state in
            guard state.inFlight > 0 else { return nil }
            let waiter = OneShot<Void>()
            state.drainWaiters.append(waiter)
            return waiter
        }
        _ = waiter?.wait(until: nil)
    }
}
