import FlexTensor

/// Work queued on a NeuronCore, executed in arrival order by its thread.
///
/// Thread ownership: created by any thread, handed to the core through its locked queue; from then
/// on only the core's thread reads it.
enum CoreJob: Sendable {
    /// Create the runner of `stage` of `model` on this core (and activate it if the core is idle).
    case install(LoadedModel, stage: Int, done: OneShot<Void>)
    /// Run one stage of one request.
    case run(StageJob)
    /// Release the runner of the loaded model with this id.
    case remove(modelID: Int, done: OneShot<Void>)
    /// Release every runner and end the thread.
    case stop(done: OneShot<Void>)
}

/// One request at one stage: the tensors crossing into that stage (owned by the stage while it runs).
struct StageJob: Sendable {
    let request: InferenceRequest
    let stage: Int
    let inputs: [Tensor]
}
