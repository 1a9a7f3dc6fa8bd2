import Foundation

/// The MXNet-style front end: the seed's Neuron-MXNet code, line by line in Swift.
///
/// ```swift
/// let (sym, args, aux) = try mx.model.loadCheckpoint(prefix, 0)
/// let model0 = try sym.bind(ctx: mx.neuron(0), args: args, auxStates: aux, gradReq: .null)
/// let results0 = try model0.forward(data: inputs0)
/// ```
public enum mx {
    /// The calling thread's CPU (`mx.cpu()`).
    public static func cpu(_ index: Int = 0) -> Context { Context(.cpu, index) }

    /// NeuronCore context `index` (`mx.neuron(i)`): the first core of the range a model occupies in
    /// FlexEG mode, or NeuronCore Group `index` when `NEURONCORE_GROUP_SIZES` is set.
    public static func neuron(_ index: Int = 0) -> Context { Context(.neuron, index) }

    public enum model {
        /// `mx.model.load_checkpoint(prefix, epoch)`: the symbol and its arg and aux parameters.
        public static func loadCheckpoint(_ prefix: String, _ epoch: Int) throws -> (Symbol, [String: NDArray], [String: NDArray]) {
            let checkpoint = try Checkpoint.load(prefix: prefix, epoch: epoch)
            let name = URL(fileURLWithPath: prefix).lastPathComponent
            let symbol = Symbol(graph: try Graph(symbol: checkpoint.symbol), name: name)
            return (symbol, checkpoint.argParams.mapValues(NDArray.init), checkpoint.auxParams.mapValues(NDArray.init))
        }

        /// `mx.model.save_checkpoint(prefix, epoch, symbol, arg_params, aux_params)`.
        public static func saveCheckpoint(_ prefix: String, _ epoch: Int, _ symbol: Symbol,
                                          _ args: [String: NDArray], _ aux: [String: NDArray]) throws {
            try Checkpoint(symbol: symbol.graph.symbolFile(), argParams: args.mapValues(\.tensor), auxParams: aux.mapValues(\.tensor))
                .save(prefix: prefix, epoch: epoch)
        }
    }

    /// The process's NeuronCores, created on first use from the environment as Neuron Runtime 2.x
    /// reads it (`NEURON_RT_VISIBLE_CORES`, `NEURON_RT_NUM_CORES`, `NEURONCORE_GROUP_SIZES`). An
    /// invalid environment is reported by every call until `useRuntime` replaces it.
    public static func runtime() throws -> NeuronRuntime {
        try processRuntime.withLock { state in
            if let runtime = state { return runtime }
            let runtime = try NeuronRuntime(RuntimeConfiguration(environment: ProcessInfo.processInfo.environment))
            state = runtime
            return runtime
        }
    }

    /// Makes `runtime` the one `mx.neuron(i)` binds to (e.g. a 16-core device made from an instance
    /// type). The previous one is left as it is: shut it down first if it holds cores.
    public static func useRuntime(_ runtime: NeuronRuntime) {
        processRuntime.withLock { $0 = runtime }
    }

    private static let processRuntime = Locked<NeuronRuntime?>(nil)
}
