import FlexArtifact
import FlexCompiler
import FlexEG
import FlexExecution
import FlexGraph
import FlexKernels
import FlexRuntime
import FlexTestSupport
import MXNetFormat
import Testing

/// Compiled graphs run through `CompiledModel`; the reference executor refuses them with a clear
/// error instead of reaching the subgraph operator's kernel.
@Suite("compiled graph routing")
struct CompiledRoutingTests {
    @Test func referenceExecutorRefusesCompiledGraphs() throws {
        let fixture = try Fixture.named("zoo_squeezenet1_1")
        let (symbol, args, aux) = try mx.model.loadCheckpoint(fixture.prefix, 0)
        let parameters = args.merging(aux) { a, _ in a }.mapValues(\.tensor)
        let inputs = try fixture.inputs()
        let compiled = try compileModel(graph: symbol.graph, parameters: parameters,
                                            inputShapes: inputs.mapValues(\.shape), cores: 2)
        let executor = GraphExecutor(graph: compiled.hostGraph, parameters: compiled.parameters)
        #expect(throws: GraphError.compiledSubgraph(node: "_neuron_subgraph_op0")) {
            try executor.forward(inputs)
        }
        // The facade routes the same compiled graph to its stages and matches MXNet.
        let compiledSymbol = Symbol(graph: compiled.hostGraph)
        let cpu = try compiledSymbol.bind(ctx: mx.cpu(), args: compiled.parameters.mapValues(NDArray.init))
        let outputs = try cpu.forward(inputs.mapValues(NDArray.init))
        let expected = try fixture.expectedOutputs()
        #expect(relativeL2Error(outputs[0].tensor, expected[0]) <= 1e-3)
    }
}
