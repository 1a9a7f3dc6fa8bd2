import FlexTensor

/// One admitted request: created when it takes an in-flight slot, completed once by the core that
/// runs its last stage (or fails).
///
/// Thread ownership: immutable; the outcome is a `OneShot`, safe from any thread.
final class InferenceRequest: Sendable {
    let model: LoadedModel
    let submitted: ContinuousClock.Instant
    let outcome = OneShot<Result<[Tensor], RuntimeError>>()

    init(model: LoadedModel, submitted: ContinuousClock.Instant) {
        self.model = model
        self.submitted = submitted
    }
}
