import FlexTensor

/// A model compiled for `stageCount` NeuronCores: a pipeline of stages, stage `j` running on the
/// `j`-th core of wherever the model is loaded. This is all FlexRuntime knows of a model; the
/// compiler (or the null backend, `SyntheticModel`) provides it.
///
/// Thread ownership: shared, immutable after creation, used from any thread. One object is shared by
/// every loaded instance of the model (its weights exist once); each instance gets its own runners.
/// Identity matters: memory accounting charges a stage's weights once per core per model object.
public protocol PipelineModel: AnyObject, Sendable {
    var name: String { get }
    /// Number of stages = NeuronCores the model was compiled for (k ≥ 1).
    var stageCount: Int { get }
    /// The model's inputs, in the order stage 0 receives them.
    var inputs: [TensorSpec] { get }
    /// The model's outputs, in the order the last stage returns them.
    var outputs: [TensorSpec] { get }
    /// Device memory for stage `stage`'s weights, in bytes; charged once per core however many
    /// instances of this model use that stage there.
    func weightBytes(stage: Int) -> Int
    /// Device memory one loaded instance holds on stage `stage` whatever its traffic (the stage
    /// runner's activation arena and kernel scratch), in bytes; charged once per instance.
    func workspaceBytes(stage: Int) -> Int
    /// Device memory one in-flight request needs on stage `stage` (the tensors it sends on), in bytes;
    /// charged per instance × its in-flight limit.
    func activationBytes(stage: Int) -> Int
    /// A fresh runner for stage `stage`. Called on the thread of the NeuronCore that will own it.
    func makeStageRunner(stage: Int) -> any StageRunner
    /// Indexes into `inputs` of those whose padding samples a short batch's run (`StageRunner.run(_:rows:)`)
    /// may read. `LoadedModel` zeroes their padding before stage 0 runs; the other inputs' padding may
    /// hold anything. Read once at load.
    var inputsReadInPadding: [Int] { get }
}

extension PipelineModel {
    /// Every input, so every padding is zeroed: right for runners that compute the padding.
    public var inputsReadInPadding: [Int] { Array(inputs.indices) }
}

/// Executes one stage of one loaded model instance.
///
/// Thread ownership: created, used and released on its NeuronCore's thread only, one call at a time;
/// it needs no locking and must not block waiting for other cores.
public protocol StageRunner: AnyObject {
    /// Runs the stage: its incoming boundary tensors → its outgoing ones. Stage 0 receives the model's
    /// inputs (`PipelineModel.inputs` order); the last stage returns the model's outputs
    /// (`PipelineModel.outputs` order, shapes and dtypes exact). Returned tensors are handed over: the
    /// runner must not write to them afterwards (allocate per call or from a pool it never reuses
    /// while a request could still read them). Inputs are the runner's to read during the call.
    func run(_ inputs: [Tensor]) -> [Tensor]

    /// `run`, for inputs whose first `rows` batch samples (leading axis, 1 ≤ rows ≤ the batch) carry data
    /// and the rest is padding (a short dynamic batch): zeros in the inputs `PipelineModel.inputsReadInPadding`
    /// lists, anything in the others. Outputs keep their full shapes; their first `rows` samples equal
    /// `run`'s (up to float rounding), the rest are unspecified, so a runner may skip work on the padding.
    func run(_ inputs: [Tensor], rows: Int) -> [Tensor]

    /// Called when the core switches to this runner's model (and once at load when the core is idle):
    /// bring the stage's weights into cache, e.g. by reading them. The runtime times and counts it.
    func activate()
}

extension StageRunner {
    /// Runs the padding too, as `run(_:)` does.
    public func run(_ inputs: [Tensor], rows: Int) -> [Tensor] { run(inputs) }
}
