import Dispatch

/// A value delivered once, awaited by blocking threads or by async tasks.
///
/// Thread ownership: any thread may `fulfill`, `wait` or await `value`. The value travels under the
/// lock, so every reader happens-after the writer; semaphores and continuations only wake readers.
/// Waking never runs user code on the fulfilling thread: a blocked thread is signalled and an async
/// task is resumed onto its executor, so a NeuronCore thread can fulfill without being delayed.
final class OneShot<Value: Sendable>: Sendable {
    private enum Waiter {
        case thread(id: Int, DispatchSemaphore)
        case task(CheckedContinuation<Value, Never>)
    }

    private struct State {
        var value: Value?
        var waiters: [Waiter] = []
        var nextWaiterID = 0
    }

    private let state = Locked(State())

    init() {}

    /// The value if it has been delivered.
    var current: Value? { state.withLock { $0.value } }

    /// Delivers `value`; returns false (and changes nothing) when a value was already delivered.
    @discardableResult
    func fulfill(_ value: Value) -> Bool {
        let waiters: [Waiter]? = state.withLock { state in
            guard state.value == nil else { return nil }
            state.value = value
            let waiters = state.waiters
            state.waiters = []
            return waiters
        }
        guard let waiters else { return false }
        for waiter in waiters {
            switch waiter {
            case .thread(_, let semaphore): semaphore.signal()
            case .task(let continuation): continuation.resume(returning: value)
            }
        }
        return true
    }

    /// Blocks the calling thread until the value arrives or `deadline` passes (nil: no deadline).
    /// Returns nil on timeout.
    func wait(until deadline: ContinuousClock.Instant?) -> Value? {
        let semaphore = DispatchSemaphore(value: 0)
        let registration: (value: Value?, id: Int) = state.withLock { state in
            if let value = state.value { return (value, -1) }
            let id = state.nextWaiterID
            state.nextWaiterID += 1
            state.waiters.append(.thread(id: id, semaphore))
            return (nil, id)
        }
        if let value = registration.value { return value }
        guard let deadline else {
            semaphore.wait()
            return state.withLock { $0.value }
        }
        let remaining = ContinuousClock.now.duration(to: deadline)
        if semaphore.wait(timeout: .now() + .nanoseconds(remaining.wholeNanoseconds)) == .success {
            return state.withLock { $0.value }
        }
        let stillWaiting = state.withLock { state in
            guard state.value == nil else { return false }
            state.waiters.removeAll { waiter in
                if case .thread(let id, _) = waiter { return id == registration.id }
                return false
            }
            return true
        }
        if stillWaiting { return nil }
        // Fulfilled between the timeout and the check: the signal is on its way.
        semaphore.wait()
        return state.withLock { $0.value }
    }

    /// Suspends the calling task (not a thread) until the value arrives.
    func value() async -> Value {
        await withCheckedContinuation { (continuation: CheckedContinuation<Value, Never>) in
            let ready: Value? = state.withLock { state in
                if let value = state.value { return value }
                state.waiters.append(.task(continuation))
                return nil
            }
            if let ready { continuation.resume(returning: ready) }
        }
    }
}
