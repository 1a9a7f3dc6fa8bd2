/// Something that works but not as well as it could; kept by the runtime and passed to
/// `RuntimeConfiguration.onWarning`.
///
/// Thread ownership: an immutable value.
public struct RuntimeWarning: Sendable, Equatable, CustomStringConvertible {
    public enum Kind: String, Sendable, Codable {
        /// Several NeuronCores run on the same host CPU.
        case oversubscribedCores = "oversubscribed_cores"
        /// Core threads could not be pinned to host CPUs.
        case pinningUnavailable = "pinning_unavailable"
        /// A load placed a model on cores another model uses: they will take turns (model switching).
        case sharedCores = "shared_cores"
        /// The runtime's state could not be published for `flexeg ls/top/monitor` (`StatePublisher`).
        case statePublishingUnavailable = "state_publishing_unavailable"
    }

    public var kind: Kind
    /// The models concerned (names), if any.
    public var models: [String]
    /// The NeuronCores concerned (context indexes), if any.
    public var cores: [Int]
    public var message: String

    public init(kind: Kind, models: [String] = [], cores: [Int] = [], message: String) {
        self.kind = kind
        self.models = models
        self.cores = cores
        self.message = message
    }

    public var description: String { "warning: " + message }
}
