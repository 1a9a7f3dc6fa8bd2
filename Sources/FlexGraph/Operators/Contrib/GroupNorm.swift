import FlexKernels
import FlexTensor

/// MXNet `GroupNorm(data, gamma, beta, num_groups=1, eps=1e-5, output_mean_var=False)`: the `C`
/// channels of `(N, C, ...)` data split into `num_groups` groups, each normalized over its channels
/// and spatial positions with the biased variance, then scaled and shifted per group (`gamma`,
/// `beta` of shape `(num_groups,)` in MXNet 1.9.1). MXNet counts 3 outputs (`output`, `mean`, `std`
/// of shape `(N, num_groups)`), the last two visible with `output_mean_var`.
public struct GroupNormOperator: Operator {
    public static let names = ["GroupNorm"]
    public let opName: String
    public let groups: Int
    public let eps: Float
    public let outputMeanVar: Bool

    public init(opName: String, attributes: inout AttributeReader) throws(OperatorError) {
        self.opName = opName
        groups = try attributes.int("num_groups", default: 1)
        guard groups >= 1 else { throw .invalidAttribute("num_groups", value: String(groups), expected: "a positive integer") }
        eps = try attributes.float("eps", default: 1e-5)
        outputMeanVar = try attributes.bool("output_mean_var", default: false)
    }

    public func inputNames(inputCount: Int) -> [String] { ["data", "gamma", "beta"] }
    public var outputCount: Int { outputMeanVar ? 3 : 1 }
    public var totalOutputCount: Int { 3 }

    public func inferShapes(_ inputs: [Shape]) throws(OperatorError) -> [Shape] {
        try requireInputCount(inputs, 3)
        let data = inputs[0]
        guard data.rank >= 2, data[1] % groups == 0 else {
            throw .invalidInputs("\(opName) needs data (N, C, ...) with C divisible by num_groups=\(groups), got \(data)")
        }
        for (index, name) in [(1, "gamma"), (2, "beta")] where inputs[index] != Shape([groups]) {
            throw .invalidInputs("\(opName) expects \(name) (\(groups),) (one per group), got \(inputs[index])")
        }
        let moments = Shape([data[0], groups])
        return outputMeanVar ? [data, moments, moments] : [data]
    }

    public func expectedInputShapes(_ known: [Shape?]) -> [Shape?] {
        var result = known
        for index in 1..<min(3, result.count) where result[index] == nil { result[index] = Shape([groups]) }
        return result
    }

    public func cost(inputs: [Shape], outputs: [Shape]) -> OperatorCost {
        OperatorCost(flops: Double(8 * inputs[0].elementCount), bytes: Double((2 * inputs[0].elementCount) * 4))
    }

    public func execute(inputs: [Tensor], outputs: [Tensor]) {
        let shape = inputs[0].shape
        let count = shape[0] * groups
        guard count > 0 else { return }
        Reference.groupNorm(input: inputs[0].floats, gamma: inputs[1].floats, beta: inputs[2].floats, epsilon: eps,
                            output: outputs[0].floats, count: count, size: shape.elementCount / count, groups: groups,
                            savedMean: outputMeanVar ? outputs[1].floats : nil, savedStd: outputMeanVar ? outputs[2].floats : nil)
    }
}
