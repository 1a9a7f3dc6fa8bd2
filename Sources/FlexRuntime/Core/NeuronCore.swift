import Dispatch
import Foundation

/// One NeuronCore: a dedicated worker thread (never Swift's cooperative pool), optionally pinned to a
/// host CPU, with a FIFO run queue.
///
/// Thread ownership: `enqueue` and `counters` may be used from any thread. Jobs run one at a time, in
/// arrival order, on the core's own thread; the stage runners and the core's "active model" live in a
/// `CoreWorker` that only that thread touches. A core therefore runs one model at a time; models that
/// share a core take turns in arrival order.
final class NeuronCore: Sendable {
    /// Context index: position among the process's cores (what `load(at:)` counts in).
    let index: Int
    /// Index of the core on the device (what `NEURON_RT_VISIBLE_CORES` and lock files name).
    let deviceIndex: Int
    /// Host CPU the thread is meant to run on (nil when pinning is off).
    let cpu: Int?
    let started = ContinuousClock.now
    let counters = Locked(CoreCounters())
    private let jobs = Locked(FIFO<CoreJob>())
    private let wakeups = DispatchSemaphore(value: 0)

    /// Thread-dictionary key marking a thread as a NeuronCore's (value: the core's context index).
    static let threadMarker = "FlexEG.NeuronCore"

    /// Creates the core and starts its thread. Returns once the thread runs; `pinningError` is the
    /// errno value if pinning to `cpu` failed (the thread then runs unpinned).
    init(index: Int, deviceIndex: Int, cpu: Int?, pinningError: inout Int32?) {
        self.index = index
        self.deviceIndex = deviceIndex
        self.cpu = cpu
        let ready = OneShot<Int32?>()
        NamedThread.start("flexeg-nc\(deviceIndex)") { [self] in
            let error = cpu.flatMap { HostCPUs.pinCurrentThread(to: $0) }
            if error == nil, let cpu { self.counters.withLock { $0.pinnedCPU = cpu } }
            Thread.current.threadDictionary[Self.threadMarker] = index
            ready.fulfill(error)
            CoreWorker(core: self).run()
        }
        pinningError = ready.wait(until: nil) ?? nil
    }

    func enqueue(_ job: CoreJob) {
        jobs.withLock { $0.append(job) }
        wakeups.signal()
    }

    /// Blocks the core's thread until a job is queued, then takes it.
    func nextJob() -> CoreJob {
        while true {
            wakeups.wait()
            if let job = jobs.withLock({ $0.popFirst() }) { return job }
        }
    }

    /// Jobs waiting to run.
    var queueLength: Int { jobs.withLock { $0.count } }

    /// The context index of the NeuronCore whose thread is calling, if any (of any runtime).
    static func currentCoreIndex() -> Int? {
        Thread.current.threadDictionary[threadMarker] as? Int
    }
}
