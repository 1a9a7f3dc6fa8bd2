extension NeuronRuntime {
    /// Loads `model` at context index `context`: FlexEG mode puts stage j on core `context + j`;
    /// NeuronCore Group mode puts it on the first `stageCount` cores of group `context`.
    ///
    /// `maxInFlight` bounds the model's concurrent requests (default: stage count + 3). The load
    /// charges each core the stage's weights (once per core for all instances of one model object)
    /// plus its activations × `maxInFlight`; if any core lacks the memory, nothing is loaded.
    /// Placing a model on cores another model uses works but warns: models on a shared core take turns.
    /// Returns once every stage's runner is in place on its core.
    ///
    /// Errors: `notEnoughCores` / `groupTooSmall` (`NRT_LOAD_NOT_ENOUGH_NC`) with the valid contexts,
    /// `outOfMemory` (`NRT_RESOURCE`) naming the core and bytes, `invalidConfiguration`, `shutDown`.
    public func load(_ model: any PipelineModel, at context: Int, maxInFlight: Int? = nil) throws(RuntimeError) -> LoadedModel {
        if let core = NeuronCore.currentCoreIndex() {
            throw .blockingCallOnCoreThread(operation: "loading \"\(model.name)\"", core: core)
        }
        guard model.stageCount >= 1 else {
            throw .invalidConfiguration("model \"\(model.name)\" has \(model.stageCount) stages; a compiled model has at least 1")
        }
        let slots = maxInFlight ?? model.stageCount + extraInFlight
        guard slots >= 1 else {
            throw .invalidConfiguration("maxInFlight for model \"\(model.name)\" must be at least 1; it is \(slots)")
        }
        let coreIndexes = Array(try placementMode.cores(forModel: model.name, stageCount: model.stageCount, at: context, coreCount: coreCount))
        let window = latencyWindow
        let (loaded, warnings) = try state.withLock { (state) throws(RuntimeError) -> (LoadedModel, [RuntimeWarning]) in
            guard !state.isShutDown else { throw .shutDown }
            let charges = try state.memory.reserve(model: model, cores: coreIndexes, slots: slots)
            let loaded = LoadedModel(
                id: state.nextModelID, model: model, context: context, runtime: self,
                neuronCores: coreIndexes.map { neuronCores[$0] }, maxInFlight: slots, charges: charges, latencyWindow: window)
            state.nextModelID += 1
            let warnings = Self.sharingWarnings(for: loaded, among: state.models.filter(\.isLoaded))
            state.models.append(loaded)
            return (loaded, warnings)
        }
        raise(warnings)
        loaded.install()
        return loaded
    }

    /// Unloads `model` (see `LoadedModel.unload()`).
    public func unload(_ model: LoadedModel) throws(RuntimeError) {
        try model.unload()
    }

    /// Drops an unloaded model from the table and frees its memory.
    func forget(_ model: LoadedModel) {
        state.withLock { state in
            state.models.removeAll { $0 === model }
            state.memory.release(model.charges)
        }
    }

    private static func sharingWarnings(for loaded: LoadedModel, among others: [LoadedModel]) -> [RuntimeWarning] {
        others.compactMap { other in
            let shared = Set(loaded.cores).intersection(other.cores).sorted()
            guard !shared.isEmpty else { return nil }
            let plural = shared.count == 1 ? "" : "s"
            return RuntimeWarning(
                kind: .sharedCores, models: [other.name, loaded.name], cores: shared,
                message: "models \"\(other.name)\" (NeuronCores \(CoreList.format(other.cores))) and \"\(loaded.name)\" "
                    + "(NeuronCores \(CoreList.format(loaded.cores))) share NeuronCore\(plural) \(CoreList.format(shared)): "
                    + "a NeuronCore runs one model at a time, so they take turns (model switching) and do not run in parallel")
        }
    }
}
