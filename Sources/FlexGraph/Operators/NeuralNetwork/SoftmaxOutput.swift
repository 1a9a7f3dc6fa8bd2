import FlexKernels
import FlexTensor

/// MXNet `SoftmaxOutput` (alias `Softmax`) at inference: a softmax of `data`; the `label` input is read
/// only by the backward pass, so inference leaves it unused.
///
/// The softmax axis is, as MXNet 1.9.1 (built with MKL-DNN, as distributed) computes it:
/// - `multi_output`: axis 1, each of the remaining positions separately;
/// - `preserve_shape`: the last axis;
/// - otherwise, for float32 data of rank 1, 2 or 4 (MKL-DNN's inference path): the last axis; for
///   other ranks (the native path): all axes after the first, flattened.
/// The training-only attributes (`grad_scale`, `ignore_label`, `use_ignore`, `normalization`,
/// `out_grad`, `smooth_alpha`) are read and have no effect.
public struct SoftmaxOutputOperator: Operator {
    public static let names = ["SoftmaxOutput", "Softmax"]
    public let opName: String
    public let multiOutput: Bool
    public let preserveShape: Bool

    public init(opName: String, attributes: inout AttributeReader) throws(OperatorError) {
        self.opName = opName
        multiOutput = try attributes.bool("multi_output", default: false)
        preserveShape = try attributes.bool("preserve_shape", default: false)
        _ = try attributes.float("grad_scale", default: 1)
        _ = try attributes.float("ignore_label", default: -1)
        _ = try attributes.bool("use_ignore", default: false)
        _ = try attributes.choice("normalization", ["null", "batch", "valid"], default: "null")
        _ = try attributes.bool("out_grad", default: false)
        _ = try attributes.float("smooth_alpha", default: 0)
    }

    public func inputNames(inputCount: Int) -> [String] { ["data", "label"] }
    public var unusedInputIndicesAtInference: Set<Int> { [1] }

    public func inferShapes(_ inputs: [Shape]) throws(OperatorError) -> [Shape] {
        try requireInputCount(inputs, 2)
        let data = inputs[0]
        guard data.rank >= 1 else { throw .invalidInputs("\(opName) expects data of rank at least 1, got a scalar") }
        if multiOutput, data.rank < 2 {
            throw .invalidInputs("\(opName) with multi_output expects data (N, C, ...), got \(data)")
        }
        return [data]
    }

    /// `(outer, axisSize, inner)`: how the softmax sees `data`.
    public func softmaxLayout(data: Shape) -> (outer: Int, axisSize: Int, inner: Int) {
        let dims = data.dims
        if multiOutput {
            return (dims[0], dims[1], NeuralNetworkAttributes.product(dims.dropFirst(2)))
        }
        if preserveShape || [1, 2, 4].contains(dims.count) {
            return (NeuralNetworkAttributes.product(dims.dropLast()), dims[dims.count - 1], 1)
        }
        return (dims[0], NeuralNetworkAttributes.product(dims.dropFirst()), 1)
    }

    /// About 4 flops per element (max, subtract, exp, divide).
    public func cost(inputs: [Shape], outputs: [Shape]) -> OperatorCost {
        OperatorCost(flops: Double(4 * inputs[0].elementCount), bytes: NeuralNetworkAttributes.bytes([inputs[0]] + outputs))
    }

    public func execute(inputs: [Tensor], outputs: [Tensor]) {
        let layout = softmaxLayout(data: inputs[0].shape)
        Reference.softmax(.softmax, input: inputs[0].floats, output: outputs[0].floats,
                          outer: layout.outer, axisSize: layout.axisSize, inner: layout.inner)
    }
}
