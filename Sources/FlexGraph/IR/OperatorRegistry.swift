/// The table of every operator FlexEG runs, by MXNet op name (aliases included).
///
/// Swift has no static registration, so the lists are explicit: each family of operators lives in
/// `Operators/` and contributes one list here.
public enum OperatorRegistry {
    public static let operatorTypes: [any Operator.Type] = neuralNetworkOperators + tensorOperators + indexingOperators + contribOperators + compiledOperators

    /// MXNet op name → operator type.
    public static let byName: [String: any Operator.Type] = {
        var table: [String: any Operator.Type] = [:]
        for type in operatorTypes {
            for name in type.names {
                precondition(table[name] == nil, "operator name \(name) registered twice")
                table[name] = type
            }
        }
        return table
    }()

    /// Every supported MXNet op name, sorted.
    public static var supportedNames: [String] { byName.keys.sorted() }

    /// Parses a node's operator, rejecting unknown operators and attributes MXNet would reject (an
    /// operator MXNet parses without a schema ignores unknown attributes: `ignoresUnknownAttributes`).
    public static func makeOperator(opName: String, nodeName: String, attributes: [String: String]) throws(GraphError) -> any Operator {
        guard let type = byName[opName] else { throw .unknownOperator(op: opName, node: nodeName) }
        var reader = AttributeReader(attributes)
        let op: any Operator
        do {
            op = try type.init(opName: opName, attributes: &reader)
        } catch {
            throw .invalidNode(node: nodeName, op: opName, error)
        }
        if let unknown = reader.unconsumedKeys.first, !ignoresUnknownAttributes(opName) {
            throw .unknownAttribute(node: nodeName, op: opName, attribute: unknown)
        }
        return op
    }
}
