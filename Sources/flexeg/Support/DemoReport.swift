/// What `flexeg demo --json` prints: the four models, each scene's placement report, the failing load,
/// and whether FlexEG's outputs matched MXNet's.
///
/// Thread ownership: a value.
struct DemoReport: Codable, Sendable {
    struct Device: Codable, Sendable {
        var instance: String
        var cores: Int
        var hostCPUs: Int

        enum CodingKeys: String, CodingKey {
            case instance, cores
            case hostCPUs = "host_cpus"
        }
    }

    struct Model: Codable, Sendable {
        /// The seed's letter, the name the runtime knows it by.
        var name: String
        /// The shipped checkpoint (`model_a`).
        var source: String
        var description: String
        /// NeuronCores it was compiled for.
        var cores: Int
        var compileSeconds: Double

        enum CodingKeys: String, CodingKey {
            case name, source, description, cores
            case compileSeconds = "compile_seconds"
        }
    }

    /// A load that must fail: `model` at `mx.neuron(context)` on a device of `deviceCores`.
    struct FailedLoad: Codable, Sendable {
        var model: String
        var context: Int
        var deviceCores: Int
        /// The runtime's error, as printed.
        var error: String
        /// Start indexes the error names as valid.
        var validStarts: [Int]
        /// Start indexes the demo then loaded the model at successfully.
        var loadedAt: [Int]

        enum CodingKeys: String, CodingKey {
            case model, context, error
            case deviceCores = "device_cores"
            case validStarts = "valid_starts"
            case loadedAt = "loaded_at"
        }
    }

    struct Scene: Codable, Sendable {
        /// `disjoint`, `remapped`, `shared`, `ncg` or `failing_load`.
        var name: String
        var title: String
        var placement: PlacementReport?
        /// Largest relative L2 error of the scene's models on MXNet's input against MXNet's output.
        var outputsMaxRelativeError: Double?
        /// For `ncg`: whether every model got the same cores as in `disjoint`.
        var sameCoresAsDisjoint: Bool?
        var failedLoad: FailedLoad?

        enum CodingKeys: String, CodingKey {
            case name, title, placement
            case outputsMaxRelativeError = "outputs_max_relative_error"
            case sameCoresAsDisjoint = "same_cores_as_disjoint"
            case failedLoad = "failed_load"
        }
    }

    /// FlexEG's outputs against MXNet's over every scene.
    struct Outputs: Codable, Sendable {
        var match: Bool
        var maxRelativeError: Double
        var tolerance: Double

        enum CodingKeys: String, CodingKey {
            case match, tolerance
            case maxRelativeError = "max_relative_error"
        }
    }

    var device: Device
    /// Warnings about the host (oversubscribed cores), once.
    var warnings: [String]
    var models: [Model]
    var scenes: [Scene]
    var outputs: Outputs
}
