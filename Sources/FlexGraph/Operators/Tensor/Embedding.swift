import FlexKernels
import FlexTensor

/// MXNet `Embedding`: output `[..., :]` is row `data[...]` of `weight` (`(input_dim, output_dim)`), so
/// the output shape is `data.shape + (output_dim,)`. Indices (float32 or integer) are truncated toward
/// zero and clamped to `0..<input_dim`, as MXNet does.
///
/// `dtype` names the weight's dtype in MXNet; FlexEG gathers whatever dtype the bound weight has
/// (float32 after `GraphExecutor` converts parameters) and the output keeps it. `sparse_grad` only
/// affects training.
public struct EmbeddingOperator: Operator {
    public static let names = ["Embedding"]
    public let opName: String
    public let inputDim: Int
    public let outputDim: Int
    public let dtype: String

    public init(opName: String, attributes: inout AttributeReader) throws(OperatorError) {
        self.opName = opName
        inputDim = try attributes.requiredInt("input_dim")
        outputDim = try attributes.requiredInt("output_dim")
        dtype = try attributes.choice("dtype", ["bfloat16", "float16", "float32", "float64", "int32", "int64", "int8", "uint8"],
                                      default: "float32")
        _ = try attributes.bool("sparse_grad", default: false)
        guard inputDim >= 1 else { throw .invalidAttribute("input_dim", value: String(inputDim), expected: "at least 1") }
        guard outputDim >= 1 else { throw .invalidAttribute("output_dim", value: String(outputDim), expected: "at least 1") }
    }

    public func inputNames(inputCount: Int) -> [String] { ["data", "weight"] }

    public func inferShapes(_ inputs: [Shape]) throws(OperatorError) -> [Shape] {
        try requireInputCount(inputs, 2)
        let expected = Shape([inputDim, outputDim])
        guard inputs[1] == expected else {
            throw .invalidInputs("\(opName) expects weight of shape \(expected) (input_dim, output_dim), got \(inputs[1])")
        }
        return [Shape(inputs[0].dims + [outputDim])]
    }

    public func expectedInputShapes(_ known: [Shape?]) -> [Shape?] {
        [known[0], known[1] ?? Shape([inputDim, outputDim])]
    }

    public func inferTypes(_ inputs: [DType]) throws(OperatorError) -> [DType] { [inputs[1]] }

    public func cost(inputs: [Shape], outputs: [Shape]) -> OperatorCost {
        OperatorCost(flops: 0, bytes: Double((2 * outputs[0].elementCount + inputs[0].elementCount) * 4))
    }

    public func execute(inputs: [Tensor], outputs: [Tensor]) {
        let indices = inputs[0]
        let weight = inputs[1]
        let positions = Reference.resolveIndices(indices.rawPointer, dtype: indices.dtype, count: indices.elementCount,
                                                 axisSize: inputDim, mode: .clip)
        Reference.gather(elementSize: weight.dtype.size, source: weight.rawPointer, outer: 1, axisSize: inputDim,
                         inner: outputDim, positions: positions, destination: outputs[0].rawPointer)
    }
}
