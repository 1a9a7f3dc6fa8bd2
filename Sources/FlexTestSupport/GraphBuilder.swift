import FlexArtifact
import FlexGraph
import FlexTensor
import Testing

/// Builds small graphs node by node, parsing operators through `OperatorRegistry` like a symbol file.
public struct GraphBuilder {
    public var nodes: [Node] = []

    public init() {}

    public mutating func variable(_ name: String) -> ValueRef {
        nodes.append(Node(name: name, kind: .variable))
        return ValueRef(node: nodes.count - 1)
    }

    /// An operator parsed from its MXNet name and attributes.
    public mutating func node(_ name: String, _ opName: String, _ attributes: [String: String] = [:], _ inputs: ValueRef...) throws -> ValueRef {
        let op = try OperatorRegistry.makeOperator(opName: opName, nodeName: name, attributes: attributes)
        nodes.append(Node(name: name, kind: .op(op), inputs: inputs, attributes: attributes))
        return ValueRef(node: nodes.count - 1)
    }

    /// An operator value built by the test (test-only operators the registry does not know).
    public mutating func node(_ name: String, op: any Operator, attributes: [String: String] = [:], _ inputs: ValueRef...) -> ValueRef {
        nodes.append(Node(name: name, kind: .op(op), inputs: inputs, attributes: attributes))
        return ValueRef(node: nodes.count - 1)
    }

    public mutating func activation(_ name: String, _ function: String, _ input: ValueRef) throws -> ValueRef {
        try node(name, "Activation", ["act_type": function], input)
    }

    public func graph(_ outputs: ValueRef...) -> Graph { Graph(nodes: nodes, outputs: outputs) }
}

extension Tensor {
    /// A float32 tensor of uniform values in `range`.
    public static func random(_ shape: Shape, in range: ClosedRange<Float> = -1...1, using generator: inout SplitMix64) -> Tensor {
        Tensor(shape: shape, floats: (0..<shape.elementCount).map { _ in Float.random(in: range, using: &generator) })
    }
}

/// ‖a − b‖₂ / max(‖b‖₂, floor · √n): relative L2 error, with an absolute floor per element so that
/// outputs that are zero up to float32 rounding (a sum of values that cancel) compare sensibly.
public func relativeL2(_ a: Tensor, _ b: Tensor, floor: Double = 1e-3) -> Double {
    let x = a.toFloatArray(), y = b.toFloatArray()
    precondition(x.count == y.count)
    var difference = 0.0, norm = 0.0
    for (p, q) in zip(x, y) {
        difference += Double(p - q) * Double(p - q)
        norm += Double(q) * Double(q)
    }
    return difference.squareRoot() / max(norm.squareRoot(), floor * Double(max(x.count, 1)).squareRoot())
}

/// Runs `graph` with the reference executor.
public func referenceOutputs(_ graph: Graph, parameters: [String: Tensor], inputs: [String: Tensor]) throws -> [Tensor] {
    try GraphExecutor(graph: graph, parameters: parameters).forward(inputs)
}

/// Expects `body` to throw a `CompileError` and returns it.
public func expectCompileError(_ body: () throws(CompileError) -> Void, sourceLocation: SourceLocation = #_sourceLocation) -> CompileError? {
    do {
        try body()
        Issue.record("expected a CompileError", sourceLocation: sourceLocation)
        return nil
    } catch {
        return error
    }
}
