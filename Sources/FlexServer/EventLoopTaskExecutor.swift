import NIOCore

/// A `TaskExecutor` that runs every job on one SwiftNIO event loop.
///
/// A connection's handler task normally runs on Swift's global pool while its channel lives on an
/// event loop, so every body chunk (or HTTP/2 frame) the loop reads, and every response part the
/// task writes, crosses threads: a wake-up and a context switch each, which on a loaded CPU cost tens
/// of microseconds. A task that prefers this executor (`withTaskExecutorPreference`; the REST and
/// gRPC listeners do so for each connection) runs on the channel's own loop: chunks resume it in the
/// same loop iteration, and its writes need no hop.
///
/// Only for handlers that never block their thread: a job here holds up every other connection on
/// the loop. Blocking work (model loads, compiles) goes to its own queue and is awaited.
final class EventLoopTaskExecutor: TaskExecutor {
    let eventLoop: any EventLoop

    init(_ eventLoop: any EventLoop) {
        self.eventLoop = eventLoop
    }

    func enqueue(_ job: consuming ExecutorJob) {
        let job = UnownedJob(job)
        eventLoop.execute { job.runSynchronously(on: self.asUnownedTaskExecutor()) }
    }
}
