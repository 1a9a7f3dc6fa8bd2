import FlexGraph
import FlexKernels
import FlexTensor

/// A step's recorded `KernelChoice` restored as a kernel object over the artifact's stored weights:
/// packed and transformed weights are referenced, never repacked or copied (a depthwise convolution
/// reads the artifact's own dense filters). The compiler restores kernels to size scratch when it
/// plans a part; the execution layer restores them to run it.
///
/// Immutable; shareable between threads (each run passes scratch owned by the calling thread).
package enum PreparedKernel: @unchecked Sendable {
    case reference
    case convolution(Fast.PreparedConvolution)
    /// A 3-D convolution reading the artifact's dense weight.
    case volumeConvolution(Fast.VolumeConvolution)
    /// The GEMM `data (rows × packed.rows) · packed (packed.rows × packed.columns)`.
    case dense(Fast.PackedMatrix, rows: Int)
    case pooling(Reference.PoolingKind, Reference.PoolingGeometry)
    case globalPooling(Reference.PoolingKind, Reference.PoolingGeometry)
    case copy(byteCount: Int)
    case add(count: Int, activation: Fast.Activation)
    case pointwiseDepthwise(Fast.PointwiseDepthwise, producer: Int)
    case deferred
    /// Softmax over `rows` rows of `width` (the last axis); `usesLength` reads the step's second input.
    case softmax(rows: Int, width: Int, temperature: Float, usesLength: Bool)
    /// LayerNorm over `rows` rows of `width` (the last axis), gamma and beta the step's inputs 1 and 2.
    case layerNorm(rows: Int, width: Int, epsilon: Float)
    case gelu(count: Int)
    case attention(Fast.Transformer.Attention)
    case rnn(Fast.RNN)
    case adaptivePooling(Fast.AdaptiveAveragePooling)
    case bilinearResize(Fast.BilinearResize)
    /// GroupNorm; gamma and beta are the step's inputs 1 and 2, mean and std its outputs 1 and 2 when it has them.
    case groupNorm(Fast.GroupNormalization)

    package var isDeferred: Bool {
        if case .deferred = self { true } else { false }
    }

    /// The stored weight bytes the kernel reads, where it reads them (none for reference code, which
    /// reads its step's dense weight tensors).
    package var weightRegions: [UnsafeRawBufferPointer] {
        switch self {
        case .convolution(let prepared): prepared.weightRegions
        case .volumeConvolution(let volume): [volume.weightRegion]
        case .dense(let packed, _): [packed.packedBytes]
        case .pointwiseDepthwise(let fused, _): fused.pointwise.weightRegions + fused.depthwise.weightRegions
        case .reference, .pooling, .globalPooling, .copy, .add, .deferred, .softmax, .layerNorm, .gelu, .attention, .rnn,
             .adaptivePooling, .bilinearResize, .groupNorm: []
        }
    }

    /// The instruction set the kernel's slowest piece runs at when the process uses `active`; nil for
    /// Swift code (reference operators, copies, fused-away steps).
    package func instructionSet(running active: Fast.InstructionSet) -> Fast.InstructionSet? {
        switch self {
        case .convolution(let prepared): prepared.algorithm.instructionSet(running: active)
        case .dense, .pointwiseDepthwise, .volumeConvolution: active
        case .pooling, .globalPooling: Fast.Pooling.instructionSet(running: active)
        case .add: Fast.Elementwise.instructionSet(running: active)
        case .softmax, .layerNorm, .gelu, .attention, .rnn: active
        case .adaptivePooling, .bilinearResize, .groupNorm: Fast.planeKernelsInstructionSet(running: active)
        case .reference, .copy, .deferred: nil
        }
    }

    /// Floats of scratch one run needs.
    package var scratchCount: Int {
        switch self {
        case .reference, .globalPooling, .copy, .add, .deferred, .layerNorm, .gelu, .groupNorm: 0
        case .adaptivePooling(let pooling): pooling.scratchCount
        case .bilinearResize(let resize): resize.scratchCount
        // One Int32 valid length per row, in scratch.
        case .softmax(let rows, _, _, let usesLength): usesLength ? rows : 0
        case .attention(let attention): attention.scratchCount
        case .rnn(let rnn): rnn.scratchCount
        case .pooling(let kind, let geometry): Fast.Pooling.supportsVolume(kind, geometry) ? Fast.Pooling.volumeScratchCount(geometry) : 0
        case .pointwiseDepthwise(let fused, _): fused.scratchCount
        case .convolution(let prepared): prepared.scratchCount
        case .volumeConvolution(let volume): volume.scratchCount
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

    /// Restores the kernels of a part's steps (`steps`, in order) for `choices`, seeing `values` (the
    /// part's prefix steps see one sample's shapes: pass `valuesForStep`). Throws `ArtifactError.inconsistent`
    /// naming the step when a choice does not fit its step or stored weight.
    package static func restore(_ choices: [KernelChoice], steps: [Step], valuesForStep: (Int) -> [Program.Value],
                               weight: (ValueID) -> ArtifactWeight?) throws(ArtifactError) -> [PreparedKernel] {
        var kernels: [PreparedKernel] = []
        for (position, (choice, step)) in zip(choices, steps).enumerated() {
            let values = valuesForStep(position)
            if case .pointwiseDepthwise(let producer) = choice {
                guard producer < position, choices[producer].isDeferred,
                      case .convolution(let pointwise) = try restore(.convolution(.gemm), steps[producer], values: valuesForStep(producer), weight: weight),
                      case .convolution(let depthwise) = try restore(.convolution(.depthwise), step, values: values, weight: weight),
                      let fused = Fast.PointwiseDepthwise(pointwise: pointwise, depthwise: depthwise) else {
                    throw .inconsistent("step '\(step.name)' is recorded as fused with step \(producer) of its part, which it cannot be")
                }
                kernels.append(.pointwiseDepthwise(fused, producer: producer))
            } else {
                kernels.append(try restore(choice, step, values: values, weight: weight))
            }
        }
        for (position, choice) in choices.enumerated() where choice.isDeferred {
            guard choices[(position + 1)...].contains(.pointwiseDepthwise(producer: position)) else {
                throw .inconsistent("step '\(steps[position].name)' is recorded as fused into a later step, but none computes it")
            }
        }
        return kernels
    }

    /// The kernel `choice` names for `step` (not `.pointwiseDepthwise`, which `restore(_:steps:…)` pairs).
    static func restore(_ choice: KernelChoice, _ step: Step, values: [Program.Value],
                        weight: (ValueID) -> ArtifactWeight?) throws(ArtifactError) -> PreparedKernel {
        func mismatch(_ why: String) -> ArtifactError {
            let stored = step.inputs.count > 1 && weight(step.inputs[1]) != nil ? " (its weight '\(values[step.inputs[1]].name)' is stored for that kernel)" : ""
            return .inconsistent("step '\(step.name)' (\(step.opName)) is recorded to run \(choice.label)\(stored), but \(why)")
        }
        switch choice {
        case .reference:
            return .reference
        case .deferred:
            return .deferred
        case .convolution(let algorithm):
            guard let geometry = step.convolutionGeometry(values: values) else { throw mismatch("it is not a convolution a fast kernel runs") }
            switch (algorithm, weight(step.inputs[1])) {
            case (.depthwise, .dense(let tensor)?):
                guard Fast.PreparedConvolution.supports(.depthwise, geometry: geometry), tensor.dtype == .float32 else {
                    throw mismatch("its geometry is not depthwise")
                }
                return .convolution(Fast.PreparedConvolution(depthwise: geometry, filters: tensor.buffer, byteOffset: tensor.byteOffset))
            case (_, .convolution(let stored, let matrices)?) where stored == algorithm:
                do {
                    return .convolution(try Fast.PreparedConvolution(geometry: geometry, algorithm: algorithm, packedWeights: matrices))
                } catch {
                    throw mismatch("its stored weights do not fit: \(error)")
                }
            default:
                throw mismatch("its weight is not stored prepared for \(algorithm.rawValue)")
            }
        case .volumeConvolution:
            guard let geometry = step.volumeConvolutionGeometry(values: values), case .dense(let tensor)? = weight(step.inputs[1]),
                  tensor.dtype == .float32, tensor.shape == values[step.inputs[1]].shape else {
                throw mismatch("it is not a 3-D convolution with a dense float32 weight")
            }
            return .volumeConvolution(Fast.VolumeConvolution(geometry: geometry, weights: tensor.buffer, byteOffset: tensor.byteOffset))
        case .dense:
            guard step.isFastCandidate(values: values), case .packed(let packed)? = weight(step.inputs[1]), packed.role == .right else {
                throw mismatch("its weight is not stored as a packed GEMM operand")
            }
            let rows: Int
            if let geometry = step.convolutionGeometry(values: values) {
                guard Step.isDenseConvolution(geometry), packed.rows == geometry.inputChannels, packed.columns == geometry.outputChannels else {
                    throw mismatch("it is not a 1x1 convolution over 1x1 planes of the packed weight's size")
                }
                rows = geometry.batch
            } else if let dense = step.op as? FullyConnectedOperator {
                let (matrixRows, features) = dense.matrixShape(data: values[step.inputs[0]].shape)
                guard packed.rows == features, packed.columns == dense.numHidden else {
                    throw mismatch("the packed weight is \(packed.rows)x\(packed.columns), the layer needs \(features)x\(dense.numHidden)")
                }
                rows = matrixRows
            } else {
                throw mismatch("it is neither FullyConnected nor a convolution")
            }
            return .dense(packed, rows: rows)
        case .pointwiseDepthwise:
            throw mismatch("a fused step is restored with its producer")
        case .pooling, .globalPooling, .copy, .add, .softmax, .layerNorm, .gelu, .attention, .rnn, .adaptivePooling, .bilinearResize, .groupNorm:
            guard let kernel = weightlessKernel(choice, step, values: values) else {
                throw mismatch("it is not a float32 \(choice.label) step the fast kernel runs")
            }
            return kernel
        }
    }
}
