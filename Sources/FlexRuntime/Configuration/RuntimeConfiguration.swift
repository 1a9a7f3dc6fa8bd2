import Foundation

/// How to start a `NeuronRuntime`: the device (its NeuronCore count and per-core memory) and the
/// environment to read Neuron Runtime variables from.
///
/// Device size, in order of precedence: `deviceCoreCount`, then `instanceType`, then the number of
/// host CPUs this process may run on. Memory per core: `memoryPerCore`, then the instance type's, then
/// `defaultMemoryPerCore` (2 GiB: an inf1 NeuronCore's share of its Inferentia chip's 8 GiB).
///
/// Thread ownership: a value; copy freely.
public struct RuntimeConfiguration: Sendable {
    public static let defaultMemoryPerCore = 2 << 30

    /// NeuronCores on the device (all processes together). nil: from `instanceType` or the host.
    public var deviceCoreCount: Int?
    public var instanceType: InstanceType?
    /// Device memory budget of each NeuronCore in bytes. nil: from `instanceType` or the default.
    public var memoryPerCore: Int?
    /// Where `NEURON_RT_VISIBLE_CORES`, `NEURON_RT_NUM_CORES`, `NEURONCORE_GROUP_SIZES`,
    /// `NEURON_RT_EXEC_TIMEOUT` and `FLEXEG_RUNTIME_DIR` are read (see `RuntimeEnvironment`).
    /// Defaults to the process's environment; tests pass their own.
    public var environment: [String: String]
    /// Pin each core's thread to a host CPU (device core `d` → the `d mod n`-th CPU of the process's
    /// affinity mask). Where the OS cannot pin, threads run unpinned and a warning says so.
    public var pinThreads: Bool
    /// In-flight requests per loaded model when `load` is not told: stage count + this (Neuron's
    /// default for pipelined models is cores + 3).
    public var extraInFlight: Int
    /// Number of recent inferences per model kept for latency percentiles and throughput.
    public var latencyWindow: Int
    /// Called with every warning as it is raised (on the thread that raised it); warnings are also
    /// kept in `NeuronRuntime.warnings`.
    public var onWarning: (@Sendable (RuntimeWarning) -> Void)?

    public init(
        deviceCoreCount: Int? = nil,
        instanceType: InstanceType? = nil,
        memoryPerCore: Int? = nil,
        environment: [String: String] = ProcessInfo.processInfo.environment,
        pinThreads: Bool = true,
        extraInFlight: Int = 3,
        latencyWindow: Int = 4096,
        onWarning: (@Sendable (RuntimeWarning) -> Void)? = nil
    ) {
        self.deviceCoreCount = deviceCoreCount
        self.instanceType = instanceType
        self.memoryPerCore = memoryPerCore
        self.environment = environment
        self.pinThreads = pinThreads
        self.extraInFlight = extraInFlight
        self.latencyWindow = latencyWindow
        self.onWarning = onWarning
    }
}
