import FlexKernels
import FlexTensor

/// MXNet `InstanceNorm`: normalizes each channel of each instance over its spatial elements:
/// `output = gamma[c] * (data - mean) / sqrt(var + eps) + beta[c]` (biased variance).
///
/// Inputs `data (N, C, spatial...)` of rank at least 3, `gamma (C,)`, `beta (C,)`. MXNet counts 3 outputs
/// (`output`, `mean`, `var`), only the first visible.
public struct InstanceNormOperator: Operator {
    public static let names = ["InstanceNorm"]
    public let opName: String
    public let eps: Float

    public init(opName: String, attributes: inout AttributeReader) throws(OperatorError) {
        self.opName = opName
        eps = try attributes.float("eps", default: 1e-3)
    }

    public func inputNames(inputCount: Int) -> [String] { ["data", "gamma", "beta"] }
    public var totalOutputCount: Int { 3 }

    public func inferShapes(_ inputs: [Shape]) throws(OperatorError) -> [Shape] {
        try requireInputCount(inputs, 3)
        let data = inputs[0]
        guard data.rank >= 3 else {
            throw .invalidInputs("\(opName) expects data of rank at least 3 (N, C, spatial...), got \(data)")
        }
        let channels = Shape([data[1]])
        for (index, name) in [(1, "gamma"), (2, "beta")] where inputs[index] != channels {
            throw .invalidInputs("\(opName) expects \(name) \(channels) for data \(data), got \(inputs[index])")
        }
        return [data]
    }

    public func expectedInputShapes(_ known: [Shape?]) -> [Shape?] {
        var result = known
        guard let data = known[0], data.rank >= 2 else { return result }
        for index in 1..<min(3, result.count) where result[index] == nil { result[index] = Shape([data[1]]) }
        return result
    }

    /// About 7 flops per element (two reductions, centre, scale, shift).
    public func cost(inputs: [Shape], outputs: [Shape]) -> OperatorCost {
        OperatorCost(flops: Double(7 * inputs[0].elementCount), bytes: NeuralNetworkAttributes.bytes(inputs + outputs))
    }

    public func execute(inputs: [Tensor], outputs: [Tensor]) {
        let shape = inputs[0].shape
        Reference.instanceNorm(input: inputs[0].floats, gamma: inputs[1].floats, beta: inputs[2].floats, epsilon: eps,
                               output: outputs[0].floats, batch: shape[0], channels: shape[1],
                               spatial: NeuralNetworkAttributes.product(shape.dims.dropFirst(2)))
    }
}
