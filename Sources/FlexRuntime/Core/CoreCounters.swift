/// What a NeuronCore has done, for snapshots. Written by the core's thread, read by anyone under the
/// core's `counters` lock.
struct CoreCounters: Sendable {
    /// Stage executions completed.
    var executions = 0
    /// Times the core changed from one loaded model to another.
    var switches = 0
    /// Total time spent in `StageRunner.activate()` for switches.
    var switchTime: Duration = .zero
    /// Time spent running stages and switching.
    var busyTime: Duration = .zero
    /// Id of the loaded model whose weights are on the core (last one run or activated), if any.
    var activeModel: Int?
    /// Id of the loaded model running a stage right now, if any.
    var runningModel: Int?
    /// Host CPU the thread is pinned to (nil until pinned, or when pinning failed or is off).
    var pinnedCPU: Int?
}
