import FlexTensor

/// Errors about a whole graph or one of its nodes; each names what the user can act on.
public enum GraphError: Error, Equatable, Sendable, CustomStringConvertible {
    case unknownOperator(op: String, node: String)
    /// An operator rejected its attributes or inputs.
    case invalidNode(node: String, op: String, OperatorError)
    case unknownAttribute(node: String, op: String, attribute: String)
    case invalidEdge(node: String, message: String)
    /// A model input with no value; `expected` is the shape the graph implies (0 = any size), if known.
    case missingInput(name: String, expected: Shape?)
    case inputShapeMismatch(name: String, expected: Shape, actual: Shape)
    case inputTypeMismatch(name: String, expected: DType, actual: DType)
    case parameterShapeMismatch(name: String, expected: Shape, actual: Shape)
    case unknownInput(name: String, known: [String])
    /// A compiled NeuronCore subgraph reached the reference executor, which cannot decode it.
    case compiledSubgraph(node: String)

    public var description: String {
        switch self {
        case .unknownOperator(let op, let node):
            "node '\(node)': operator '\(op)' is not supported by FlexEG"
        case .invalidNode(let node, let op, let error):
            "node '\(node)' (\(op)): \(error)"
        case .unknownAttribute(let node, let op, let attribute):
            "node '\(node)' (\(op)): unknown attribute '\(attribute)' (MXNet rejects it too)"
        case .invalidEdge(let node, let message):
            "node '\(node)': \(message)"
        case .missingInput(let name, let expected):
            "missing input '\(name)'" + (expected.map { "; the graph expects shape \(Self.render($0))" } ?? "")
        case .inputShapeMismatch(let name, let expected, let actual):
            "input '\(name)' has shape \(actual); the model expects \(Self.render(expected))"
        case .inputTypeMismatch(let name, let expected, let actual):
            "input '\(name)' has dtype \(actual); the model expects \(expected)"
        case .parameterShapeMismatch(let name, let expected, let actual):
            "parameter '\(name)' has shape \(actual) but the graph needs \(expected)"
        case .compiledSubgraph(let node):
            "node '\(node)' is a compiled NeuronCore subgraph: run the model through CompiledModel (or bind it with the facade), not GraphExecutor"
        case .unknownInput(let name, let known):
            "'\(name)' is not an input of this model; its inputs are: \(known.joined(separator: ", "))"
        }
    }

    /// `(?,3,?,?)` for partially known shapes (0 = unknown dimension).
    static func render(_ shape: Shape) -> String {
        "(" + shape.dims.map { $0 == 0 ? "?" : String($0) }.joined(separator: ",") + (shape.rank == 1 ? ",)" : ")")
    }
}
