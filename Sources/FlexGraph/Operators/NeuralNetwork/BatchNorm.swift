import FlexKernels
import FlexTensor

/// MXNet `BatchNorm` (alias `_npx_batch_norm`) at inference:
/// `output = (data - moving_mean) / sqrt(moving_var + eps) * gamma + beta` per channel of `axis`.
///
/// Inputs `data`, `gamma`, `beta`, and the auxiliary states `moving_mean`, `moving_var` (inputs 3 and
/// 4), each `(C,)` for `C = data.shape[axis]`. `fix_gamma` (default True) treats gamma as 1.
/// Inference always uses the moving statistics, so `use_global_stats` and `momentum` change nothing.
/// MXNet counts 3 outputs (`output`, `mean`, `var`); only the first is visible unless
/// `output_mean_var`, and then, at inference, `mean` is `moving_mean` and `var` is
/// `1 / sqrt(moving_var + eps)` (what MXNet 1.9.1 returns). `cudnn_off`, `min_calib_range` and
/// `max_calib_range` have no effect on float32 CPU inference.
public struct BatchNormOperator: Operator {
    public static let names = ["BatchNorm", "_npx_batch_norm"]
    public let opName: String
    public let eps: Float
    public let momentum: Float
    public let fixGamma: Bool
    public let useGlobalStats: Bool
    public let outputMeanVar: Bool
    /// The channel axis as written (may be negative); see `channelAxis(rank:)`.
    public let axis: Int

    public init(opName: String, attributes: inout AttributeReader) throws(OperatorError) {
        self.opName = opName
        eps = try attributes.float("eps", default: 1e-3)
        momentum = try attributes.float("momentum", default: 0.9)
        fixGamma = try attributes.bool("fix_gamma", default: true)
        useGlobalStats = try attributes.bool("use_global_stats", default: false)
        outputMeanVar = try attributes.bool("output_mean_var", default: false)
        axis = try attributes.int("axis", default: 1)
        _ = try attributes.bool("cudnn_off", default: false)
        _ = try attributes.float("min_calib_range")
        _ = try attributes.float("max_calib_range")
    }

    public func inputNames(inputCount: Int) -> [String] {
        ["data", "gamma", "beta", "moving_mean", "moving_var"]
    }

    public var auxiliaryInputIndices: Set<Int> { [3, 4] }
    public var outputCount: Int { outputMeanVar ? 3 : 1 }
    public var totalOutputCount: Int { 3 }

    /// `axis` resolved against data of `rank` axes, or nil when out of range.
    public func channelAxis(rank: Int) -> Int? {
        NeuralNetworkAttributes.normalizedAxis(axis, rank: rank)
    }

    public func inferShapes(_ inputs: [Shape]) throws(OperatorError) -> [Shape] {
        try requireInputCount(inputs, 5)
        let data = inputs[0]
        guard let channelAxis = channelAxis(rank: data.rank) else {
            throw .invalidInputs("\(opName) axis=\(axis) is out of range for data \(data)")
        }
        let channels = Shape([data[channelAxis]])
        for (index, name) in [(1, "gamma"), (2, "beta"), (3, "moving_mean"), (4, "moving_var")] where inputs[index] != channels {
            throw .invalidInputs("\(opName) expects \(name) \(channels) for data \(data) (channel axis \(channelAxis)), got \(inputs[index])")
        }
        return outputMeanVar ? [data, channels, channels] : [data]
    }

    public func expectedInputShapes(_ known: [Shape?]) -> [Shape?] {
        var result = known
        let fromData = known[0].flatMap { data in channelAxis(rank: data.rank).map { data[$0] } }
        let fromParameters = known.dropFirst().compactMap { $0 }.first { $0.rank == 1 }?[0]
        guard let channels = fromData ?? fromParameters else { return result }
        // The data's rank is unknown from the parameters, so only the parameters are filled in.
        for index in 1..<min(5, result.count) where result[index] == nil { result[index] = Shape([channels]) }
        return result
    }

    /// Two flops (scale and shift) per element.
    public func cost(inputs: [Shape], outputs: [Shape]) -> OperatorCost {
        OperatorCost(flops: Double(2 * inputs[0].elementCount), bytes: NeuralNetworkAttributes.bytes(inputs + outputs))
    }

    public func execute(inputs: [Tensor], outputs: [Tensor]) {
        let shape = inputs[0].shape
        let channelAxis = channelAxis(rank: shape.rank)!
        Reference.batchNormInference(
            input: inputs[0].floats, gamma: fixGamma ? nil : UnsafePointer(inputs[1].floats), beta: inputs[2].floats,
            mean: inputs[3].floats, variance: inputs[4].floats, epsilon: eps, output: outputs[0].floats,
            outer: NeuralNetworkAttributes.product(shape.dims[..<channelAxis]), channels: shape[channelAxis],
            inner: NeuralNetworkAttributes.product(shape.dims[(channelAxis + 1)...]),
            savedMean: outputMeanVar ? outputs[1].floats : nil, savedInverseStd: outputMeanVar ? outputs[2].floats : nil)
    }
}
