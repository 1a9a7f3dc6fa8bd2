import FlexKernels
import FlexTensor

/// MXNet `Convolution` (alias `_npx_convolution`), 1-D over NCW, 2-D over NCHW and 3-D over NCDHW data.
///
/// Inputs `data (N, C, [H,] W)`, `weight (num_filter, C / num_group, [kh,] kw)`, and `bias (num_filter,)`
/// unless `no_bias`. Output `(N, num_filter, [OH,] OW)` with `O = floor((x + 2p - d(k-1) - 1) / s) + 1`
/// per spatial axis. `workspace`, `cudnn_tune` and `cudnn_off` have no effect on a CPU; `layout` must be
/// the channel-first one (NCW/NCHW/NCDHW). 3-D convolutions have their own geometry (`volumeGeometry`):
/// `geometry(data:)`, the 2-D one the fast kernels take, is only for 1-D and 2-D kernels.
///
/// The compiler may build instances directly (`init(kernel:...)`) to fold a following `BatchNorm` into
/// the weights and bias.
public struct ConvolutionOperator: Operator {
    public static let names = ["Convolution", "_npx_convolution"]
    public let opName: String
    /// Kernel size per spatial axis: `(w,)`, `(h, w)` or `(d, h, w)`.
    public let kernel: [Int]
    /// Stride per spatial axis (default 1).
    public let stride: [Int]
    /// Zero padding on both sides per spatial axis (default 0).
    public let pad: [Int]
    /// Dilation per spatial axis (default 1).
    public let dilate: [Int]
    public let numFilter: Int
    public let numGroup: Int
    public let noBias: Bool

    public init(opName: String, attributes: inout AttributeReader) throws(OperatorError) {
        self.opName = opName
        kernel = try NeuralNetworkAttributes.kernel(&attributes, maxRank: 3)
        let rank = kernel.count
        stride = try NeuralNetworkAttributes.spatialTuple(&attributes, "stride", rank: rank, default: 1, minimum: 1)
        dilate = try NeuralNetworkAttributes.spatialTuple(&attributes, "dilate", rank: rank, default: 1, minimum: 1)
        pad = try NeuralNetworkAttributes.spatialTuple(&attributes, "pad", rank: rank, default: 0, minimum: 0)
        (numFilter, numGroup) = try NeuralNetworkAttributes.filtersAndGroups(&attributes)
        noBias = try attributes.bool("no_bias", default: false)
        try NeuralNetworkAttributes.validateCUDNNAttributes(&attributes, defaultWorkspace: 1024)
        try NeuralNetworkAttributes.requireChannelFirstLayout(&attributes, op: opName, rank: rank,
                                                              choices: ["NCW", "NCHW", "NCDHW", "NHWC", "NDHWC"])
    }

    /// A convolution built by the compiler. Tuples have one value per spatial axis (1 to 3 axes).
    public init(kernel: [Int], stride: [Int], pad: [Int], dilate: [Int], numFilter: Int, numGroup: Int = 1,
                noBias: Bool, opName: String = "Convolution") {
        precondition((1...3).contains(kernel.count) && [stride, pad, dilate].allSatisfy { $0.count == kernel.count },
                     "convolution tuples must have one value per spatial axis (1 to 3)")
        precondition(numFilter >= 1 && numGroup >= 1 && numFilter % numGroup == 0, "num_filter must be a positive multiple of num_group")
        self.opName = opName
        self.kernel = kernel
        self.stride = stride
        self.pad = pad
        self.dilate = dilate
        self.numFilter = numFilter
        self.numGroup = numGroup
        self.noBias = noBias
    }

    public func inputNames(inputCount: Int) -> [String] {
        noBias ? ["data", "weight"] : ["data", "weight", "bias"]
    }

    /// Weight shape for `channels` input channels.
    public func weightShape(channels: Int) -> Shape {
        Shape([numFilter, channels / numGroup] + kernel)
    }

    public func inferShapes(_ inputs: [Shape]) throws(OperatorError) -> [Shape] {
        try requireInputCount(inputs, noBias ? 2 : 3)
        let data = inputs[0], rank = kernel.count
        guard data.rank == rank + 2 else {
            throw .invalidInputs("\(opName) with kernel \(NeuralNetworkAttributes.render(kernel)) expects \(rank + 2)-D data "
                                 + "(\(NeuralNetworkAttributes.channelFirstLayout(rank: rank))), got \(data)")
        }
        let channels = data[1]
        guard channels % numGroup == 0 else {
            throw .invalidInputs("\(opName) with num_group=\(numGroup) expects data channels divisible by \(numGroup), got data \(data)")
        }
        let weight = weightShape(channels: channels)
        guard inputs[1] == weight else {
            throw .invalidInputs("\(opName) expects weight \(weight) for data \(data), got \(inputs[1])")
        }
        if !noBias, inputs[2] != Shape([numFilter]) {
            throw .invalidInputs("\(opName) expects bias (\(numFilter),), got \(inputs[2])")
        }
        var output = [data[0], numFilter]
        for axis in 0..<rank {
            let size = data[axis + 2]
            let span = dilate[axis] * (kernel[axis] - 1) + 1
            guard span <= size + 2 * pad[axis] else {
                throw .invalidInputs("\(opName) kernel \(NeuralNetworkAttributes.render(kernel)) with dilate \(NeuralNetworkAttributes.render(dilate)) "
                                     + "spans \(span) on axis \(axis + 2), more than data \(data) padded by \(pad[axis]) on each side")
            }
            output.append((size + 2 * pad[axis] - span) / stride[axis] + 1)
        }
        return [Shape(output)]
    }

    public func expectedInputShapes(_ known: [Shape?]) -> [Shape?] {
        var result = known
        if result[0] == nil, let weight = known[1], weight.rank == kernel.count + 2 {
            result[0] = Shape([0, weight[1] * numGroup] + Array(repeating: 0, count: kernel.count))
        }
        if let data = known[0], data.rank == kernel.count + 2 {
            if result[1] == nil { result[1] = weightShape(channels: data[1]) }
        } else if result[1] == nil {
            result[1] = Shape([numFilter, 0] + kernel)
        }
        if !noBias, result.count > 2, result[2] == nil { result[2] = Shape([numFilter]) }
        return result
    }

    /// 2 flops per multiply-add, plus the bias add per output element.
    public func cost(inputs: [Shape], outputs: [Shape]) -> OperatorCost {
        let multiplyAdds = kernel.count == 3 ? volumeGeometry(data: inputs[0]).multiplyAdds : geometry(data: inputs[0]).multiplyAdds
        let perOutput = noBias ? 0 : 1
        return OperatorCost(flops: Double(2 * multiplyAdds + perOutput * outputs[0].elementCount),
                            bytes: NeuralNetworkAttributes.bytes(inputs + outputs))
    }

    /// The kernel geometry for `data` (1-D convolutions are 2-D ones of height 1). Only for 1-D and 2-D
    /// kernels: a 3-D one has `volumeGeometry(data:)`.
    public func geometry(data: Shape) -> Reference.ConvolutionGeometry {
        precondition(kernel.count <= 2, "a 3-D convolution has no 2-D geometry; use volumeGeometry(data:)")
        let spatial = Array(data.dims.dropFirst(2))
        let twoD = kernel.count == 2
        return Reference.ConvolutionGeometry(
            batch: data[0], inputChannels: data[1],
            inputHeight: twoD ? spatial[0] : 1, inputWidth: spatial[spatial.count - 1],
            outputChannels: numFilter,
            kernelHeight: twoD ? kernel[0] : 1, kernelWidth: kernel[kernel.count - 1],
            strideHeight: twoD ? stride[0] : 1, strideWidth: stride[stride.count - 1],
            padHeight: twoD ? pad[0] : 0, padWidth: pad[pad.count - 1],
            dilationHeight: twoD ? dilate[0] : 1, dilationWidth: dilate[dilate.count - 1],
            groups: numGroup)
    }

    /// The 3-D kernel geometry for NCDHW `data`. Precondition: a 3-D kernel.
    public func volumeGeometry(data: Shape) -> Reference.VolumeConvolutionGeometry {
        precondition(kernel.count == 3 && data.rank == 5, "volumeGeometry needs a 3-D kernel and NCDHW data")
        return Reference.VolumeConvolutionGeometry(batch: data[0], inputChannels: data[1], outputChannels: numFilter, groups: numGroup,
                                                   inputSize: Array(data.dims.dropFirst(2)), kernel: kernel, stride: stride, pad: pad,
                                                   dilation: dilate)
    }

    public func execute(inputs: [Tensor], outputs: [Tensor]) {
        let bias = noBias ? nil : UnsafePointer(inputs[2].floats)
        if kernel.count == 3 {
            Reference.convolution3D(volumeGeometry(data: inputs[0].shape), input: inputs[0].floats, weight: inputs[1].floats,
                                    bias: bias, output: outputs[0].floats)
            return
        }
        Reference.convolution(geometry(data: inputs[0].shape), input: inputs[0].floats, weight: inputs[1].floats,
                              bias: bias, output: outputs[0].floats)
    }
}
