import FlexArtifact
import FlexCompiler
import FlexExecution
import FlexGraph
import FlexKernels
import FlexRuntime
import FlexTensor
import FlexTestSupport
import MXNetFormat
import Testing

/// Every MXNet-generated fixture compiled for 1, 2 and 4 NeuronCores reproduces MXNet's outputs, and so
/// does the compiled checkpoint read back from its symbol JSON and params.
@Suite struct FixtureCompilationTests {
    /// Fixtures whose operators FlexEG registers (the others cannot be parsed, compiled or not).
    static let fixtures = ((try? Fixture.all()) ?? []).filter { fixture in
        fixture.manifest.operators.allSatisfy { OperatorRegistry.byName[$0] != nil }
    }

    @Test func fixturesArePresent() {
        #expect(Self.fixtures.count >= 30)
    }

    @Test(arguments: fixtures)
    func compiledModelMatchesMXNet(fixture: Fixture) throws {
        let checkpoint = try Checkpoint.load(prefix: fixture.prefix, epoch: 0)
        let graph = try Graph(symbol: checkpoint.symbol)
        let parameters = checkpoint.argParams.merging(checkpoint.auxParams) { first, _ in first }
        let fixtureInputs = try fixture.inputs()
        let expected = try fixture.expectedOutputs()
        for cores in [1, 2, 4] {
            let model: CompiledModel
            do {
                model = try compileModel(graph: graph, parameters: parameters, inputShapes: fixtureInputs.mapValues(\.shape), cores: cores)
            } catch {
                guard case .invalidCoreCount(_, let maximum, _) = error, maximum < cores else {
                    Issue.record("\(fixture.name) for \(cores) cores: \(error)")
                    continue
                }
                continue
            }
            // Inputs inference never reads (SoftmaxOutput's label) are not inputs of the compiled model.
            let inputs = fixtureInputs.filter { input in model.inputs.contains { $0.name == input.key } }
            let outputs = try model.run(inputs)
            try #require(outputs.count == expected.count)
            // Folding a BatchNorm into weights reorders float arithmetic: 1e-3 relative L2 then, else 1e-4.
            let folded = model.subgraphs.flatMap { $0.artifact.steps.flatMap(\.fusedNodes) }.contains { name in
                graph.nodeIndex(named: name).map { graph.nodes[$0].opName == "BatchNorm" } ?? false
            }
            let tolerance = folded ? 1e-3 : 1e-4
            for (index, (actual, reference)) in zip(outputs, expected).enumerated() {
                #expect(actual.shape == reference.shape, "\(fixture.name) output \(index)")
                let error = relativeL2(actual, reference.dtype == .float32 ? reference : reference.converted(to: .float32))
                #expect(error <= tolerance, "\(fixture.name) for \(cores) cores: output \(index) relative L2 \(error)")
            }
            let reloaded = try CompiledModel(graph: try Graph(symbol: model.hostGraph.symbolFile()), parameters: model.parameters)
            let again = try reloaded.run(inputs)
            #expect(again.map { $0.toFloatArray() } == outputs.map { $0.toFloatArray() }, "\(fixture.name) reloaded for \(cores) cores")
        }
    }
}
