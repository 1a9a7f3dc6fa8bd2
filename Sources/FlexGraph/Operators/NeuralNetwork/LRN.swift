import FlexKernels
import FlexTensor

/// MXNet `LRN`: local response normalization across channels of NCHW data:
/// `output = data * (knorm + alpha / nsize * sum_{window} data^2)^(-beta)`, the window being the
/// `nsize` (odd) channels centred on each channel, clipped at the edges. Note MXNet divides `alpha`
/// by `nsize`. MXNet counts 2 outputs (`output`, `tmp_norm`), only the first visible.
public struct LRNOperator: Operator {
    public static let names = ["LRN"]
    public let opName: String
    public let alpha: Float
    public let beta: Float
    public let knorm: Float
    public let nsize: Int

    public init(opName: String, attributes: inout AttributeReader) throws(OperatorError) {
        self.opName = opName
        alpha = try attributes.float("alpha", default: 1e-4)
        beta = try attributes.float("beta", default: 0.75)
        knorm = try attributes.float("knorm", default: 2)
        nsize = try attributes.requiredInt("nsize")
        guard nsize >= 1, nsize % 2 == 1 else {
            throw .invalidAttribute("nsize", value: String(nsize), expected: "an odd window size (MXNet's LRN only supports odd values)")
        }
    }

    public var totalOutputCount: Int { 2 }

    public func inferShapes(_ inputs: [Shape]) throws(OperatorError) -> [Shape] {
        try requireInputCount(inputs, 1)
        try requireRank(inputs[0], 4, input: "data")
        return inputs
    }

    /// `nsize` multiply-adds for the window, plus the power and the product, per element.
    public func cost(inputs: [Shape], outputs: [Shape]) -> OperatorCost {
        OperatorCost(flops: Double((2 * nsize + 4) * inputs[0].elementCount), bytes: NeuralNetworkAttributes.bytes(inputs + outputs))
    }

    public func execute(inputs: [Tensor], outputs: [Tensor]) {
        let shape = inputs[0].shape
        Reference.localResponseNorm(input: inputs[0].floats, output: outputs[0].floats, batch: shape[0], channels: shape[1],
                                    spatial: shape[2] * shape[3], size: nsize, alpha: alpha, beta: beta, knorm: knorm)
    }
}
