import FlexGraph
import FlexTensor

/// One operator application in a `Program`, possibly with elementwise work fused after it.
///
/// `op` is parsed from `opName` and `attributes` (MXNet's strings), which is what the artifact stores:
/// loading re-parses them through `OperatorRegistry`. The step computes `op` on `inputs` into
/// `outputs`, then applies `epilogue` in place on `outputs[0]`.
public struct Step: Sendable {
    /// The MXNet node the step came from.
    public var name: String
    public var opName: String
    /// MXNet attributes, as strings.
    public var attributes: [String: String]
    public var op: any Operator
    public var inputs: [ValueID]
    public var outputs: [ValueID]
    /// Elementwise operations applied to `outputs[0]` after `op`, in order.
    public var epilogue: [EpilogueOp]
    /// Names of the MXNet nodes folded or fused into this step (BatchNorm, activations, adds).
    public var fusedNodes: [String]
    /// Excluded from compilation: stays an ordinary MXNet node run on the host, untouched by passes.
    public var isHost: Bool

    public init(name: String, op: any Operator, attributes: [String: String], inputs: [ValueID], outputs: [ValueID],
                epilogue: [EpilogueOp] = [], fusedNodes: [String] = [], isHost: Bool = false) {
        self.name = name
        self.opName = op.opName
        self.attributes = attributes
        self.op = op
        self.inputs = inputs
        self.outputs = outputs
        self.epilogue = epilogue
        self.fusedNodes = fusedNodes
        self.isHost = isHost
    }

    /// Every value the step reads: its inputs, then its epilogue's operands.
    public var operands: [ValueID] { inputs + epilogue.compactMap(\.operand) }
}
