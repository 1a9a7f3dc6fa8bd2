import FlexKernels
import FlexTensor

/// MXNet `SoftmaxActivation`: with `mode=instance` (default) a softmax over the last axis (MXNet views
/// the data as 2-D `(rest, last)`); with `mode=channel` a softmax over axis 1 at every position of data
/// of rank at least 3.
public struct SoftmaxActivationOperator: Operator {
    public static let names = ["SoftmaxActivation"]
    public let opName: String
    /// `instance` or `channel`.
    public let mode: String

    public init(opName: String, attributes: inout AttributeReader) throws(OperatorError) {
        self.opName = opName
        mode = try attributes.choice("mode", ["instance", "channel"], default: "instance")
    }

    public func inferShapes(_ inputs: [Shape]) throws(OperatorError) -> [Shape] {
        try requireInputCount(inputs, 1)
        let data = inputs[0]
        if mode == "channel", data.rank < 3 {
            throw .invalidInputs("\(opName) with mode=channel expects data of rank at least 3, got \(data)")
        }
        guard data.rank >= 1 else { throw .invalidInputs("\(opName) expects data of rank at least 1, got a scalar") }
        return [data]
    }

    /// About 4 flops per element (max, subtract, exp, divide).
    public func cost(inputs: [Shape], outputs: [Shape]) -> OperatorCost {
        OperatorCost(flops: Double(4 * inputs[0].elementCount), bytes: NeuralNetworkAttributes.bytes(inputs + outputs))
    }

    public func execute(inputs: [Tensor], outputs: [Tensor]) {
        let dims = inputs[0].shape.dims
        if mode == "channel" {
            Reference.softmax(.softmax, input: inputs[0].floats, output: outputs[0].floats,
                              outer: dims[0], axisSize: dims[1], inner: NeuralNetworkAttributes.product(dims.dropFirst(2)))
        } else {
            Reference.softmax(.softmax, input: inputs[0].floats, output: outputs[0].floats,
                              outer: NeuralNetworkAttributes.product(dims.dropLast()), axisSize: dims[dims.count - 1], inner: 1)
        }
    }
}
