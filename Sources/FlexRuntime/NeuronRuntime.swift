import FlexTensor

/// The Neuron runtime of one process: its NeuronCores (pinned worker threads), reserved on the
/// machine through per-core locks, and the models loaded on them.
///
/// Starting reads the environment (`RuntimeEnvironment`): which device cores this process takes
/// (`NEURON_RT_VISIBLE_CORES`, `NEURON_RT_NUM_CORES`, else all) and whether NeuronCore Groups are
/// fixed (`NEURONCORE_GROUP_SIZES`); malformed values, cores beyond the device and cores held by
/// another process fail here, naming what to change. Context indexes count within the process's
/// cores: with `NEURON_RT_VISIBLE_CORES=4-7`, context 0 is device core 4.
///
/// Lifetime: call `shutdown()` when done (it unloads every model, ends the core threads and frees the
/// cores for other processes). A process that exits or is killed frees its cores anyway.
///
/// Thread ownership: every method may be called from any thread; `load`, `unload` and `shutdown`
/// block and so refuse to run on a NeuronCore's own thread. Shared state sits under one lock.
public final class NeuronRuntime: Sendable {
    /// NeuronCores on the device (all processes).
    public let deviceCoreCount: Int
    /// Memory budget of each core, bytes.
    public let memoryPerCore: Int
    public let placementMode: PlacementMode
    /// Longest a blocking inference may take (`NEURON_RT_EXEC_TIMEOUT`; nil: no limit).
    public let executionTimeout: Duration?

    let neuronCores: [NeuronCore]
    private let locks: CoreLocks
    let extraInFlight: Int
    let latencyWindow: Int
    private let onWarning: (@Sendable (RuntimeWarning) -> Void)?
    /// Serves the live state to `flexeg ls/top/monitor` (nil when off or unavailable); taken out on shutdown.
    private let publisher = Locked<StatePublisher?>(nil)

    struct State: Sendable {
        /// Loaded models (including ones being unloaded), in load order.
        var models: [LoadedModel] = []
        var nextModelID = 1
        var memory: MemoryLedger
        var warnings: [RuntimeWarning] = []
        var isShutDown = false
    }

    let state: Locked<State>

    public init(_ configuration: RuntimeConfiguration = RuntimeConfiguration()) throws(RuntimeError) {
        let hostCPUs = HostCPUs.available()
        let coreCount = configuration.deviceCoreCount ?? configuration.instanceType?.coreCount ?? hostCPUs.count
        guard coreCount >= 1 else {
            throw .invalidConfiguration("a device needs at least 1 NeuronCore; deviceCoreCount is \(coreCount)")
        }
        let memoryPerCore = configuration.memoryPerCore ?? configuration.instanceType?.memoryPerCore
            ?? RuntimeConfiguration.defaultMemoryPerCore
        guard memoryPerCore >= 0 else {
            throw .invalidConfiguration("memoryPerCore must be 0 or more bytes; it is \(memoryPerCore)")
        }
        guard configuration.extraInFlight >= 0 else {
            throw .invalidConfiguration("extraInFlight must be 0 or more; it is \(configuration.extraInFlight)")
        }
        guard configuration.latencyWindow >= 1 else {
            throw .invalidConfiguration("latencyWindow must be at least 1; it is \(configuration.latencyWindow)")
        }
        let environment = try RuntimeEnvironment(configuration.environment, deviceCoreCount: coreCount)
        let locks = try CoreLocks.acquire(environment.cores, deviceCoreCount: coreCount, directory: environment.lockDirectory)

        var cores: [NeuronCore] = []
        var pinningErrors: [Int32] = []
        for (index, deviceIndex) in locks.deviceCores.enumerated() {
            var pinningError: Int32?
            let cpu = configuration.pinThreads ? hostCPUs[deviceIndex % hostCPUs.count] : nil
            cores.append(NeuronCore(index: index, deviceIndex: deviceIndex, cpu: cpu, pinningError: &pinningError))
            if let pinningError { pinningErrors.append(pinningError) }
        }

        self.deviceCoreCount = coreCount
        self.memoryPerCore = memoryPerCore
        self.placementMode = environment.groupSizes.map(PlacementMode.groups(sizes:)) ?? .flexibleExecutionGroups
        self.executionTimeout = environment.executionTimeout
        self.neuronCores = cores
        self.locks = locks
        self.extraInFlight = configuration.extraInFlight
        self.latencyWindow = configuration.latencyWindow
        self.onWarning = configuration.onWarning
        let warnings = Self.startWarnings(cores: cores, hostCPUs: hostCPUs, pinned: configuration.pinThreads, pinningErrors: pinningErrors)
        self.state = Locked(State(memory: MemoryLedger(coreCount: cores.count, budgetPerCore: memoryPerCore), warnings: warnings))
        for warning in warnings { onWarning?(warning) }
        let started = startPublishing(environment: configuration.environment, runtimeDirectory: environment.lockDirectory)
        publisher.withLock { $0 = started }
    }

    deinit {
        stopPublishing()
        // Reached only when no model is loaded (loaded models keep their runtime alive) and
        // `shutdown()` was not called: end the threads without waiting and free the cores.
        for core in neuronCores { core.enqueue(.stop(done: OneShot())) }
        locks.release()
    }

    /// Number of NeuronCores this process holds (context indexes are `0 ..< coreCount`).
    public var coreCount: Int { neuronCores.count }
    /// Device indexes of this process's cores; context index i is device core `deviceCores[i]`.
    public var deviceCores: [Int] { neuronCores.map(\.deviceIndex) }
    /// Every warning raised so far, oldest first.
    public var warnings: [RuntimeWarning] { state.withLock { $0.warnings } }
    /// Models loaded and not yet unloaded, in load order.
    public var loadedModels: [LoadedModel] { state.withLock { $0.models }.filter(\.isLoaded) }

    /// Unloads every model (draining their requests), ends the core threads and frees the cores.
    /// Later loads fail with `RuntimeError.shutDown`. Calling it again does nothing.
    public func shutdown() throws(RuntimeError) {
        if let core = NeuronCore.currentCoreIndex() {
            throw .blockingCallOnCoreThread(operation: "shutting the runtime down", core: core)
        }
        let models: [LoadedModel]? = state.withLock { state in
            guard !state.isShutDown else { return nil }
            state.isShutDown = true
            return state.models
        }
        guard let models else { return }
        stopPublishing()
        for model in models { try model.unload() }
        let stopped = neuronCores.map { core in
            let done = OneShot<Void>()
            core.enqueue(.stop(done: done))
            return done
        }
        for done in stopped { _ = done.wait(until: nil) }
        locks.release()
    }

    private func stopPublishing() {
        publisher.withLock { current in
            defer { current = nil }
            return current
        }?.stop()
    }

    func raise(_ warnings: [RuntimeWarning]) {
        guard !warnings.isEmpty else { return }
        state.withLock { $0.warnings.append(contentsOf: warnings) }
        for warning in warnings { onWarning?(warning) }
    }

    private static func startWarnings(cores: [NeuronCore], hostCPUs: [Int], pinned: Bool, pinningErrors: [Int32]) -> [RuntimeWarning] {
        var warnings: [RuntimeWarning] = []
        if let error = pinningErrors.first {
            warnings.append(RuntimeWarning(
                kind: .pinningUnavailable, cores: cores.map(\.index),
                message: "NeuronCore threads could not be pinned to host CPUs (errno \(error)); they run unpinned"))
        }
        let cpusUsed = pinned ? Set(cores.compactMap(\.cpu)).count : min(hostCPUs.count, cores.count)
        if cores.count > cpusUsed {
            let mapping = pinned
                ? "NeuronCore on device core d runs on CPU \(hostCPUs.count == 1 ? "\(hostCPUs[0])" : "number d mod \(hostCPUs.count) of the affinity mask")"
                : "threads are unpinned"
            warnings.append(RuntimeWarning(
                kind: .oversubscribedCores, cores: cores.map(\.index),
                message: "\(cores.count) NeuronCores share \(cpusUsed) host CPU\(cpusUsed == 1 ? "" : "s") (\(mapping)): "
                    + "cores are oversubscribed, so models on different cores compete for CPU time"))
        }
        return warnings
    }
}
