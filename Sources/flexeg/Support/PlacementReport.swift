import FlexArtifact
import FlexCompiler
import FlexEG
import FlexExecution
import FlexGraph
import FlexKernels
import FlexRuntime
import Foundation
import MXNetFormat

/// What a placement scenario measured (`flexeg run`, each scene of `flexeg demo`): the device, every
/// model's cores, inferences, throughput and latency, every core's executions, switches and busy
/// fraction, and the runtime's warnings.
///
/// JSON (`--json`), keys as below; counts cover the measured requests only:
/// `{"device": {"cores", "mode": "flexeg"|"ncg", ...}, "models": [{"name", "context", "cores", "inferences",
/// "throughput", "latency_ms": {"p50", "p99", ...}, ...}], "cores": [{"index", "models", "executions",
/// "switches", "busy", ...}], "warnings": [...]}`.
///
/// Thread ownership: a value.
struct PlacementReport: Codable, Sendable, Equatable {
    struct Device: Codable, Sendable, Equatable {
        /// NeuronCores on the device.
        var cores: Int
        /// `flexeg` (a context is a first core) or `ncg` (a context is a NeuronCore Group).
        var mode: String
        /// NeuronCores this process holds (context indexes `0 ..< processCores`).
        var processCores: Int
        /// NeuronCore Groups' cores (context indexes) in `ncg` mode; empty in `flexeg` mode.
        var groups: [[Int]]
        /// Host CPUs the NeuronCore threads run on.
        var hostCPUs: Int

        enum CodingKeys: String, CodingKey {
            case cores, mode, groups
            case processCores = "process_cores"
            case hostCPUs = "host_cpus"
        }
    }

    /// Latency percentiles in milliseconds (nil when the model completed no request).
    struct Latency: Codable, Sendable, Equatable {
        var p50: Double?
        var p90: Double?
        var p99: Double?
    }

    struct Model: Codable, Sendable, Equatable {
        var name: String
        /// The context index it was loaded at (`mx.neuron(context)`).
        var context: Int
        /// Context indexes of its NeuronCores, stage 0 first.
        var cores: [Int]
        /// Requests completed during the measurement.
        var inferences: Int
        var errors: Int
        /// Requests sent at a time.
        var concurrency: Int
        /// Completed requests per second of the measurement's wall time (until its last completion).
        var throughput: Double
        var latencyMs: Latency
        /// READY or STANDBY at the end of the measurement.
        var state: String

        enum CodingKeys: String, CodingKey {
            case name, context, cores, inferences, errors, concurrency, throughput, state
            case latencyMs = "latency_ms"
        }
    }

    struct Core: Codable, Sendable, Equatable {
        /// Context index.
        var index: Int
        var deviceCore: Int
        /// Names of the models loaded on it.
        var models: [String]
        /// Stages run during the measurement.
        var executions: Int
        /// Changes from one model to another during the measurement.
        var switches: Int
        /// Time spent switching during the measurement, milliseconds.
        var switchMs: Double
        /// Fraction of the measurement's wall time spent running stages or switching, 0...1.
        var busy: Double

        enum CodingKeys: String, CodingKey {
            case index, models, executions, switches, busy
            case deviceCore = "device_core"
            case switchMs = "switch_ms"
        }
    }

    var device: Device
    var models: [Model]
    var cores: [Core]
    /// The runtime's warnings raised for this scenario (oversubscribed host CPUs, shared cores), as sentences.
    var warnings: [String]
    /// Wall time of the measurement, seconds.
    var seconds: Double

    /// The report as JSON text, keys sorted.
    func json() -> String {
        Self.encode(self)
    }

    static func encode(_ value: some Encodable) -> String {
        let encoder = JSONEncoder()
        encoder.outputFormatting = [.prettyPrinted, .sortedKeys]
        encoder.nonConformingFloatEncodingStrategy = .convertToString(positiveInfinity: "inf", negativeInfinity: "-inf", nan: "nan")
        // Strings, numbers, arrays and optionals only: encoding cannot fail.
        return String(decoding: try! encoder.encode(value), as: UTF8.self)
    }
}
