import FlexKernels
import FlexTensor

/// MXNet `UpSampling` of NCHW data by an integer `scale`.
///
/// - `nearest`: `num_args` inputs `arg0, arg1, ...`; the output is `(N, C', H0*scale, W0*scale)` from the
///   first input's size, and every input is repeated by `H0*scale / Hi` to that size; with
///   `multi_input_mode=concat` (default) the results are concatenated along channels, with `sum` added
///   (all inputs then need the same channels).
/// - `bilinear`: inputs `data (N, C, H, W)` and `weight (C, 1, k, k)` with `k = 2*scale - scale % 2`; MXNet
///   computes it as a depthwise `Deconvolution` with stride `scale` and pad `ceil((scale - 1) / 2)`, and
///   so does FlexEG. `num_filter` must equal C. The output is `(N, C, H*scale, W*scale)`.
///
/// `workspace` has no effect on a CPU.
public struct UpSamplingOperator: Operator {
    public static let names = ["UpSampling"]
    public let opName: String
    public let scale: Int
    /// `nearest` or `bilinear`.
    public let sampleType: String
    /// `concat` or `sum`.
    public let multiInputMode: String
    public let numArgs: Int
    public let numFilter: Int

    public init(opName: String, attributes: inout AttributeReader) throws(OperatorError) {
        self.opName = opName
        scale = try attributes.requiredInt("scale")
        guard scale >= 1 else { throw .invalidAttribute("scale", value: String(scale), expected: "at least 1") }
        sampleType = try attributes.requiredString("sample_type")
        guard ["nearest", "bilinear"].contains(sampleType) else {
            throw .invalidAttribute("sample_type", value: sampleType, expected: "one of nearest, bilinear")
        }
        multiInputMode = try attributes.choice("multi_input_mode", ["concat", "sum"], default: "concat")
        numArgs = try attributes.requiredInt("num_args")
        guard numArgs >= 1 else { throw .invalidAttribute("num_args", value: String(numArgs), expected: "at least 1") }
        numFilter = try attributes.int("num_filter", default: 0)
        let workspace = try attributes.int("workspace", default: 512)
        guard workspace >= 0 else { throw .invalidAttribute("workspace", value: String(workspace), expected: "a non-negative size in MB") }
    }

    /// Kernel size of the bilinear filter.
    public var bilinearKernel: Int { 2 * scale - scale % 2 }

    public func inputNames(inputCount: Int) -> [String] {
        sampleType == "nearest" ? (0..<numArgs).map { "arg\($0)" } : ["data", "weight"]
    }

    public func inferShapes(_ inputs: [Shape]) throws(OperatorError) -> [Shape] {
        for (index, shape) in inputs.enumerated() where !(sampleType == "bilinear" && index == 1) && shape.rank != 4 {
            throw .invalidInputs("\(opName) expects 4-D inputs (N, C, H, W), got \(shape) for input \(index)")
        }
        let first = inputs.first ?? Shape([])
        if sampleType == "bilinear" {
            try requireInputCount(inputs, 2)
            let weight = Shape([first[1], 1, bilinearKernel, bilinearKernel])
            guard inputs[1] == weight else {
                throw .invalidInputs("\(opName) (bilinear) expects weight \(weight) for data \(first), got \(inputs[1])")
            }
            guard numFilter == first[1] else {
                throw .invalidInputs("\(opName) (bilinear) needs num_filter equal to the data channels \(first[1]), got num_filter=\(numFilter)")
            }
            return [Shape([first[0], first[1], first[2] * scale, first[3] * scale])]
        }
        try requireInputCount(inputs, numArgs)
        let height = first[2] * scale, width = first[3] * scale
        var channels = 0
        for shape in inputs {
            guard shape[0] == first[0], shape[2] > 0, shape[3] > 0, height % shape[2] == 0, width % shape[3] == 0,
                  height / shape[2] == width / shape[3] else {
                throw .invalidInputs("\(opName) cannot upsample input \(shape) to (\(first[0]),?,\(height),\(width)): "
                                     + "its batch must be \(first[0]) and its height and width must divide the output by the same factor")
            }
            if multiInputMode == "sum" {
                guard channels == 0 || channels == shape[1] else {
                    throw .invalidInputs("\(opName) with multi_input_mode=sum needs inputs with equal channels, got \(inputs.map(\.description).joined(separator: ", "))")
                }
                channels = shape[1]
            } else {
                channels += shape[1]
            }
        }
        return [Shape([first[0], channels, height, width])]
    }

    public func expectedInputShapes(_ known: [Shape?]) -> [Shape?] {
        var result = known
        if sampleType == "bilinear", result.count > 1, result[1] == nil, let data = known[0], data.rank == 4 {
            result[1] = Shape([data[1], 1, bilinearKernel, bilinearKernel])
        }
        return result
    }

    public func cost(inputs: [Shape], outputs: [Shape]) -> OperatorCost {
        let flops = sampleType == "bilinear" ? 2 * inputs[0].elementCount * bilinearKernel * bilinearKernel : outputs[0].elementCount
        return OperatorCost(flops: Double(flops), bytes: NeuralNetworkAttributes.bytes(inputs + outputs))
    }

    /// The depthwise transposed convolution MXNet uses for `bilinear`.
    func bilinearGeometry(data: Shape) -> Reference.ConvolutionGeometry {
        let pad = scale / 2  // ceil((scale - 1) / 2)
        return Reference.ConvolutionGeometry(
            batch: data[0], inputChannels: data[1], inputHeight: data[2] * scale, inputWidth: data[3] * scale,
            outputChannels: data[1], kernelHeight: bilinearKernel, kernelWidth: bilinearKernel,
            strideHeight: scale, strideWidth: scale, padHeight: pad, padWidth: pad, groups: data[1])
    }

    public func execute(inputs: [Tensor], outputs: [Tensor]) {
        let output = outputs[0]
        if sampleType == "bilinear" {
            Reference.transposedConvolution(bilinearGeometry(data: inputs[0].shape), input: inputs[0].floats, weight: inputs[1].floats,
                                            bias: nil, output: output.floats)
            return
        }
        if multiInputMode == "sum" { output.floats.update(repeating: 0, count: output.elementCount) }
        var channelOffset = 0
        for input in inputs {
            let shape = input.shape
            Reference.upsampleNearest(input: input.floats, output: output.floats, batch: shape[0], channels: shape[1],
                                      height: shape[2], width: shape[3], scale: output.shape[2] / shape[2],
                                      outputChannels: output.shape[1], channelOffset: multiInputMode == "sum" ? 0 : channelOffset,
                                      accumulate: multiInputMode == "sum")
            channelOffset += shape[1]
        }
    }
}
