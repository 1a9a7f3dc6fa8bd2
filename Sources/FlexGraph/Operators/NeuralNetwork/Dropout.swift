import FlexTensor

/// MXNet `Dropout` (alias `_npx_dropout`) at inference: the identity (with the default
/// `mode=training`). `mode=always` with `p > 0` drops at random even at inference, which FlexEG does
/// not reproduce. MXNet counts 2 outputs (`output`, `mask`), only the first visible.
public struct DropoutOperator: Operator {
    public static let names = ["Dropout", "_npx_dropout"]
    public let opName: String
    public let p: Float
    /// `training` or `always`.
    public let mode: String
    public let axes: [Int]

    public init(opName: String, attributes: inout AttributeReader) throws(OperatorError) {
        self.opName = opName
        p = try attributes.float("p", default: 0.5)
        guard (0...1).contains(p) else { throw .invalidAttribute("p", value: String(p), expected: "a probability in [0, 1]") }
        mode = try attributes.choice("mode", ["training", "always"], default: "training")
        axes = try attributes.intTuple("axes") ?? []
        _ = try NeuralNetworkAttributes.optionalBool(&attributes, "cudnn_off")
        if mode == "always", p > 0 {
            throw .unsupported("\(opName) with mode=always and p=\(p) drops at random at inference; FlexEG runs deterministic inference")
        }
    }

    public var totalOutputCount: Int { 2 }

    public func inferShapes(_ inputs: [Shape]) throws(OperatorError) -> [Shape] {
        try requireInputCount(inputs, 1)
        for axis in axes where NeuralNetworkAttributes.normalizedAxis(axis, rank: inputs[0].rank) == nil {
            throw .invalidInputs("\(opName) axes \(NeuralNetworkAttributes.render(axes)) are out of range for data \(inputs[0])")
        }
        return inputs
    }

    /// A copy: no arithmetic.
    public func cost(inputs: [Shape], outputs: [Shape]) -> OperatorCost {
        OperatorCost(flops: 0, bytes: NeuralNetworkAttributes.bytes(inputs + outputs))
    }

    public func execute(inputs: [Tensor], outputs: [Tensor]) {
        outputs[0].rawPointer.copyMemory(from: inputs[0].rawPointer, byteCount: inputs[0].byteCount)
    }
}
