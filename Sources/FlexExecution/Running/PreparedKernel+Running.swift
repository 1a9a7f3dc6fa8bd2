import FlexArtifact
import FlexGraph
import FlexKernels
import FlexTensor

/// The leading samples of a batch a sample-wise step computes for a short batch: `count` of `batch`.
struct LeadingSamples {
    let count: Int
    let batch: Int

    /// `whole` (elements, rows or planes of the whole batch; a multiple of `batch`) for `count` samples.
    func of(_ whole: Int) -> Int { whole / batch * count }
}

/// Running a restored kernel on a step's bound tensors: the fast kernel with the step's epilogue fused
/// (`clamp(result + bias + residual)`), or the operator's own `execute` followed by the epilogue in
/// reference code. Runs on the calling thread with scratch it owns.
extension PreparedKernel {
    /// Runs `step` on tensors of its inferred shapes. `scratch` holds at least `scratchCount` floats.
    /// `samples`, for a sample-wise step whose values all lead with the batch: compute only those leading
    /// samples where the kernel can (convolutions, dense layers, pooling, copies, adds; others compute the
    /// whole batch), leaving the rest of the outputs as they were.
    func run(_ step: Step, inputs: [Tensor], outputs: [Tensor], epilogueOperands: [Tensor?], scratch: UnsafeMutablePointer<Float>?,
             samples: LeadingSamples? = nil) {
        switch self {
        case .reference:
            step.execute(inputs: inputs, outputs: outputs, epilogueOperands: epilogueOperands)
        case .convolution(let prepared):
            prepared.run(input: inputs[0].floats, output: outputs[0].floats,
                         epilogue: epilogue(step, inputs: inputs, operands: epilogueOperands, biasAxis: .rows, rowStride: 0),
                         scratch: scratch, images: samples?.count)
        case .volumeConvolution(let volume):
            volume.run(input: inputs[0].floats, output: outputs[0].floats,
                       epilogue: epilogue(step, inputs: inputs, operands: epilogueOperands, biasAxis: .rows, rowStride: 0),
                       scratch: scratch!)
        case .dense(let packed, let rows):
            let features = packed.rows, hidden = packed.columns
            Fast.GEMM.multiply(m: samples?.of(rows) ?? rows, n: hidden, k: features,
                               left: .strided(inputs[0].floats, rowStride: features, columnStride: 1), right: .packed(packed),
                               output: outputs[0].floats, outputRowStride: hidden,
                               epilogue: epilogue(step, inputs: inputs, operands: epilogueOperands, biasAxis: .columns, rowStride: hidden),
                               scratch: scratch!)
        case .pooling(let kind, var geometry) where Fast.Pooling.supportsVolume(kind, geometry):
            geometry.planes = samples?.of(geometry.planes) ?? geometry.planes
            Fast.Pooling.runVolume(kind, geometry, input: inputs[0].floats, output: outputs[0].floats, scratch: scratch!)
        case .pooling(let kind, var geometry):
            geometry.planes = samples?.of(geometry.planes) ?? geometry.planes
            Fast.Pooling.run(kind, geometry, input: inputs[0].floats, output: outputs[0].floats)
        case .globalPooling(let kind, var geometry):
            geometry.planes = samples?.of(geometry.planes) ?? geometry.planes
            Fast.Pooling.global(kind, geometry, input: inputs[0].floats, output: outputs[0].floats)
        case .copy(let byteCount):
            if inputs[0].rawPointer != UnsafeRawPointer(outputs[0].rawPointer) {
                outputs[0].rawPointer.copyMemory(from: inputs[0].rawPointer, byteCount: samples?.of(byteCount) ?? byteCount)
            }
        case .add(let count, let activation):
            let count = samples?.of(count) ?? count
            Fast.Elementwise.add(inputs[0].floats, inputs[1].floats, output: outputs[0].floats, count: count)
            if activation != .identity {
                Fast.Elementwise.activation(activation, input: outputs[0].floats, output: outputs[0].floats, count: count)
            }
        case .softmax(let rows, let width, let temperature, let usesLength):
            var lengths: UnsafeMutablePointer<Int32>?
            if usesLength {
                let valid = UnsafeMutableRawPointer(scratch!).bindMemory(to: Int32.self, capacity: rows)
                for row in 0..<rows { valid[row] = SoftmaxOperator.validLength(inputs[1].element(at: row)) }
                lengths = valid
            }
            Fast.Transformer.softmaxRows(input: inputs[0].floats, output: outputs[0].floats, rows: rows, width: width,
                                         validLengths: lengths, temperature: temperature)
        case .layerNorm(let rows, let width, let epsilon):
            Fast.Transformer.layerNormRows(input: inputs[0].floats, output: outputs[0].floats, rows: rows, width: width,
                                           gamma: inputs[1].floats, beta: inputs[2].floats, epsilon: epsilon)
        case .gelu(let count):
            Fast.Transformer.gelu(input: inputs[0].floats, output: outputs[0].floats, count: count)
        case .attention(let attention):
            attention.run(first: inputs[0].floats, second: (inputs.count > 1 ? inputs[1] : inputs[0]).floats,
                          output: outputs[0].floats, scratch: scratch!)
        case .rnn(let rnn):
            // An empty begin state stands for zeros (RNNOperator); outputs 1 and 2 are the end states.
            func begin(_ index: Int) -> UnsafePointer<Float>? {
                index < inputs.count && inputs[index].elementCount > 0 ? UnsafePointer(inputs[index].floats) : nil
            }
            rnn.run(data: inputs[0].floats, parameters: inputs[1].floats, state: begin(2),
                    cell: rnn.mode == .lstm ? begin(3) : nil, output: outputs[0].floats,
                    finalState: outputs.count > 1 ? outputs[1].floats : nil,
                    finalCell: outputs.count > 2 ? outputs[2].floats : nil, scratch: scratch!)
        case .adaptivePooling(let pooling):
            pooling.run(input: inputs[0].floats, output: outputs[0].floats, scratch: scratch!)
        case .bilinearResize(let resize):
            resize.run(input: inputs[0].floats, output: outputs[0].floats, scratch: scratch!)
        case .groupNorm(let norm):
            norm.run(input: inputs[0].floats, gamma: inputs[1].floats, beta: inputs[2].floats, output: outputs[0].floats,
                     savedMean: outputs.count > 2 ? outputs[1].floats : nil, savedStd: outputs.count > 2 ? outputs[2].floats : nil)
        case .pointwiseDepthwise, .deferred:
            preconditionFailure("fused steps run through runFused")
        }
    }

    /// Runs a `.pointwiseDepthwise` step: `producer` and `producerInputs` are the 1x1 convolution step and
    /// its tensors; `step`, `inputs`, `outputs` and `epilogueOperands` the depthwise one's.
    func runFused(_ step: Step, inputs: [Tensor], outputs: [Tensor], epilogueOperands: [Tensor?], producer: Step,
                  producerInputs: [Tensor], scratch: UnsafeMutablePointer<Float>?, samples: LeadingSamples? = nil) {
        guard case .pointwiseDepthwise(let fused, _) = self else { preconditionFailure("not a fused step") }
        fused.run(input: producerInputs[0].floats, output: outputs[0].floats,
                  pointwiseEpilogue: epilogue(producer, inputs: producerInputs, operands: [], biasAxis: .rows, rowStride: 0),
                  depthwiseEpilogue: epilogue(step, inputs: inputs, operands: epilogueOperands, biasAxis: .rows, rowStride: 0),
                  scratch: scratch!, images: samples?.count)
    }

    private func epilogue(_ step: Step, inputs: [Tensor], operands: [Tensor?], biasAxis: Fast.Epilogue.BiasAxis, rowStride: Int) -> Fast.Epilogue {
        let form = Step.kernelEpilogue(step.epilogue)!
        let residual = form.addsResidual ? operands[0].map { UnsafePointer($0.floats) } : nil
        return Fast.Epilogue(bias: inputs.count > 2 ? UnsafePointer(inputs[2].floats) : nil, biasAxis: biasAxis,
                             residual: residual, residualRowStride: rowStride, activation: form.activation)
    }
}
