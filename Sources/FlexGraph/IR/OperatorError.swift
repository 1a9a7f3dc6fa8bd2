import FlexTensor

/// What an operator reports about its own attributes and input shapes. It knows nothing of the node
/// it belongs to: `GraphError` adds the node name and operator.
public enum OperatorError: Error, Equatable, Sendable, CustomStringConvertible {
    case missingAttribute(String)
    case invalidAttribute(String, value: String, expected: String)
    /// Input count or shapes that the operator cannot take; the message states expected vs actual.
    case invalidInputs(String)
    /// A valid MXNet configuration that FlexEG does not implement (e.g. a non-NCHW layout).
    case unsupported(String)

    public var description: String {
        switch self {
        case .missingAttribute(let name): "required attribute '\(name)' is missing"
        case .invalidAttribute(let name, let value, let expected): "attribute \(name)='\(value)' is invalid: expected \(expected)"
        case .invalidInputs(let message): message
        case .unsupported(let message): "unsupported: \(message)"
        }
    }
}
