import FlexKernels
import FlexTensor

/// MXNet `LayerNorm` (alias `_npx_layer_norm`): normalizes over one axis (default the last) with the
/// biased variance: `output = (data - mean) / sqrt(var + eps) * gamma + beta`.
///
/// Inputs `data`, `gamma (C,)`, `beta (C,)` for `C = data.shape[axis]`. MXNet counts 3 outputs
/// (`output`, `mean`, `std`, the latter two shaped like data with `axis` set to 1); they are visible
/// only with `output_mean_var`, where `std` is `sqrt(var + eps)`.
public struct LayerNormOperator: Operator {
    public static let names = ["LayerNorm", "_npx_layer_norm"]
    public let opName: String
    /// The normalized axis as written (may be negative).
    public let axis: Int
    public let eps: Float
    public let outputMeanVar: Bool

    public init(opName: String, attributes: inout AttributeReader) throws(OperatorError) {
        self.opName = opName
        axis = try attributes.int("axis", default: -1)
        eps = try attributes.float("eps", default: 1e-5)
        outputMeanVar = try attributes.bool("output_mean_var", default: false)
    }

    public func inputNames(inputCount: Int) -> [String] { ["data", "gamma", "beta"] }
    public var outputCount: Int { outputMeanVar ? 3 : 1 }
    public var totalOutputCount: Int { 3 }

    public func inferShapes(_ inputs: [Shape]) throws(OperatorError) -> [Shape] {
        try requireInputCount(inputs, 3)
        let data = inputs[0]
        guard let axis = NeuralNetworkAttributes.normalizedAxis(axis, rank: data.rank) else {
            throw .invalidInputs("\(opName) axis=\(self.axis) is out of range for data \(data)")
        }
        let channels = Shape([data[axis]])
        for (index, name) in [(1, "gamma"), (2, "beta")] where inputs[index] != channels {
            throw .invalidInputs("\(opName) expects \(name) \(channels) for data \(data) (axis \(axis)), got \(inputs[index])")
        }
        guard outputMeanVar else { return [data] }
        var moments = data
        moments[axis] = 1
        return [data, moments, moments]
    }

    public func expectedInputShapes(_ known: [Shape?]) -> [Shape?] {
        var result = known
        guard let data = known[0], let axis = NeuralNetworkAttributes.normalizedAxis(axis, rank: data.rank) else { return result }
        for index in 1..<min(3, result.count) where result[index] == nil { result[index] = Shape([data[axis]]) }
        return result
    }

    /// About 8 flops per element (two reductions, centre, scale, shift).
    public func cost(inputs: [Shape], outputs: [Shape]) -> OperatorCost {
        OperatorCost(flops: Double(8 * inputs[0].elementCount), bytes: NeuralNetworkAttributes.bytes(inputs + outputs))
    }

    public func execute(inputs: [Tensor], outputs: [Tensor]) {
        let shape = inputs[0].shape
        let axis = NeuralNetworkAttributes.normalizedAxis(axis, rank: shape.rank)!
        Reference.layerNorm(input: inputs[0].floats, gamma: inputs[1].floats, beta: inputs[2].floats, epsilon: eps,
                            output: outputs[0].floats,
                            outer: NeuralNetworkAttributes.product(shape.dims[..<axis]), width: shape[axis],
                            inner: NeuralNetworkAttributes.product(shape.dims[(axis + 1)...]),
                            savedMean: outputMeanVar ? outputs[1].floats : nil, savedStd: outputMeanVar ? outputs[2].floats : nil)
    }
}
