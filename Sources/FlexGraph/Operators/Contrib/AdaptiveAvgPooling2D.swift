import FlexKernels
import FlexTensor

/// MXNet `_contrib_AdaptiveAvgPooling2D(data, output_size=())`: NCHW average pooling to a fixed
/// `(OH, OW)` (`output_size` of one entry is square; empty is `(1, 1)`), each cell averaging the
/// input window `Reference.adaptiveAveragePool` describes.
public struct AdaptiveAvgPooling2DOperator: Operator {
    public static let names = ["_contrib_AdaptiveAvgPooling2D"]
    public let opName: String
    public let outputSize: (height: Int, width: Int)

    public init(opName: String, attributes: inout AttributeReader) throws(OperatorError) {
        self.opName = opName
        let size = try attributes.intTuple("output_size", default: [])
        switch size.count {
        case 0: outputSize = (1, 1)
        case 1: outputSize = (size[0], size[0])
        case 2: outputSize = (size[0], size[1])
        default: throw .invalidAttribute("output_size", value: attributes.raw["output_size"] ?? "", expected: "one or two sizes")
        }
        guard outputSize.height > 0, outputSize.width > 0 else {
            throw .invalidAttribute("output_size", value: attributes.raw["output_size"] ?? "", expected: "positive sizes")
        }
    }

    public func inferShapes(_ inputs: [Shape]) throws(OperatorError) -> [Shape] {
        try requireInputCount(inputs, 1)
        try requireRank(inputs[0], 4, input: "data")
        return [Shape([inputs[0][0], inputs[0][1], outputSize.height, outputSize.width])]
    }

    public func cost(inputs: [Shape], outputs: [Shape]) -> OperatorCost {
        OperatorCost(flops: Double(inputs[0].elementCount), bytes: Double((inputs[0].elementCount + outputs[0].elementCount) * 4))
    }

    public func execute(inputs: [Tensor], outputs: [Tensor]) {
        let s = inputs[0].shape
        Reference.adaptiveAveragePool(input: inputs[0].floats, planes: s[0] * s[1], height: s[2], width: s[3],
                                      output: outputs[0].floats, outputHeight: outputSize.height, outputWidth: outputSize.width)
    }
}
