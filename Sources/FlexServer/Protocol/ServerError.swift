/// An error the server answers with: Triton's error code (which picks the HTTP status, and later the
/// gRPC status) and a complete sentence naming what to fix. Sent as `{"error": message}`.
///
/// Thread ownership: an immutable value.
public struct ServerError: Error, Sendable, Equatable, CustomStringConvertible {
    /// Triton's `TRITONSERVER_Error_Code`s the server uses.
    public enum Code: String, Sendable {
        case internalError = "INTERNAL"
        case notFound = "NOT_FOUND"
        case invalidArgument = "INVALID_ARG"
        case unavailable = "UNAVAILABLE"
        case alreadyExists = "ALREADY_EXISTS"
        /// Not a Triton code: a body over `--max-request-bytes` (HTTP 413).
        case tooLarge = "TOO_LARGE"

        /// Triton's mapping (`inference_protocols.md`): INTERNAL 500, NOT_FOUND 404, UNAVAILABLE 503,
        /// INVALID_ARG / ALREADY_EXISTS 400; 413 for a body over the limit.
        public var httpStatus: Int {
            switch self {
            case .internalError: 500
            case .notFound: 404
            case .unavailable: 503
            case .tooLarge: 413
            case .invalidArgument, .alreadyExists: 400
            }
        }
    }

    public var code: Code
    public var message: String

    public init(_ code: Code, _ message: String) {
        self.code = code
        self.message = message
    }

    public var description: String { message }

    static func invalid(_ message: String) -> ServerError { ServerError(.invalidArgument, message) }
    static func notFound(_ message: String) -> ServerError { ServerError(.notFound, message) }
    static func unavailable(_ message: String) -> ServerError { ServerError(.unavailable, message) }
}
