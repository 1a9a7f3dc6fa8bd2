import FlexArtifact
import FlexCompiler
import FlexExecution
import FlexGraph
import FlexKernels
import FlexRuntime
import FlexTensor
import Foundation
import MXNetFormat

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

extension mx {
    /// `mx.contrib`: Neuron-MXNet's extensions.
    public enum contrib {
        public enum neuron {
            /// `mx.contrib.neuron.compile(sym, args, aux, inputs)`: compiles `symbol` for `cores`
            /// NeuronCores (Neuron's `--neuroncore-pipeline-cores`) at the shapes of `inputs` (example
            /// arrays by input name; their values are not used) and returns the compiled symbol and its
            /// parameters, ready for `mx.model.saveCheckpoint` or `bind(ctx: mx.neuron(i))`.
            /// `excludeNodeNames` (Neuron's `excl_node_names`) stay ordinary MXNet nodes on the host;
            /// `target` is the instruction set the kernels are chosen for (default: this process's best).
            public static func compile(_ symbol: Symbol, _ args: [String: NDArray], _ aux: [String: NDArray],
                                       inputs: [String: NDArray], cores: Int = 1, excludeNodeNames: [String] = [],
                                       target: InstructionSet = .active) throws -> (Symbol, [String: NDArray], [String: NDArray]) {
                var parameters = aux.mapValues(\.tensor)
                for (name, array) in args { parameters[name] = array.tensor }
                let checkpoint = try Compiler.compile(graph: symbol.graph, parameters: parameters, inputShapes: inputs.mapValues(\.tensor.shape),
                                                      cores: cores, exclude: Set(excludeNodeNames), target: target)
                return (Symbol(graph: checkpoint.hostGraph, name: symbol.name),
                        checkpoint.argParameters.mapValues(NDArray.init), checkpoint.auxParameters.mapValues(NDArray.init))
            }
        }
    }
}
