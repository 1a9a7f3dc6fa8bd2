import FlexArtifact
import FlexGraph
import FlexKernels

/// The one place that chooses kernels: which convolution algorithm runs a geometry on a target
/// instruction set, and which kernel runs each step given how its weight is stored. The choices are
/// recorded in the artifact (`KernelChoice`); loading only restores them.
enum KernelSelection {
    /// The algorithm expected to be fastest for `geometry` among those that run entirely at `target`
    /// (none of their pieces falling to portable C there; see `Algorithm.instructionSet(running:)`).
    static func algorithm(for geometry: Reference.ConvolutionGeometry, target: Fast.InstructionSet) -> Fast.PreparedConvolution.Algorithm {
        Fast.PreparedConvolution.preferredAlgorithm(for: geometry, target: target)
    }

    /// The kernel for `step`, whose constant operands are stored as `weight(id)` says (packing has run).
    static func choose(_ step: Step, values: [Program.Value], weight: (ValueID) -> ArtifactWeight?,
                       target: Fast.InstructionSet) -> KernelChoice {
        if let geometry = step.convolutionGeometry(values: values) {
            switch weight(step.inputs[1]) {
            case .dense(let tensor)?:
                // Only depthwise filters run from MXNet's layout; any other dense convolution weight was
                // left unpacked (read by steps that disagree on its layout) and runs in reference code.
                return tensor.dtype == .float32 && algorithm(for: geometry, target: target) == .depthwise
                    ? .convolution(.depthwise) : .reference
            case .packed(let packed)?:
                return Step.isDenseConvolution(geometry) && packed.role == .right && packed.rows == geometry.inputChannels
                    && packed.columns == geometry.outputChannels ? .dense : .reference
            case .convolution(let algorithm, _)?:
                return .convolution(algorithm)
            case nil:
                return .reference
            }
        }
        if step.volumeConvolutionGeometry(values: values) != nil {
            if case .dense(let tensor)? = weight(step.inputs[1]), tensor.dtype == .float32 { return .volumeConvolution }
            return .reference
        }
        if let dense = step.op as? FullyConnectedOperator, step.isFastCandidate(values: values), case .packed(let packed)? = weight(step.inputs[1]) {
            let (_, features) = dense.matrixShape(data: values[step.inputs[0]].shape)
            return packed.role == .right && packed.rows == features && packed.columns == dense.numHidden ? .dense : .reference
        }
        return weightlessKernel(step, values: values) ?? .reference
    }

    /// The kernel of a step without packed weights (pooling, views, an unfused add, the transformer
    /// block's softmax, LayerNorm, GELU and attention products, recurrent layers, adaptive pooling,
    /// bilinear resize, GroupNorm), or nil: the first of `PreparedKernel.weightlessChoices` that runs it.
    static func weightlessKernel(_ step: Step, values: [Program.Value]) -> KernelChoice? {
        PreparedKernel.weightlessChoices.first { PreparedKernel.weightlessKernel($0, step, values: values) != nil }
    }

    /// Whether a 1x1 convolution (`first`, restored as `pointwise`) whose output only the depthwise
    /// convolution `second` reads should run inside it band by band: no residual on the first, and an
    /// output of at least `Fast.PointwiseDepthwise.fusionThreshold` bytes per image.
    static func fuses(_ pointwise: PreparedKernel, _ first: Step, into depthwise: PreparedKernel, _ second: Step) -> Bool {
        guard case .convolution(let p) = pointwise, case .convolution(let d) = depthwise,
              first.outputs.count == 1, second.inputs.first == first.outputs[0],
              Step.kernelEpilogue(first.epilogue)?.addsResidual == false,
              p.geometry.outputImageCount * MemoryLayout<Float>.size >= Fast.PointwiseDepthwise.fusionThreshold else { return false }
        return Fast.PointwiseDepthwise(pointwise: p, depthwise: d) != nil
    }
}
