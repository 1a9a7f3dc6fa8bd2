import FlexArtifact
import FlexCompiler
import FlexExecution
import FlexGraph
import FlexKernels
import FlexRuntime
import FlexTensor
import MXNetFormat

/// MXNet's `Executor`: a symbol bound to a context, ready for `forward`.
///
/// On `mx.neuron(i)` it is a model loaded on NeuronCores: `forward` may be called from many threads
/// or tasks at once (requests pipeline through the cores), and the model is unloaded by `unload()` or
/// when the executor is released. On `mx.cpu()` it runs on the calling thread, one call at a time.
public final class Executor: Sendable {
    public let context: Context
    private let backend: Backend
    /// Serializes CPU calls: the reference executor and stage runners are not thread-safe.
    private let cpuLock = Locked(())

    /// The CPU cases hold non-Sendable objects that are only touched while holding `cpuLock`.
    private enum Backend: @unchecked Sendable {
        /// Reference executor for an uncompiled graph.
        case graph(GraphExecutor)
        /// A compiled model's stages run in order; each runner owns its arenas.
        case compiledOnCPU(CompiledModel, [CompiledStageRunner])
        case neuron(LoadedModel)
    }

    init(graphExecutor: GraphExecutor, context: Context) {
        self.context = context
        backend = .graph(graphExecutor)
    }

    init(compiledOnCPU model: CompiledModel, context: Context) {
        self.context = context
        backend = .compiledOnCPU(model, (0..<model.stageCount).map { model.makeStageRunner(stage: $0) })
    }

    init(loaded: LoadedModel, context: Context) {
        self.context = context
        backend = .neuron(loaded)
    }

    deinit {
        if case .neuron(let loaded) = backend, loaded.isLoaded { try? loaded.unload() }
    }

    /// The loaded model when bound to NeuronCores (its cores, state and counters via the runtime's
    /// snapshot); nil on the CPU.
    public var loadedModel: LoadedModel? {
        if case .neuron(let loaded) = backend { loaded } else { nil }
    }

    /// Names of the inputs `forward` takes.
    public var inputNames: [String] {
        switch backend {
        case .graph(let executor): executor.inputNames
        case .compiledOnCPU(let model, _): model.inputs.map(\.name)
        case .neuron(let loaded): loaded.model.inputs.map(\.name)
        }
    }

    /// Runs one inference; outputs in the symbol's head order. Inputs of another dtype are converted
    /// to the model's (as MXNet's copy into a bound array does).
    public func forward(_ inputs: [String: NDArray]) throws -> [NDArray] {
        try forwardBlocking(inputs.mapValues(\.tensor)).map(NDArray.init)
    }

    private func forwardBlocking(_ inputs: [String: Tensor]) throws -> [Tensor] {
        switch backend {
        case .graph(let executor):
            return try cpuLock.withLock { _ in try executor.forward(inputs) }
        case .compiledOnCPU(let model, let runners):
            var values = try ordered(inputs, for: model.inputs)
            cpuLock.withLock { _ in
                for runner in runners { values = runner.run(values) }
            }
            return values
        case .neuron(let loaded):
            return try loaded.infer(checked(inputs, for: loaded.model.inputs))
        }
    }

    /// `forward(data: x)`: the common single-input case, MXNet's `forward(data=x)`.
    public func forward(data: NDArray) throws -> [NDArray] {
        try forward(["data": data])
    }

    /// Runs one inference without blocking a thread: on NeuronCores the task suspends until the
    /// cores complete the request. On the CPU it runs on the calling task's thread.
    public func forward(_ inputs: [String: NDArray]) async throws -> [NDArray] {
        if case .neuron(let loaded) = backend {
            let tensors = try checked(inputs.mapValues(\.tensor), for: loaded.model.inputs)
            return try await loaded.infer(tensors).map(NDArray.init)
        }
        return try forwardBlocking(inputs.mapValues(\.tensor)).map(NDArray.init)
    }

    public func forward(data: NDArray) async throws -> [NDArray] {
        try await forward(["data": data])
    }

    /// Unloads the model from its NeuronCores now (requests in flight complete first). Later
    /// `forward` calls fail. Nothing to do on the CPU.
    public func unload() throws {
        if case .neuron(let loaded) = backend, loaded.isLoaded { try loaded.unload() }
    }

    // A compiled model's inputs are checked here, for `mx.cpu()` and `mx.neuron(i)` alike, so the same
    // wrong input gives the same `GraphError` in both (and as `GraphExecutor` gives for a plain graph).

    /// Inputs in `specs` order, checked by name (unknown names first, sorted; then missing ones) and
    /// shape, and converted to the specs' dtypes (as MXNet's copy into a bound array does).
    private func ordered(_ inputs: [String: Tensor], for specs: [TensorSpec]) throws -> [Tensor] {
        for name in inputs.keys.sorted() where !specs.contains(where: { $0.name == name }) {
            throw GraphError.unknownInput(name: name, known: specs.map(\.name))
        }
        return try specs.map { spec in
            guard let tensor = inputs[spec.name] else { throw GraphError.missingInput(name: spec.name, expected: spec.shape) }
            guard tensor.shape == spec.shape else {
                throw GraphError.inputShapeMismatch(name: spec.name, expected: spec.shape, actual: tensor.shape)
            }
            return tensor.dtype == spec.dtype ? tensor : tensor.converted(to: spec.dtype)
        }
    }

    /// `ordered`, by name again (what `LoadedModel.infer` takes).
    private func checked(_ inputs: [String: Tensor], for specs: [TensorSpec]) throws -> [String: Tensor] {
        Dictionary(uniqueKeysWithValues: zip(specs.map(\.name), try ordered(inputs, for: specs)))
    }
}
