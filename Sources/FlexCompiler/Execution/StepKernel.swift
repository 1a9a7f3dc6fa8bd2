import FlexGraph
import FlexKernels
import FlexTensor

/// How a compiled step runs: a fast kernel with its weights prepared once and the step's epilogue
/// fused into the kernel (`clamp(result + bias + residual)`), or the operator's own `execute` followed
/// by the epilogue in reference code.
///
/// Immutable after preparation; each run passes scratch memory owned by the calling thread.
enum StepKernel: @unchecked Sendable {
    case reference
    /// `Convolution` (1-D as height 1) on NCHW float32 data.
    case convolution(Fast.PreparedConvolution)
    /// `FullyConnected` (or a 1x1 convolution over 1x1 planes) as the GEMM `data (M × K) · weightᵀ (K × N)`,
    /// the right operand pre-packed.
    case dense(Fast.PackedMatrix, rows: Int)
    /// 2-D max or average `Pooling` of float32 NCHW planes (`Fast.Pooling.run`).
    case pooling(Reference.PoolingKind, Reference.PoolingGeometry)
    /// Max or average pooling of each whole plane to one value (`Fast.Pooling.global`).
    case globalPooling(Reference.PoolingKind, Reference.PoolingGeometry)
    /// An operator whose output holds its input's bytes unchanged (`Flatten`, `Reshape`, `expand_dims`,
    /// `squeeze`, `identity`): a copy, skipped when the memory plan gives both values the same bytes.
    case copy(byteCount: Int)
    /// A residual add step left unfused, `clamp(lhs + rhs)` with the step's epilogue clamp.
    case add(count: Int, activation: Fast.Activation)
    /// A depthwise convolution computed together with the 1x1 convolution step `producer` (an earlier
    /// step of the same part) whose output only it reads; that step is `.deferred`.
    case pointwiseDepthwise(Fast.PointwiseDepthwise, producer: Int)
    /// A step whose work a later `.pointwiseDepthwise` step does.
    case deferred

    var isReference: Bool {
        if case .reference = self { true } else { false }
    }

    var isDeferred: Bool {
        if case .deferred = self { true } else { false }
    }

    /// What runs the step, for profiles: `gemm`, `winograd`, `depthwise`, `gemm-transposed`,
    /// `packed-gemm`, `pooling`, `global-pooling`, `copy`, `add`, `gemm+depthwise`, `fused` or `reference`.
    var label: String {
        switch self {
        case .reference: "reference"
        case .convolution(let prepared): prepared.algorithm.rawValue
        case .dense: "packed-gemm"
        case .pooling: "pooling"
        case .globalPooling: "global-pooling"
        case .copy: "copy"
        case .add: "add"
        case .pointwiseDepthwise: "gemm+depthwise"
        case .deferred: "fused"
        }
    }

    /// Floats of scratch one run needs.
    var scratchCount: Int {
        switch self {
        case .reference, .pooling, .globalPooling, .copy, .add, .deferred: 0
        case .pointwiseDepthwise(let fused, _): fused.scratchCount
        case .convolution(let prepared): prepared.scratchCount
        case .dense(let packed, let rows):
            // The left operand's address does not change the scratch size; only its being unpacked does.
            Self.placeholder.withUnsafeBufferPointer { placeholder in
                Fast.GEMM.scratchCount(m: rows, n: packed.columns, k: packed.rows,
                                       left: .strided(placeholder.baseAddress!, rowStride: packed.rows, columnStride: 1),
                                       right: .packed(packed))
            }
        }
    }

    private static let placeholder: [Float] = [0]

    /// The kernel form of `epilogue` (at most one residual add, then at most one clamp), or nil when
    /// it has another form.
    static func kernelEpilogue(_ epilogue: [EpilogueOp]) -> (addsResidual: Bool, activation: Fast.Activation)? {
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

    /// Whether a fast kernel can run `step` at all (epilogue form, float32 data, output and operands).
    static func isCandidate(_ step: Step, values: [Program.Value]) -> Bool {
        kernelEpilogue(step.epilogue) != nil && step.inputs.count >= 2 && step.outputs.count == 1
            && ([step.inputs[0], step.outputs[0]] + step.epilogue.compactMap(\.operand)).allSatisfy { values[$0].dtype == .float32 }
    }

    /// The fast kernel's geometry for a convolution step, or nil when it cannot run it.
    static func convolutionGeometry(_ step: Step, values: [Program.Value]) -> Reference.ConvolutionGeometry? {
        guard let convolution = step.op as? ConvolutionOperator, isCandidate(step, values: values) else { return nil }
        let data = values[step.inputs[0]].shape
        guard data.rank == convolution.kernel.count + 2 else { return nil }
        let geometry = convolution.geometry(data: data)
        return geometry.problem == nil ? geometry : nil
    }

    /// Whether a convolution is a dense layer in disguise: a 1x1 kernel (stride 1, no padding, one group)
    /// over 1x1 planes, so `output[n][o] = Σ_c weight[o][c] · data[n][c]`. Such a convolution (MobileNet's
    /// classifier) runs as `FullyConnected` does, with the weight packed as the GEMM's right operand.
    static func isDenseConvolution(_ g: Reference.ConvolutionGeometry) -> Bool {
        g.groups == 1 && g.kernelHeight == 1 && g.kernelWidth == 1 && g.strideHeight == 1 && g.strideWidth == 1
            && g.padHeight == 0 && g.padWidth == 0 && g.inputHeight == 1 && g.inputWidth == 1
    }

    /// Chooses and prepares the kernel for `step`; `weight(id)` gives a constant operand's stored form.
    /// Returns `.reference` when no fast kernel applies or a stored packed weight does not fit.
    static func prepare(_ step: Step, values: [Program.Value], weight: (ValueID) -> ArtifactWeight?) -> StepKernel {
        if let geometry = convolutionGeometry(step, values: values) {
            switch weight(step.inputs[1]) {
            case .dense(let tensor)?:
                return .convolution(Fast.PreparedConvolution(geometry: geometry, weights: tensor.floats, target: .active))
            case .packed(let packed)?:
                guard isDenseConvolution(geometry), packed.role == .right, packed.rows == geometry.inputChannels,
                      packed.columns == geometry.outputChannels else { return .reference }
                return .dense(packed, rows: geometry.batch)
            case .convolution(let algorithm, let matrices)?:
                guard let prepared = try? Fast.PreparedConvolution(geometry: geometry, algorithm: algorithm, packedWeights: matrices) else {
                    return .reference
                }
                return .convolution(prepared)
            default:
                return .reference
            }
        }
        if let dense = step.op as? FullyConnectedOperator, isCandidate(step, values: values), case .packed(let packed)? = weight(step.inputs[1]) {
            let (rows, features) = dense.matrixShape(data: values[step.inputs[0]].shape)
            guard packed.role == .right, packed.rows == features, packed.columns == dense.numHidden else { return .reference }
            return .dense(packed, rows: rows)
        }
        return elementwiseKernel(step, values: values) ?? .reference
    }

    /// The kernel of a step without weights (pooling, views, an unfused add), or nil.
    static func elementwiseKernel(_ step: Step, values: [Program.Value]) -> StepKernel? {
        guard step.outputs.count == 1, !step.inputs.isEmpty,
              ([step.outputs[0]] + step.inputs).allSatisfy({ values[$0].dtype == .float32 }) else { return nil }
        let input = values[step.inputs[0]], output = values[step.outputs[0]]
        if let pooling = step.op as? PoolingOperator, step.epilogue.isEmpty, input.shape.rank >= 3 {
            let geometry = pooling.geometry(data: input.shape, output: output.shape)
            if Fast.Pooling.isGlobal(pooling.kind, geometry) { return .globalPooling(pooling.kind, geometry) }
            if Fast.Pooling.supports(pooling.kind, geometry) { return .pooling(pooling.kind, geometry) }
            return nil
        }
        if isView(step.op), step.epilogue.isEmpty, step.inputs.count == 1, input.byteCount == output.byteCount {
            return .copy(byteCount: output.byteCount)
        }
        if EpilogueFusion.addNames.contains(step.opName), step.inputs.count == 2, values[step.inputs[1]].dtype == .float32,
           input.shape == output.shape, values[step.inputs[1]].shape == output.shape,
           let form = kernelEpilogue(step.epilogue), !form.addsResidual {
            return .add(count: output.shape.elementCount, activation: form.activation)
        }
        return nil
    }

    /// Operators whose single output is their input's bytes in the same order.
    static func isView(_ op: any Operator) -> Bool {
        op is FlattenOperator || op is ReshapeOperator || op is ExpandDimsOperator || op is SqueezeOperator || op is IdentityOperator
    }

    /// What `prepare` would choose, without preparing anything: `gemm`, `winograd`, `depthwise`
    /// (convolutions), `packed-gemm` (dense layers) or `reference`.
    static func name(for step: Step, values: [Program.Value], weight: (ValueID) -> ArtifactWeight?) -> String {
        if let geometry = convolutionGeometry(step, values: values) {
            switch weight(step.inputs[1]) {
            case .dense?: return Fast.PreparedConvolution.preferredAlgorithm(for: geometry, target: .active).rawValue
            case .convolution(let algorithm, _)?: return algorithm.rawValue
            case .packed?: return isDenseConvolution(geometry) ? "packed-gemm" : "reference"
            default: return "reference"
            }
        }
        if step.op is FullyConnectedOperator, isCandidate(step, values: values), case .packed? = weight(step.inputs[1]) { return "packed-gemm" }
        switch elementwiseKernel(step, values: values) {
        case .pooling?: return "pooling"
        case .globalPooling?: return "global-pooling"
        case .copy?: return "copy"
        case .add?: return "add"
        default: return "reference"
        }
    }

    /// Runs `step` on tensors of its inferred shapes. `scratch` holds at least `scratchCount` floats.
    func run(_ step: Step, inputs: [Tensor], outputs: [Tensor], epilogueOperands: [Tensor?], scratch: UnsafeMutablePointer<Float>?) {
        switch self {
        case .reference:
            StepExecution.run(step, inputs: inputs, outputs: outputs, epilogueOperands: epilogueOperands)
        case .convolution(let prepared):
            prepared.run(input: inputs[0].floats, output: outputs[0].floats,
                         epilogue: epilogue(step, inputs: inputs, operands: epilogueOperands, biasAxis: .rows, rowStride: 0),
                         scratch: scratch)
        case .dense(let packed, let rows):
            let features = packed.rows, hidden = packed.columns
            Fast.GEMM.multiply(m: rows, n: hidden, k: features,
                               left: .strided(inputs[0].floats, rowStride: features, columnStride: 1), right: .packed(packed),
                               output: outputs[0].floats, outputRowStride: hidden,
                               epilogue: epilogue(step, inputs: inputs, operands: epilogueOperands, biasAxis: .columns, rowStride: hidden),
                               scratch: scratch!)
        case .pooling(let kind, let geometry):
            Fast.Pooling.run(kind, geometry, input: inputs[0].floats, output: outputs[0].floats)
        case .globalPooling(let kind, let geometry):
            Fast.Pooling.global(kind, geometry, input: inputs[0].floats, output: outputs[0].floats)
        case .copy(let byteCount):
            if inputs[0].rawPointer != UnsafeRawPointer(outputs[0].rawPointer) {
                outputs[0].rawPointer.copyMemory(from: inputs[0].rawPointer, byteCount: byteCount)
            }
        case .add(let count, let activation):
            Fast.Elementwise.add(inputs[0].floats, inputs[1].floats, output: outputs[0].floats, count: count)
            if activation != .identity {
                Fast.Elementwise.activation(activation, input: outputs[0].floats, output: outputs[0].floats, count: count)
            }
        case .pointwiseDepthwise, .deferred:
            preconditionFailure("fused steps run through runFused")
        }
    }

    /// Runs a `.pointwiseDepthwise` step: `producer` and `producerInputs` are the 1x1 convolution step and
    /// its tensors; `step`, `inputs`, `outputs` and `epilogueOperands` the depthwise one's.
    func runFused(_ step: Step, inputs: [Tensor], outputs: [Tensor], epilogueOperands: [Tensor?], producer: Step,
                  producerInputs: [Tensor], scratch: UnsafeMutablePointer<Float>?) {
        guard case .pointwiseDepthwise(let fused, _) = self else { preconditionFailure("not a fused step") }
        fused.run(input: producerInputs[0].floats, output: outputs[0].floats,
                  pointwiseEpilogue: epilogue(producer, inputs: producerInputs, operands: [], biasAxis: .rows, rowStride: 0),
                  depthwiseEpilogue: epilogue(step, inputs: inputs, operands: epilogueOperands, biasAxis: .rows, rowStride: 0),
                  scratch: scratch!)
    }

    /// `.pointwiseDepthwise` for two consecutive convolution steps when the first is a 1x1 convolution
    /// without a residual whose output only the second, a depthwise convolution, reads, and that output
    /// reaches `Fast.PointwiseDepthwise.fusionThreshold` per image; nil otherwise.
    static func fusing(_ first: StepKernel, _ firstStep: Step, into second: StepKernel, _ secondStep: Step, producer: Int) -> StepKernel? {
        guard case .convolution(let pointwise) = first, case .convolution(let depthwise) = second,
              firstStep.outputs.count == 1, secondStep.inputs.first == firstStep.outputs[0],
              kernelEpilogue(firstStep.epilogue)?.addsResidual == false,
              pointwise.geometry.outputImageCount * MemoryLayout<Float>.size >= Fast.PointwiseDepthwise.fusionThreshold,
              let fused = Fast.PointwiseDepthwise(pointwise: pointwise, depthwise: depthwise) else { return nil }
        return .pointwiseDepthwise(fused, producer: producer)
    }

    private func epilogue(_ step: Step, inputs: [Tensor], operands: [Tensor?], biasAxis: Fast.Epilogue.BiasAxis, rowStride: Int) -> Fast.Epilogue {
        let form = Self.kernelEpilogue(step.epilogue)!
        let residual = form.addsResidual ? operands[0].map { UnsafePointer($0.floats) } : nil
        return Fast.Epilogue(bias: inputs.count > 2 ? UnsafePointer(inputs[2].floats) : nil, biasAxis: biasAxis,
                             residual: residual, residualRowStride: rowStride, activation: form.activation)
    }
}
