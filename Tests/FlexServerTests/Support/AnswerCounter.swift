import FlexRuntime

/// Counts the answers a churned model gives (any thread may record), so a churn loop can wait until
/// the model has answered at its current placement before it moves it again.
final class AnswerCounter: Sendable {
    private let answers = Locked(0)

    var count: Int { answers.withLock { $0 } }

    func record() { answers.withLock { $0 += 1 } }

    /// Waits, at most `timeout`, until `model` gives an answer after this call.
    func awaitNextAnswer(from model: String, timeout: Duration = .seconds(30)) async throws {
        let seen = count
        let deadline = ContinuousClock.now + timeout
        while count <= seen {
            guard ContinuousClock.now < deadline else { throw Stalled(model: model, timeout: timeout) }
            try await Task.sleep(for: .milliseconds(1))
        }
    }

    struct Stalled: Error, CustomStringConvertible {
        let model: String
        let timeout: Duration
        var description: String { "model \(model) answered no request within \(timeout) of being loaded" }
    }
}
