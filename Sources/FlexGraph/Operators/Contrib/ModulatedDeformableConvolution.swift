import FlexKernels
import FlexTensor

/// MXNet `_contrib_ModulatedDeformableConvolution` (DCNv2, GluonCV's CenterNet-DLA and deformable
/// ResNets), 2-D NCHW: inputs `data`, `offset (N, 2*DG*kh*kw, OH, OW)`, `mask (N, DG*kh*kw, OH, OW)`,
/// `weight (F, C/G, kh, kw)` and `bias (F,)` unless `no_bias`; attributes as `Convolution`'s plus
/// `num_deformable_group` (DG, default 1); `im2col_step` and `workspace` have no effect on results.
/// See `Reference.modulatedDeformableConvolution`.
public struct ModulatedDeformableConvolutionOperator: Operator {
    public static let names = ["_contrib_ModulatedDeformableConvolution"]
    public let opName: String
    /// The plain convolution with the same geometry (shapes of data, weight and bias; output size).
    public let convolution: ConvolutionOperator
    public let deformableGroups: Int

    public init(opName: String, attributes: inout AttributeReader) throws(OperatorError) {
        self.opName = opName
        deformableGroups = try attributes.int("num_deformable_group", default: 1)
        guard deformableGroups >= 1 else {
            throw .invalidAttribute("num_deformable_group", value: String(deformableGroups), expected: "a positive integer")
        }
        attributes.ignore("im2col_step")
        if let layout = attributes.raw["layout"], layout != "None", layout != "NCHW" {
            throw .unsupported("\(opName) layout \(layout); FlexEG implements NCHW")
        }
        var rest = AttributeReader(attributes.raw.filter { !["num_deformable_group", "im2col_step"].contains($0.key) })
        convolution = try ConvolutionOperator(opName: "Convolution", attributes: &rest)
        for key in rest.consumed { _ = attributes.string(key) }
        guard convolution.kernel.count == 2 else {
            throw .unsupported("\(opName) with a \(convolution.kernel.count)-D kernel; FlexEG implements 2-D")
        }
    }

    public func inputNames(inputCount: Int) -> [String] {
        ["data", "offset", "mask", "weight"] + (convolution.noBias ? [] : ["bias"])
    }

    public func inferShapes(_ inputs: [Shape]) throws(OperatorError) -> [Shape] {
        try requireInputCount(inputs, convolution.noBias ? 4 : 5)
        let output = try convolution.inferShapes([inputs[0], inputs[3]] + (convolution.noBias ? [] : [inputs[4]]))[0]
        let taps = convolution.kernel.reduce(1, *)
        let (n, oh, ow) = (inputs[0][0], output[2], output[3])
        guard inputs[0][1] % deformableGroups == 0 else {
            throw .invalidInputs("\(opName): \(inputs[0][1]) channels cannot be split into num_deformable_group=\(deformableGroups)")
        }
        for (index, name, channels) in [(1, "offset", 2 * deformableGroups * taps), (2, "mask", deformableGroups * taps)]
        where inputs[index] != Shape([n, channels, oh, ow]) {
            throw .invalidInputs("\(opName) needs \(name) of shape (\(n), \(channels), \(oh), \(ow)), got \(inputs[index])")
        }
        return [output]
    }

    public func cost(inputs: [Shape], outputs: [Shape]) -> OperatorCost {
        let plain = convolution.cost(inputs: [inputs[0], inputs[3]], outputs: outputs)
        return OperatorCost(flops: plain.flops + Double(inputs[0][1] * inputs[2].elementCount * 12), bytes: plain.bytes)
    }

    public func execute(inputs: [Tensor], outputs: [Tensor]) {
        Reference.modulatedDeformableConvolution(convolution.geometry(data: inputs[0].shape), deformableGroups: deformableGroups,
                                                 input: inputs[0].floats, offset: inputs[1].floats, mask: inputs[2].floats,
                                                 weight: inputs[3].floats, bias: convolution.noBias ? nil : UnsafePointer(inputs[4].floats),
                                                 output: outputs[0].floats)
    }
}
