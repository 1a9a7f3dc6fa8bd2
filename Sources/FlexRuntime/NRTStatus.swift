/// Neuron Runtime status codes (`NRT_STATUS` in libnrt's `nrt_status.h`) that FlexRuntime's errors
/// mirror, so users and tools that know the real runtime recognise them.
/// Thread ownership: an immutable value.
public enum NRTStatus: Int, Sendable, Codable, CustomStringConvertible {
    case failure = 1
    case invalid = 2
    case invalidHandle = 3
    case resource = 4
    case timeout = 5
    case queueFull = 7
    case loadNotEnoughCores = 9
    case closed = 14
    case executionCompletedWithError = 1004
    case executionCoreBusy = 1005

    /// The C enumerator's name, e.g. `NRT_QUEUE_FULL`.
    public var name: String {
        switch self {
        case .failure: "NRT_FAILURE"
        case .invalid: "NRT_INVALID"
        case .invalidHandle: "NRT_INVALID_HANDLE"
        case .resource: "NRT_RESOURCE"
        case .timeout: "NRT_TIMEOUT"
        case .queueFull: "NRT_QUEUE_FULL"
        case .loadNotEnoughCores: "NRT_LOAD_NOT_ENOUGH_NC"
        case .closed: "NRT_CLOSED"
        case .executionCompletedWithError: "NRT_EXEC_COMPLETED_WITH_ERR"
        case .executionCoreBusy: "NRT_EXEC_NC_BUSY"
        }
    }

    /// `NRT_QUEUE_FULL (7)`.
    public var description: String { "\(name) (\(rawValue))" }
}
