import FlexArtifact
import FlexCompiler
import FlexExecution
import FlexGraph
import FlexKernels
import FlexRuntime
import FlexTensor
import MXNetFormat

/// MXNet's `Symbol`: a graph read from `PREFIX-symbol.json` (plain or compiled), ready to bind.
///
/// Binding a compiled symbol to `mx.neuron(i)` loads it onto NeuronCores; every executor bound from
/// one symbol with the same compiled artifacts shares one `CompiledPipelineModel`, so instances share
/// one copy of the weights. Thread-safe: bind from any thread.
public final class Symbol: Sendable {
    public let graph: Graph
    /// What the runtime calls models bound from this symbol (snapshots, warnings): the checkpoint
    /// prefix's last path component when loaded from files.
    public let name: String
    /// Compiled models already built for this symbol, keyed by the identity of their artifacts.
    private let pipelines = Locked<[[ObjectIdentifier]: CompiledPipelineModel]>([:])

    public init(graph: Graph, name: String = "model") {
        self.graph = graph
        self.name = name
    }

    /// Reads `PREFIX-symbol.json` (MXNet's `mx.sym.load`).
    public static func load(_ path: String, name: String = "model") throws -> Symbol {
        try Symbol(graph: Graph(symbol: SymbolFile(contentsOf: path)), name: name)
    }

    /// Whether the symbol holds `_neuron_subgraph_op` nodes (it was compiled for NeuronCores).
    public var isCompiled: Bool { CompiledModel.isCompiled(graph) }

    public func listArguments() -> [String] { graph.argumentNames }
    public func listAuxiliaryStates() -> [String] { graph.auxiliaryNames }
    public func listOutputs() -> [String] { graph.outputNames }

    /// MXNet's `sym.bind(ctx, args, aux_states=…, grad_req='null')`.
    ///
    /// - `mx.cpu()`: runs on the calling thread (reference executor, or a compiled model's stages in
    ///   order).
    /// - `mx.neuron(i)`: loads the compiled model onto the NeuronCores that `i` names (FlexEG: the k
    ///   consecutive cores from core i; NeuronCore Groups: group i) of the process's runtime
    ///   (`mx.runtime()`), or of `runtime` when given.
    public func bind(ctx: Context, args: [String: NDArray], auxStates: [String: NDArray] = [:],
                     gradReq: GradReq = .null, runtime: NeuronRuntime? = nil) throws -> Executor {
        guard gradReq == .null else { throw FacadeError.trainingUnsupported(gradReq) }
        // A malformed FLEXEG_MAX_ISA is an error here, not a silently ignored cap.
        _ = try Fast.InstructionSet.environmentCap()
        var parameters = auxStates.mapValues(\.tensor)
        for (name, array) in args { parameters[name] = array.tensor }
        switch ctx.kind {
        case .cpu:
            if isCompiled {
                return Executor(compiledOnCPU: try CompiledModel(graph: graph, parameters: parameters), context: ctx)
            }
            return Executor(graphExecutor: GraphExecutor(graph: graph, parameters: parameters), context: ctx)
        case .neuron:
            guard isCompiled else { throw FacadeError.notCompiled(context: ctx) }
            let pipeline = try pipeline(parameters: parameters)
            let loaded = try (runtime ?? mx.runtime()).load(pipeline, at: ctx.index)
            return Executor(loaded: loaded, context: ctx)
        }
    }

    /// The shared compiled model for these parameters (one per distinct set of artifacts).
    private func pipeline(parameters: [String: Tensor]) throws -> CompiledPipelineModel {
        let key = graph.nodes.filter { $0.op is NeuronSubgraphOperator }
            .compactMap { parameters[$0.name + "_neuronbin"].map { ObjectIdentifier($0.buffer) } }
        if let existing = pipelines.withLock({ $0[key] }) { return existing }
        let compiled = try CompiledModel(graph: graph, parameters: parameters)
        let created = CompiledPipelineModel(name: name, compiled: compiled)
        return pipelines.withLock { cache in
            if let existing = cache[key] { return existing }
            cache[key] = created
            return created
        }
    }
}
