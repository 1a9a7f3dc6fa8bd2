import ArgumentParser
import FlexServer
import Foundation
import Logging

/// `flexeg serve`: an Open Inference Protocol (KServe v2) server, as Triton serves it over HTTP, over
/// a Triton-layout model repository; models are loaded at the NeuronCore their config's
/// `NEURON_CORE_START_INDEX` names, and moved, loaded and unloaded while it serves.
struct ServeCommand: AsyncParsableCommand {
    static let configuration = CommandConfiguration(
        commandName: "serve",
        abstract: "Serve a model repository over the KServe v2 / Triton protocols (HTTP and gRPC), placing models on NeuronCores while serving.",
        discussion: """
            The repository is Triton's layout: DIR/<name>/config.pbtxt (optional) and \
            DIR/<name>/<version>/model-symbol.json + model-0000.params (a plain checkpoint is compiled at \
            load for the config's input dims and NEURON_CORES, and cached beside it). The config's \
            parameters { key: "NEURON_CORE_START_INDEX" value { string_value: "6" } } is the mx.neuron(i) \
            index (the group in NeuronCore Group mode, NEURONCORE_GROUP_SIZES); instance_group [{ count: N }] \
            loads N copies on consecutive core ranges. In explicit mode a load request may carry the model \
            itself (Triton's file:<version>/<file> load parameters, with a config): it is staged in the \
            temporary directory until unloaded, and --max-request-bytes bounds it. Health: v2/health/ready \
            over HTTP, grpc.health.v1.Health/Check on the gRPC port. Metrics (Prometheus) are at /metrics \
            on the metrics port. Clients on this machine may pass tensors through POSIX shared memory regions they \
            register (Triton's system shared memory extension); any client that reaches the server can \
            register any /dev/shm object, so keep --host on loopback when they do. SIGTERM or SIGINT: stop \
            accepting, finish requests in flight, unload, release the cores.
            """
    )

    @Option(help: ArgumentHelp("The model repository directory.", valueName: "dir"))
    var modelRepository: String

    @Option(help: "Address to bind (loopback by default; 0.0.0.0 for containers).")
    var host = "127.0.0.1"

    @Option(help: "HTTP port (0: any free port; the chosen one is printed).")
    var httpPort = 8000

    @Option(help: "gRPC port (inference.GRPCInferenceService; 0: any free port).")
    var grpcPort = 8001

    @Option(help: "Serve gRPC on the gRPC port (true or false).")
    var allowGrpc = true

    @Option(help: "Metrics port (0: any free port).")
    var metricsPort = 8002

    @Option(help: "Serve Prometheus metrics on the metrics port (true or false).")
    var allowMetrics = true

    @Option(help: "none: load every model at start, refuse load/unload; explicit: load --load-model ones, take load/unload requests.")
    var modelControlMode = "none"

    @Option(help: ArgumentHelp("In explicit mode, a model to load at start (repeat; * for all).", valueName: "name"))
    var loadModel: [String] = []

    @Option(help: "NeuronCores on the device (default: one per host CPU, or the instance type's).")
    var cores: Int?

    @Option(help: ArgumentHelp("An instance type whose NeuronCores the device has (inf1.6xlarge: 16, ...).", valueName: "type"))
    var instance: String?

    @Option(help: "Largest request body accepted, bytes; larger bodies get 413.")
    var maxRequestBytes = 64 << 20

    @Option(help: "Log level: trace, debug, info, notice, warning, error, critical.")
    var logLevel = "info"

    func validate() throws {
        guard ModelControlMode(rawValue: modelControlMode) != nil else {
            throw ValidationError("--model-control-mode must be none or explicit, not '\(modelControlMode)'")
        }
        guard cores == nil || instance == nil else { throw ValidationError("give --cores or --instance, not both") }
        if let cores, cores < 1 { throw ValidationError("--cores must be at least 1; it is \(cores)") }
        for (name, port) in [("--http-port", httpPort), ("--grpc-port", grpcPort), ("--metrics-port", metricsPort)] where !(0...65535).contains(port) {
            throw ValidationError("\(name) must be 0...65535; it is \(port)")
        }
        guard maxRequestBytes >= 1 else { throw ValidationError("--max-request-bytes must be at least 1") }
        guard Logger.Level(rawValue: logLevel) != nil else {
            throw ValidationError("--log-level must be one of \(Logger.Level.allCases.map(\.rawValue).joined(separator: ", "))")
        }
        if !loadModel.isEmpty, modelControlMode != "explicit" {
            throw ValidationError("--load-model needs --model-control-mode explicit (in none mode every model is loaded)")
        }
    }

    func run() async throws {
        var configuration = ServerConfiguration(repository: modelRepository)
        configuration.host = host
        configuration.httpPort = httpPort
        configuration.metricsPort = metricsPort
        configuration.grpcPort = allowGrpc ? grpcPort : nil
        configuration.allowMetrics = allowMetrics
        configuration.controlMode = ModelControlMode(rawValue: modelControlMode)!
        configuration.loadModels = loadModel
        configuration.device = DeviceOptions(cores: cores, instance: instance)
        configuration.maxRequestBytes = maxRequestBytes
        configuration.logLevel = Logger.Level(rawValue: logLevel)!
        do {
            try await InferenceServer.run(configuration)
        } catch {
            FileHandle.standardError.write(Data("flexeg: error: \(error)\n".utf8))
            throw ExitCode.failure
        }
    }
}
