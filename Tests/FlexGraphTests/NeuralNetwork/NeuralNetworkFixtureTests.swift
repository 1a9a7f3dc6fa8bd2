import Foundation
import FlexGraph
import FlexTensor
import FlexTestSupport
import MXNetFormat
import Testing

/// The MXNet 1.9.1 fixture models (`Tests/Fixtures/models/<name>`, see `Scripts/fixtures/README.md`)
/// whose operators are all registered, run by `GraphExecutor` and compared with MXNet's outputs
/// (relative L2 error within the manifest's tolerance, 1e-4).
@Suite struct NeuralNetworkFixtureTests {
    struct Fixture: Sendable, CustomStringConvertible {
        var directory: String
        var operators: [String]
        var inputs: [(name: String, file: String)]
        var outputs: [String]
        var tolerance: Double

        var name: String { URL(fileURLWithPath: directory).lastPathComponent }
        var description: String { name }

        init?(directory: String) {
            guard let data = FileManager.default.contents(atPath: directory + "/manifest.json"),
                  let manifest = try? JSONSerialization.jsonObject(with: data) as? [String: Any],
                  let operators = manifest["operators"] as? [String],
                  let inputs = manifest["inputs"] as? [[String: Any]],
                  let outputs = manifest["outputs"] as? [[String: Any]] else { return nil }
            self.directory = directory
            self.operators = operators
            self.inputs = inputs.compactMap { input in
                guard let name = input["name"] as? String, let file = input["file"] as? String else { return nil }
                return (name, file)
            }
            self.outputs = outputs.compactMap { $0["file"] as? String }
            tolerance = manifest["tolerance"] as? Double ?? 1e-4
        }
    }

    static let all: [Fixture] = RepositoryPaths.fixtureModels().compactMap(Fixture.init(directory:))
    /// Fixtures every operator of which FlexEG registers.
    static let runnable = all.filter { $0.operators.allSatisfy { OperatorRegistry.byName[$0] != nil } }

    @Test(arguments: runnable)
    func matchesMXNet(_ fixture: Fixture) throws {
        let checkpoint = try Checkpoint.load(prefix: fixture.directory + "/model", epoch: 0)
        let graph = try Graph(symbol: checkpoint.symbol)
        let parameters = checkpoint.argParams.merging(checkpoint.auxParams) { first, _ in first }
        var inputs: [String: Tensor] = [:]
        for input in fixture.inputs { inputs[input.name] = try Tensor(npyFile: fixture.directory + "/" + input.file) }
        let outputs = try GraphExecutor(graph: graph, parameters: parameters).forward(inputs)
        #expect(outputs.count == fixture.outputs.count)
        for (index, (actual, file)) in zip(outputs, fixture.outputs).enumerated() {
            let expected = try Tensor(npyFile: fixture.directory + "/" + file)
            #expect(actual.shape == expected.shape, "\(graph.outputNames[index])")
            let error = relativeL2Error(actual, expected)
            #expect(error <= fixture.tolerance, "\(graph.outputNames[index]): relative L2 error \(error)")
        }
    }

    /// The fixtures of this family's operators are among those run (so the test above cannot pass by
    /// running nothing).
    @Test func neuralNetworkFixturesRun() {
        let run = Set(Self.runnable.map(\.name))
        let expected: Set = ["bn_gluon_fix_gamma_false", "bn_symbol_default_fix_gamma", "ops_conv1d", "ops_conv2d", "ops_deconv", "ops_fc",
                             "ops_norm", "ops_pool", "ops_pool1d", "ops_softmax", "ops_softmax_output", "ops_upsampling", "zoo_vgg11_bn"]
        #expect(expected.isSubset(of: run), "not run: \(expected.subtracting(run).sorted())")
    }
}
