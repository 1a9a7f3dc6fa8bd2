import FlexTensor

/// One admitted request: created when it takes an in-flight slot, completed once by the core that
/// runs its last stage (or fails).
///
/// Thread ownership: immutable but for `started`, which the first stage's core thread sets under its
/// lock; the outcome is a `OneShot`, safe from any thread.
final class InferenceRequest: Sendable {
    let model: LoadedModel
    let submitted: ContinuousClock.Instant
    /// Leading rows (batch samples) of the inputs that carry data; nil: all. The rest is padding whose
    /// outputs no one reads, which a stage runner may skip (`StageRunner.run(_:rows:)`).
    let rows: Int?
    /// When the first stage's core took the request off its queue (nil until then).
    let started = Locked<ContinuousClock.Instant?>(nil)
    let outcome = OneShot<Result<[Tensor], RuntimeError>>()

    init(model: LoadedModel, submitted: ContinuousClock.Instant, rows: Int? = nil) {
        self.model = model
        self.submitted = submitted
        self.rows = rows
    }
}
