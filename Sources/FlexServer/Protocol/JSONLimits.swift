/// Limits on the JSON the server parses from clients and repository configs.
enum JSONLimits {
    /// Arrays and objects nested deeper than this are refused (400), so a hostile body cannot exhaust
    /// the stack of the event loop parsing it; no KServe v2 request needs more than a few levels.
    static let depth = 64
}
