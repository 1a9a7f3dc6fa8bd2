extension NeuronRuntime {
    /// The state and counters of every core and loaded model now (see `RuntimeSnapshot`).
    public func snapshot() -> RuntimeSnapshot {
        let (models, used) = state.withLock { ($0.models, $0.memory.used) }
        let now = ContinuousClock.now
        let coreCounters = neuronCores.map { core in core.counters.withLock { $0 } }
        let references = Dictionary(uniqueKeysWithValues: models.map { ($0.id, $0.reference) })

        let cores = neuronCores.map { core in
            let counters = coreCounters[core.index]
            let elapsed = core.started.duration(to: now).seconds
            return CoreSnapshot(
                index: core.index,
                deviceCore: core.deviceIndex,
                cpu: counters.pinnedCPU,
                modelsLoaded: models.filter { $0.cores.contains(core.index) }.map(\.reference),
                activeModel: counters.activeModel.flatMap { references[$0] },
                runningModel: counters.runningModel.flatMap { references[$0] },
                executions: counters.executions,
                switches: counters.switches,
                switchSeconds: counters.switchTime.seconds,
                busyFraction: elapsed > 0 ? min(1, max(0, counters.busyTime.seconds / elapsed)) : 0,
                queueLength: core.queueLength,
                memoryBudgetBytes: memoryPerCore,
                memoryUsedBytes: used[core.index])
        }

        let modelSnapshots = models.map { model in
            let standby = model.cores.contains { core in
                coreCounters[core].activeModel.map { $0 != model.id } ?? false
            }
            let counters = model.counters.withLock { $0 }
            let usage = model.limiter.usage
            return ModelSnapshot(
                id: model.id,
                name: model.name,
                context: model.context,
                cores: model.cores,
                deviceCores: model.deviceCores,
                state: standby ? .standby : .ready,
                maxInFlight: model.maxInFlight,
                inFlight: usage.inFlight,
                peakInFlight: usage.peak,
                inferences: counters.inferences,
                errors: counters.errors,
                errorsByStatus: Dictionary(uniqueKeysWithValues: counters.errorsByStatus.map { ($0.key.name, $0.value) }),
                latency: counters.latencies.summary())
        }

        let mode: String
        let groups: [[Int]]
        switch placementMode {
        case .flexibleExecutionGroups:
            (mode, groups) = ("flexeg", [])
        case .neuronCoreGroups(let ranges):
            (mode, groups) = ("neuroncore_groups", ranges.map(Array.init))
        }
        return RuntimeSnapshot(
            deviceCoreCount: deviceCoreCount,
            mode: mode,
            groups: groups,
            cores: cores,
            models: modelSnapshots)
    }
}
