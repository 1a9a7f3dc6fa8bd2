import FlexGraph
import FlexKernels

/// Facts about a step that decide which fast kernels could run it: the same for the compiler choosing
/// a kernel and for the execution layer restoring the one it chose. Nothing here chooses.
extension Step {
    /// Operator names of an elementwise add (what `EpilogueFusion` fuses as a residual).
    public static let addNames: Set<String> = ["elemwise_add", "_plus", "_add", "_Plus", "broadcast_add", "broadcast_plus"]

    /// The kernel form of `epilogue` (at most one residual add, then at most one clamp), or nil when it
    /// has another form.
    public static func kernelEpilogue(_ epilogue: [EpilogueOp]) -> (addsResidual: Bool, activation: Fast.Activation)? {
        var rest = epilogue[...]
        var addsResidual = false
        if case .add = rest.first {
            addsResidual = true
            rest = rest.dropFirst()
        }
        guard rest.count <= 1 else { return nil }
        switch rest.first {
        case nil: return (addsResidual, .identity)
        case .activation(.relu): return (addsResidual, .relu)
        case .clip(let low, let high): return (addsResidual, low == 0 && high == 6 ? .relu6 : .clip(lower: low, upper: high))
        default: return nil
        }
    }

    /// Whether a weighted fast kernel (convolution, dense) could run the step: kernel-form epilogue,
    /// data, weight and output present, float32 data, output and epilogue operands.
    public func isFastCandidate(values: [Program.Value]) -> Bool {
        Self.kernelEpilogue(epilogue) != nil && inputs.count >= 2 && outputs.count == 1
            && ([inputs[0], outputs[0]] + epilogue.compactMap(\.operand)).allSatisfy { values[$0].dtype == .float32 }
    }

    /// The fast kernels' geometry for a convolution step (1-D as height 1), or nil when the step is not a
    /// 1-D or 2-D convolution a fast kernel can run (3-D ones have `volumeConvolutionGeometry`).
    public func convolutionGeometry(values: [Program.Value]) -> Reference.ConvolutionGeometry? {
        guard let convolution = op as? ConvolutionOperator, isFastCandidate(values: values) else { return nil }
        let data = values[inputs[0]].shape
        guard convolution.kernel.count <= 2, data.rank == convolution.kernel.count + 2 else { return nil }
        let geometry = convolution.geometry(data: data)
        return geometry.problem == nil ? geometry : nil
    }

    /// The fast 3-D kernel's geometry for a convolution step over NCDHW data, or nil when the step is not
    /// a 3-D convolution `Fast.VolumeConvolution` can run.
    public func volumeConvolutionGeometry(values: [Program.Value]) -> Reference.VolumeConvolutionGeometry? {
        guard let convolution = op as? ConvolutionOperator, convolution.kernel.count == 3, isFastCandidate(values: values),
              values[inputs[1]].dtype == .float32 else { return nil }
        let data = values[inputs[0]].shape
        guard data.rank == 5 else { return nil }
        let geometry = convolution.volumeGeometry(data: data)
        return Fast.VolumeConvolution.supports(geometry) ? geometry : nil
    }

    /// Whether a convolution is a dense layer in disguise: a 1x1 kernel (stride 1, no padding, one group)
    /// over 1x1 planes, so `output[n][o] = Σ_c weight[o][c] · data[n][c]` (MobileNet's classifier).
    public static func isDenseConvolution(_ g: Reference.ConvolutionGeometry) -> Bool {
        g.groups == 1 && g.kernelHeight == 1 && g.kernelWidth == 1 && g.strideHeight == 1 && g.strideWidth == 1
            && g.padHeight == 0 && g.padWidth == 0 && g.inputHeight == 1 && g.inputWidth == 1
    }

    /// Operators whose single output is their input's bytes in the same order.
    public static func isView(_ op: any Operator) -> Bool {
        op is FlattenOperator || op is ReshapeOperator || op is ExpandDimsOperator || op is SqueezeOperator || op is IdentityOperator
    }

    /// Whether the step's operator, its output and its inputs are float32 with one output (what the
    /// weightless fast kernels, pooling, copies and adds, need).
    public func isFloat32SingleOutput(values: [Program.Value]) -> Bool {
        outputs.count == 1 && !inputs.isEmpty && ([outputs[0]] + inputs).allSatisfy { values[$0].dtype == .float32 }
    }
}

extension Step {
    /// The step's operator cost plus its epilogue's, counting convolutions at their direct FLOPs.
    public func directCost(values: [Program.Value]) -> OperatorCost {
        let op = operatorCost(values: values), epilogue = epilogueCost(values: values)
        return OperatorCost(flops: op.flops + epilogue.flops, bytes: op.bytes + epilogue.bytes)
    }

    /// The operator's own cost on the step's shapes.
    public func operatorCost(values: [Program.Value]) -> OperatorCost {
        op.cost(inputs: inputs.map { values[$0].shape }, outputs: outputs.map { values[$0].shape })
    }

    /// The fused epilogue's cost: one flop per output element per operation; a fused add also reads its operand.
    public func epilogueCost(values: [Program.Value]) -> OperatorCost {
        var cost = OperatorCost(flops: 0, bytes: 0)
        guard let first = outputs.first else { return cost }
        let value = values[first]
        for operation in epilogue {
            cost.flops += Double(value.shape.elementCount)
            if operation.operand != nil { cost.bytes += Double(value.byteCount) }
        }
        return cost
    }
}
