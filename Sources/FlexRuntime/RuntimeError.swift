/// Everything FlexRuntime can fail with. Each case carries what the user needs to act on (variable
/// and value, model, core, bytes, valid choices); `status` gives the matching Neuron Runtime code and
/// `description` a complete sentence.
///
/// `NRT_EXEC_NC_BUSY` marks a blocking call made on a NeuronCore's own thread (the core is busy
/// running the caller); cores held by another process are `NRT_RESOURCE`, as a failed allocation.
///
/// Thread ownership: an immutable value.
public enum RuntimeError: Error, Sendable, Equatable, CustomStringConvertible {
    /// An environment variable could not be used: `expected` says what would be valid.
    case invalidEnvironment(variable: String, value: String, expected: String)
    /// An instance type name FlexEG does not know.
    case unknownInstanceType(String, valid: [String])
    /// A configuration or argument value that cannot work (`problem` names it and the valid range).
    case invalidConfiguration(String)
    /// NeuronCores this process asked for are held by other processes (`holders`: core → pid, nil when
    /// the holder's pid could not be read).
    case coresUnavailable(requested: [Int], holders: [CoreHolder], lockDirectory: String)
    /// `NEURON_RT_NUM_CORES` (or NeuronCore Groups) asked for `wanted` cores but fewer are free.
    case tooFewFreeCores(wanted: Int, deviceCoreCount: Int, holders: [CoreHolder], lockDirectory: String)
    /// The model's cores do not fit after `start` (FlexEG placement); `validStarts` lists the
    /// context indexes that work (empty when the model needs more cores than the process has).
    case notEnoughCores(model: String, needed: Int, start: Int, available: Int, validStarts: [Int])
    /// NeuronCore Group mode: `group` has fewer cores than the model needs, or does not exist.
    case groupTooSmall(model: String, needed: Int, group: Int, groupSizes: [Int])
    /// A load does not fit a core's memory budget. Bytes; `core` is the context index.
    case outOfMemory(model: String, core: Int, needed: Int, free: Int, budget: Int)
    /// Inputs do not match the model's input specs.
    case invalidInput(model: String, problem: String)
    /// A non-blocking submit found all of the model's in-flight slots taken.
    case queueFull(model: String, limit: Int)
    /// An inference did not complete within `seconds`.
    case timeout(model: String, seconds: Double)
    /// The model was unloaded (or is being unloaded) and takes no new requests.
    case modelUnloaded(model: String)
    /// A stage produced something the pipeline cannot use (e.g. outputs that miss the model's specs).
    case stageFailed(model: String, stage: Int, problem: String)
    /// A blocking call was made on a NeuronCore's own thread, where waiting would deadlock the core.
    case blockingCallOnCoreThread(operation: String, core: Int)
    /// The runtime was shut down.
    case shutDown
    /// An OS call failed (`errno` value) while working on `path`.
    case systemError(operation: String, path: String, errno: Int32)

    /// The Neuron Runtime status this error corresponds to.
    public var status: NRTStatus {
        switch self {
        case .invalidEnvironment, .unknownInstanceType, .invalidConfiguration, .invalidInput: .invalid
        case .coresUnavailable, .tooFewFreeCores, .outOfMemory: .resource
        case .notEnoughCores, .groupTooSmall: .loadNotEnoughCores
        case .queueFull: .queueFull
        case .timeout: .timeout
        case .modelUnloaded: .invalidHandle
        case .stageFailed: .executionCompletedWithError
        case .blockingCallOnCoreThread: .executionCoreBusy
        case .shutDown: .closed
        case .systemError: .failure
        }
    }

    public var description: String {
        "\(status.name): " + message
    }

    private var message: String {
        switch self {
        case .invalidEnvironment(let variable, let value, let expected):
            return "\(variable)=\"\(value)\" is not valid: expected \(expected)"
        case .unknownInstanceType(let name, let valid):
            return "unknown instance type \"\(name)\"; valid instance types: \(valid.joined(separator: ", "))"
        case .invalidConfiguration(let problem):
            return problem
        case .coresUnavailable(let requested, let holders, let directory):
            return "cannot reserve NeuronCores \(CoreList.format(requested)) for this process: "
                + Self.describe(holders) + " (lock files in \(directory))"
        case .tooFewFreeCores(let wanted, let deviceCoreCount, let holders, let directory):
            let free = deviceCoreCount - holders.count
            return "cannot reserve \(wanted) NeuronCores for this process: only \(free) of \(deviceCoreCount) are free; "
                + Self.describe(holders) + " (lock files in \(directory))"
        case .notEnoughCores(let model, let needed, let start, let available, let validStarts):
            let valid = validStarts.isEmpty
                ? "no start index works: the process has only \(available) NeuronCore\(available == 1 ? "" : "s")"
                : "valid start indexes: " + CoreList.formatIndexes(validStarts)
            let placement = (0..<available).contains(start)
                ? "starting at \(start) of \(available) leaves \(available - start)"
                : "start index \(start) is not one of the process's \(available) NeuronCore\(available == 1 ? "" : "s")"
            return "model \"\(model)\" needs \(needed) consecutive NeuronCore\(needed == 1 ? "" : "s"); \(placement); \(valid)"
        case .groupTooSmall(let model, let needed, let group, let sizes):
            let fitting = sizes.indices.filter { sizes[$0] >= needed }
            let groups = "groups: " + sizes.enumerated().map { "\($0.offset) (\($0.element) cores)" }.joined(separator: ", ")
            let valid = fitting.isEmpty ? "no group is large enough" : "groups that fit: " + CoreList.formatIndexes(fitting)
            if group < 0 || group >= sizes.count {
                return "model \"\(model)\" was placed on NeuronCore Group \(group), which does not exist "
                    + "(NEURONCORE_GROUP_SIZES defines \(groups)); \(valid)"
            }
            return "model \"\(model)\" needs \(needed) NeuronCores but NeuronCore Group \(group) has \(sizes[group]) "
                + "(\(groups)); \(valid)"
        case .outOfMemory(let model, let core, let needed, let free, let budget):
            return "model \"\(model)\" does not fit NeuronCore \(core): it needs \(ByteCount.format(needed)) "
                + "but \(ByteCount.format(free)) of \(ByteCount.format(budget)) are free; nothing was loaded"
        case .invalidInput(let model, let problem):
            return "invalid input for model \"\(model)\": \(problem)"
        case .queueFull(let model, let limit):
            return "model \"\(model)\" already has \(limit) requests in flight (its limit); retry later or use a blocking submit"
        case .timeout(let model, let seconds):
            return "inference on model \"\(model)\" did not complete within \(seconds) s"
        case .modelUnloaded(let model):
            return "model \"\(model)\" is unloaded and takes no new requests"
        case .stageFailed(let model, let stage, let problem):
            return "stage \(stage) of model \"\(model)\" failed: \(problem)"
        case .blockingCallOnCoreThread(let operation, let core):
            return "\(operation) would block NeuronCore \(core)'s own thread and deadlock it; call it from another thread"
        case .shutDown:
            return "the runtime has been shut down"
        case .systemError(let operation, let path, let errno):
            return "\(operation) failed for \(path) (errno \(errno))"
        }
    }

    /// `NeuronCores 2-3 held by process 4242; NeuronCore 5 held by another process (pid unknown)`.
    private static func describe(_ holders: [CoreHolder]) -> String {
        let byPID = Dictionary(grouping: holders, by: \.pid)
        return byPID.keys.sorted { ($0 ?? -1) < ($1 ?? -1) }.map { pid in
            let cores = byPID[pid]!.map(\.core)
            let who = pid.map { "process \($0)" } ?? "another process (pid unknown)"
            return "NeuronCore\(cores.count == 1 ? "" : "s") \(CoreList.format(cores)) held by \(who)"
        }.joined(separator: "; ")
    }
}

/// Which process holds a NeuronCore (`pid` is nil when its lock file did not name one).
/// Thread ownership: an immutable value.
public struct CoreHolder: Sendable, Equatable, Hashable {
    /// Device NeuronCore index.
    public var core: Int
    public var pid: Int32?

    public init(core: Int, pid: Int32?) {
        self.core = core
        self.pid = pid
    }
}
