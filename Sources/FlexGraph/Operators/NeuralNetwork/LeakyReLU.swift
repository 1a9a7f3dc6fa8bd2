import FlexKernels
import FlexTensor

/// MXNet `LeakyReLU` (alias `_npx_leaky_relu`) at inference, by `act_type` (default `leaky`):
/// - `leaky`: `x > 0 ? x : slope * x` (`slope` default 0.25);
/// - `prelu`: like leaky with a learnt `gamma` input, aligned to data axes 0 and 1 from the right as
///   MXNet does (usually `(C,)` per channel of axis 1, or `(1,)` shared);
/// - `rrelu`: at inference leaky with slope `(lower_bound + upper_bound) / 2`; MXNet then has a second
///   visible output `mask`, which inference leaves at zero;
/// - `elu`: `x > 0 ? x : slope * (exp(x) - 1)`; `selu`: MXNet's scaled ELU; `gelu`: the erf form
///   `0.5 x (1 + erf(x / sqrt 2))`.
public struct LeakyReLUOperator: Operator {
    public static let names = ["LeakyReLU", "_npx_leaky_relu"]
    public static let activationTypes = ["leaky", "prelu", "rrelu", "elu", "selu", "gelu"]
    public let opName: String
    /// One of `activationTypes`.
    public let actType: String
    public let slope: Float
    public let lowerBound: Float
    public let upperBound: Float

    public init(opName: String, attributes: inout AttributeReader) throws(OperatorError) {
        self.opName = opName
        actType = try attributes.choice("act_type", Self.activationTypes, default: "leaky")
        slope = try attributes.float("slope", default: 0.25)
        lowerBound = try attributes.float("lower_bound", default: 0.125)
        upperBound = try attributes.float("upper_bound", default: 0.334)
    }

    /// The parameter-free function this node computes at inference; nil for `prelu`.
    public var function: Reference.LeakyReLUFunction? {
        switch actType {
        case "leaky": .leaky(slope: slope)
        case "rrelu": .leaky(slope: (lowerBound + upperBound) / 2)
        case "elu": .elu(slope: slope)
        case "selu": .selu
        case "gelu": .gelu
        default: nil
        }
    }

    public func inputNames(inputCount: Int) -> [String] {
        actType == "prelu" ? ["data", "gamma"] : ["data"]
    }

    public var outputCount: Int { actType == "rrelu" ? 2 : 1 }

    /// Gamma's shape aligned to data's axes as MXNet's `expand_shape` does: gamma's axes are matched
    /// from the right against data axes 1 and 0 (equal size or 1); other axes get 1. Nil if gamma does
    /// not fit.
    static func alignedGamma(_ gamma: Shape, data: Shape) -> [Int]? {
        var result = [Int](repeating: 1, count: data.rank)
        var source = gamma.rank - 1
        for axis in stride(from: data.rank - 1, through: 0, by: -1)
        where source >= 0 && axis <= 1 && (data[axis] == gamma[source] || gamma[source] == 1) {
            result[axis] = gamma[source]
            source -= 1
        }
        return source == -1 ? result : nil
    }

    public func inferShapes(_ inputs: [Shape]) throws(OperatorError) -> [Shape] {
        try requireInputCount(inputs, actType == "prelu" ? 2 : 1)
        let data = inputs[0]
        if actType == "prelu" {
            guard data.rank >= 1, Self.alignedGamma(inputs[1], data: data) != nil else {
                throw .invalidInputs("\(opName) (prelu) expects gamma (\(data.rank > 1 ? data[1] : data.rank == 1 ? data[0] : 1),) "
                                     + "or another shape that broadcasts to data \(data) along axes 0 and 1, got \(inputs[1])")
            }
        }
        return actType == "rrelu" ? [data, data] : [data]
    }

    public func expectedInputShapes(_ known: [Shape?]) -> [Shape?] {
        var result = known
        if actType == "prelu", result.count > 1, result[1] == nil, let data = known[0], data.rank >= 2 {
            result[1] = Shape([data[1]])
        }
        return result
    }

    public func execute(inputs: [Tensor], outputs: [Tensor]) {
        let data = inputs[0]
        if let function {
            Reference.leakyReLU(function, input: data.floats, output: outputs[0].floats, count: data.elementCount)
            if outputs.count > 1 { outputs[1].floats.update(repeating: 0, count: outputs[1].elementCount) }
            return
        }
        let shape = data.shape
        let gamma = Self.alignedGamma(inputs[1].shape, data: shape)!
        let outer = shape[0], channels = shape.rank > 1 ? shape[1] : 1
        let gammaChannels = shape.rank > 1 ? gamma[1] : 1
        Reference.parametricReLU(input: data.floats, gamma: inputs[1].floats, output: outputs[0].floats,
                                 outer: outer, channels: channels, inner: data.elementCount / max(1, outer * channels),
                                 outerStride: gamma[0] == 1 ? 0 : gammaChannels, channelStride: gammaChannels == 1 ? 0 : 1)
    }
}
