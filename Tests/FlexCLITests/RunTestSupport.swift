import FlexArtifact
import FlexCompiler
import FlexEG
import FlexExecution
import FlexGraph
import FlexKernels
import FlexRuntime
import FlexTestSupport
import Foundation
import MXNetFormat
import Testing

/// Compiled checkpoints and isolated runtimes for the `flexeg run` and `flexeg demo` tests.
enum RunTestSupport {
    /// `Sources/flexeg/DemoModels/<source>` in this checkout.
    static func demoModelDirectory(_ source: String) -> String {
        RepositoryPaths.root() + "/Sources/flexeg/DemoModels/" + source
    }

    /// Compiles demo model `source` (e.g. `model_a`) for `cores` NeuronCores and saves it as the
    /// checkpoint `<directory>/<source>-c<cores>` (epoch 0); returns that prefix.
    static func compiledCheckpoint(_ source: String, cores: Int, in directory: String) throws -> String {
        let (symbol, args, aux) = try mx.model.loadCheckpoint(demoModelDirectory(source) + "/" + source, 0)
        var parameters = aux.mapValues(\.tensor)
        for (name, array) in args { parameters[name] = array.tensor }
        let compiled = try Compiler.compile(graph: symbol.graph, parameters: parameters, inputShapes: ["data": [1, 3, 32, 32]], cores: cores)
        let prefix = directory + "/\(source)-c\(cores)"
        try mx.model.saveCheckpoint(prefix, 0, Symbol(graph: compiled.hostGraph), compiled.argParameters.mapValues(NDArray.init),
                                    compiled.auxParameters.mapValues(NDArray.init))
        return prefix
    }

    /// An environment whose NeuronCore lock files live in `directory`, so parallel tests never contend
    /// for cores, plus `extra`.
    static func environment(runtimeDirectory directory: String, _ extra: [String: String] = [:]) -> [String: String] {
        extra.merging(["FLEXEG_RUNTIME_DIR": directory, "NEURON_RT_VISIBLE_CORES": "", "NEURON_RT_NUM_CORES": "",
                       "NEURONCORE_GROUP_SIZES": extra["NEURONCORE_GROUP_SIZES"] ?? ""]) { $1 }
    }

    /// Decodes a command's JSON output as a dictionary (records an issue and returns nil if it is not).
    static func jsonObject(_ text: String) -> [String: Any]? {
        guard let object = try? JSONSerialization.jsonObject(with: Data(text.utf8)) as? [String: Any] else {
            Issue.record("expected a JSON object, got: \(text.prefix(500))")
            return nil
        }
        return object
    }
}
