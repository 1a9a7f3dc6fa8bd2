import FlexKernels
import FlexTensor

/// MXNet `Deconvolution` (alias `_npx_deconvolution`): transposed convolution, 1-D over NCW and 2-D
/// over NCHW data.
///
/// Inputs `data (N, C, [H,] W)`, `weight (C, num_filter / num_group, [kh,] kw)`, and `bias (num_filter,)`
/// unless `no_bias` (which defaults to **True** for Deconvolution). Output `(N, num_filter, [OH,] OW)`
/// with `O = s(x - 1) + d(k - 1) + 1 - 2p + adj` per axis. When `target_shape` has a non-zero entry,
/// `pad` and `adj` are recomputed as MXNet's `InferPad` does: `total = s(x - 1) + d(k - 1) + 1 - target`,
/// `adj = total % 2`, `p = (total + 1) / 2`, so the output is the target. `adj` must stay below the stride.
/// (MXNet 1.9.1's MKL-DNN path keeps the written `pad`, so there a `target_shape` whose padding differs
/// from `pad` fails to run; FlexEG follows `InferPad`, MXNet's native semantics.)
/// `workspace`, `cudnn_tune`, `cudnn_off` have no effect on a CPU; `layout` must be NCW/NCHW.
public struct DeconvolutionOperator: Operator {
    public static let names = ["Deconvolution", "_npx_deconvolution"]
    public let opName: String
    public let kernel: [Int]
    public let stride: [Int]
    public let pad: [Int]
    public let adj: [Int]
    public let dilate: [Int]
    /// Requested output spatial size, empty when not given (0 entries mean "not given" for that axis).
    public let targetShape: [Int]
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
        adj = try NeuralNetworkAttributes.spatialTuple(&attributes, "adj", rank: rank, default: 0, minimum: 0)
        let target = try attributes.intTuple("target_shape") ?? []
        if !target.isEmpty {
            guard target.count == rank, target.allSatisfy({ $0 >= 0 }) else {
                throw .invalidAttribute("target_shape", value: attributes.raw["target_shape"] ?? "",
                                        expected: "\(rank) non-negative size(s), one per kernel axis")
            }
        }
        targetShape = target.contains { $0 != 0 } ? target : []
        (numFilter, numGroup) = try NeuralNetworkAttributes.filtersAndGroups(&attributes)
        noBias = try attributes.bool("no_bias", default: true)
        try NeuralNetworkAttributes.validateCUDNNAttributes(&attributes, defaultWorkspace: 512)
        try NeuralNetworkAttributes.requireChannelFirstLayout(&attributes, op: opName, rank: rank,
                                                              choices: ["NCW", "NCHW", "NCDHW", "NHWC", "NDHWC"])
        guard rank <= 2 else { throw .unsupported("\(opName) with a 3-D kernel \(NeuralNetworkAttributes.render(kernel)); FlexEG implements 1-D and 2-D") }
    }

    public func inputNames(inputCount: Int) -> [String] {
        noBias ? ["data", "weight"] : ["data", "weight", "bias"]
    }

    /// Weight shape for `channels` input channels.
    public func weightShape(channels: Int) -> Shape {
        Shape([channels, numFilter / numGroup] + kernel)
    }

    /// Padding and output adjustment per spatial axis for this input spatial size (MXNet's `InferPad`).
    public func effectivePadding(spatial: [Int]) -> (pad: [Int], adj: [Int]) {
        guard !targetShape.isEmpty else { return (pad, adj) }
        var pads: [Int] = [], adjs: [Int] = []
        for axis in 0..<kernel.count {
            let total = stride[axis] * (spatial[axis] - 1) + dilate[axis] * (kernel[axis] - 1) + 1 - targetShape[axis]
            adjs.append(total % 2)
            pads.append((total + 1) / 2)
        }
        return (pads, adjs)
    }

    public func inferShapes(_ inputs: [Shape]) throws(OperatorError) -> [Shape] {
        try requireInputCount(inputs, noBias ? 2 : 3)
        let data = inputs[0], rank = kernel.count
        guard data.rank == rank + 2 else {
            throw .invalidInputs("\(opName) with kernel \(NeuralNetworkAttributes.render(kernel)) expects \(rank + 2)-D data "
                                 + "(\(NeuralNetworkAttributes.channelFirstLayout(rank: rank))), got \(data)")
        }
        guard data[1] % numGroup == 0 else {
            throw .invalidInputs("\(opName) with num_group=\(numGroup) expects data channels divisible by \(numGroup), got data \(data)")
        }
        let weight = weightShape(channels: data[1])
        guard inputs[1] == weight else {
            throw .invalidInputs("\(opName) expects weight \(weight) for data \(data), got \(inputs[1])")
        }
        if !noBias, inputs[2] != Shape([numFilter]) {
            throw .invalidInputs("\(opName) expects bias (\(numFilter),), got \(inputs[2])")
        }
        let spatial = Array(data.dims.dropFirst(2))
        let (pads, adjs) = effectivePadding(spatial: spatial)
        var output = [data[0], numFilter]
        for axis in 0..<rank {
            let full = stride[axis] * (spatial[axis] - 1) + dilate[axis] * (kernel[axis] - 1) + 1
            if !targetShape.isEmpty, full < targetShape[axis] {
                throw .invalidInputs("\(opName) target_shape \(NeuralNetworkAttributes.render(targetShape)) is too big for data \(data): "
                                     + "axis \(axis + 2) reaches at most \(full)")
            }
            guard adjs[axis] < stride[axis] else {
                throw .invalidInputs("\(opName) adj \(NeuralNetworkAttributes.render(adjs)) must be smaller than stride "
                                     + "\(NeuralNetworkAttributes.render(stride)) (for data \(data))")
            }
            let size = full - 2 * pads[axis] + adjs[axis]
            guard size >= 1 else {
                throw .invalidInputs("\(opName) pad \(NeuralNetworkAttributes.render(pads)) leaves no output on axis \(axis + 2) for data \(data)")
            }
            output.append(size)
        }
        return [Shape(output)]
    }

    public func expectedInputShapes(_ known: [Shape?]) -> [Shape?] {
        var result = known
        if result[0] == nil, let weight = known[1], weight.rank == kernel.count + 2 {
            result[0] = Shape([0, weight[0]] + Array(repeating: 0, count: kernel.count))
        }
        if result[1] == nil {
            let channels = known[0].flatMap { $0.rank == kernel.count + 2 ? $0[1] : nil } ?? 0
            result[1] = Shape([channels, numFilter / numGroup] + kernel)
        }
        if !noBias, result.count > 2, result[2] == nil { result[2] = Shape([numFilter]) }
        return result
    }

    /// The convolution whose adjoint this is: its input is this operator's output and vice versa.
    public func geometry(data: Shape, output: Shape) -> Reference.ConvolutionGeometry {
        let (pads, _) = effectivePadding(spatial: Array(data.dims.dropFirst(2)))
        let twoD = kernel.count == 2
        return Reference.ConvolutionGeometry(
            batch: data[0], inputChannels: numFilter,
            inputHeight: twoD ? output[2] : 1, inputWidth: output[output.rank - 1],
            outputChannels: data[1],
            kernelHeight: twoD ? kernel[0] : 1, kernelWidth: kernel[kernel.count - 1],
            strideHeight: twoD ? stride[0] : 1, strideWidth: stride[stride.count - 1],
            padHeight: twoD ? pads[0] : 0, padWidth: pads[pads.count - 1],
            dilationHeight: twoD ? dilate[0] : 1, dilationWidth: dilate[dilate.count - 1],
            groups: numGroup)
    }

    public func cost(inputs: [Shape], outputs: [Shape]) -> OperatorCost {
        let multiplyAdds = inputs[0].elementCount * (numFilter / numGroup) * kernel.reduce(1, *)
        return OperatorCost(flops: Double(2 * multiplyAdds + (noBias ? 0 : outputs[0].elementCount)),
                            bytes: NeuralNetworkAttributes.bytes(inputs + outputs))
    }

    public func execute(inputs: [Tensor], outputs: [Tensor]) {
        Reference.transposedConvolution(geometry(data: inputs[0].shape, output: outputs[0].shape),
                                        input: inputs[0].floats, weight: inputs[1].floats,
                                        bias: noBias ? nil : UnsafePointer(inputs[2].floats), output: outputs[0].floats)
    }
}
