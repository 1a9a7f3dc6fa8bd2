import FlexArtifact
import FlexCompiler
import FlexEG
import FlexExecution
import FlexGraph
import FlexKernels
import FlexRuntime
import Foundation
import MXNetFormat

/// One of the four example models shipped with `flexeg` (`DemoModels/model_{a,b,c,d}/`, made by
/// MXNet 1.9.1: checkpoint, `in_data.npy`, MXNet's `out_0.npy`, `manifest.json`), compiled in memory
/// for the NeuronCore count the seed gives it: A 2, B 4, C 3, D 4.
///
/// Thread ownership: immutable after `load`; its symbol binds from any thread.
struct DemoModel: Sendable {
    /// The seed's letter: `A`, `B`, `C` or `D`; also the name the runtime knows the model by.
    let letter: String
    /// The folder and checkpoint name (`model_a`).
    let source: String
    let summary: String
    /// NeuronCores it is compiled for.
    let cores: Int
    /// The compiled symbol (named `letter`) and its parameters, ready for `bind`.
    let symbol: Symbol
    let args: [String: NDArray]
    let aux: [String: NDArray]
    /// MXNet's input and the output MXNet computed for it.
    let input: NDArray
    let expected: NDArray
    /// Largest relative L2 error accepted against MXNet's output.
    let tolerance: Double
    let compileSeconds: Double

    private struct Manifest: Decodable {
        struct Input: Decodable { var name: String; var file: String; var shape: [Int] }
        struct Output: Decodable { var file: String }
        var name: String
        var description: String
        var inputs: [Input]
        var outputs: [Output]
        var tolerance: Double
    }

    /// The seed's four models, in order A, B, C, D.
    static let catalog: [(letter: String, source: String, cores: Int)] = [
        ("A", "model_a", 2), ("B", "model_b", 4), ("C", "model_c", 3), ("D", "model_d", 4),
    ]

    /// `DemoModels` among the executable's resources.
    static var directory: String {
        get throws {
            guard let url = Bundle.module.url(forResource: "DemoModels", withExtension: nil) else {
                throw CommandLineError("the demo models are missing from flexeg's resources (\(Bundle.module.bundlePath)/DemoModels); rebuild flexeg")
            }
            return url.path
        }
    }

    /// Reads model `source` from `directory` and compiles it for `cores` NeuronCores.
    static func load(letter: String, source: String, cores: Int, from directory: String) throws -> DemoModel {
        let folder = directory + "/" + source
        let manifest = try JSONDecoder().decode(Manifest.self, from: Data(contentsOf: URL(fileURLWithPath: folder + "/manifest.json")))
        guard manifest.inputs.count == 1, let input = manifest.inputs.first, let output = manifest.outputs.first else {
            throw CommandLineError("\(folder)/manifest.json must list one input and at least one output")
        }
        let clock = ContinuousClock()
        let start = clock.now
        let (plain, args, aux) = try mx.model.loadCheckpoint(folder + "/" + source, 0)
        var parameters = aux.mapValues(\.tensor)
        for (name, array) in args { parameters[name] = array.tensor }
        let compiled = try Compiler.compile(
            graph: plain.graph, parameters: parameters, inputShapes: [input.name: Shape(input.shape)], cores: cores)
        let (seconds, attoseconds) = start.duration(to: clock.now).components
        return DemoModel(
            letter: letter, source: source, summary: manifest.description, cores: cores,
            symbol: Symbol(graph: compiled.hostGraph, name: letter),
            args: compiled.argParameters.mapValues(NDArray.init), aux: compiled.auxParameters.mapValues(NDArray.init),
            input: try NDArray(npyFile: folder + "/" + input.file),
            expected: try NDArray(npyFile: folder + "/" + output.file),
            tolerance: manifest.tolerance,
            compileSeconds: Double(seconds) + Double(attoseconds) * 1e-18)
    }

    /// Relative L2 error `‖actual − expected‖ / ‖expected‖` of `outputs[0]` against MXNet's output
    /// (infinity when the shapes differ).
    func relativeError(of outputs: [NDArray]) -> Double {
        guard let actual = outputs.first, actual.shape == expected.shape else { return .infinity }
        var difference = 0.0, reference = 0.0
        for (a, e) in zip(actual.asArray(), expected.asArray()) {
            difference += (Double(a) - Double(e)) * (Double(a) - Double(e))
            reference += Double(e) * Double(e)
        }
        if difference == 0 { return 0 }
        return reference == 0 ? .infinity : (difference / reference).squareRoot()
    }
}
