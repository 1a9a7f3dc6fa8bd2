/// Something a `SyntheticModel` stage did, reported to its observer on the core's thread as it
/// happens (the observer may block to hold the stage there, e.g. to prove that stages overlap).
/// An immutable value.
public struct StageEvent: Sendable {
    public enum Phase: Sendable, Equatable {
        /// `StageRunner.activate()` ran (the core switched to, or loaded, this model).
        case activated
        /// `run` began.
        case started
        /// `run` is about to return.
        case finished
    }

    public var model: String
    public var stage: Int
    public var phase: Phase
    /// The request's tag: element 0 of the model input it carries (nil for `.activated`).
    public var tag: Float?
    /// The host CPU running the stage, where the OS tells.
    public var cpu: Int?
    public var time: ContinuousClock.Instant
}
