import FlexGraph
import FlexKernels

extension PreparedKernel {
    /// The fast kernels without stored weights that `weightlessKernel` decides, in the order selection tries them
    /// (whole-plane pooling before the windowed kind, which also covers it).
    package static let weightlessChoices: [KernelChoice] = [
        .globalPooling, .pooling, .copy, .add,
        .softmax, .layerNorm, .gelu, .attention, .rnn, .adaptivePooling, .bilinearResize, .groupNorm,
    ]

    /// The fast kernel `choice` (one of `weightlessChoices`) for `step`, or nil when the step is not one it
    /// runs: float32 data and outputs, no epilogue (but an add's activation); pooling on rank-3+ data in a
    /// geometry the C kernels take; a view as a byte copy; a same-shape add without residual; softmax and
    /// LayerNorm along the last axis with a single output; the plane kernels on non-empty NCHW data. The
    /// one place that decides which such steps run fast: `KernelSelection` asks it, and restoring an
    /// artifact checks each recorded choice with it.
    package static func weightlessKernel(_ choice: KernelChoice, _ step: Step, values: [Program.Value]) -> PreparedKernel? {
        switch choice {
        case .globalPooling, .pooling, .copy, .add: return dataMovementKernel(choice, step, values: values)
        default: break
        }
        guard step.epilogue.isEmpty, !step.inputs.isEmpty, !step.outputs.isEmpty else { return nil }
        // Every tensor float32, but softmax's `use_length` lengths (its second input), of any numeric type.
        let floatTensors = choice == .softmax ? [step.inputs[0]] + step.outputs : step.inputs + step.outputs
        guard floatTensors.allSatisfy({ values[$0].dtype == .float32 }) else { return nil }
        let data = values[step.inputs[0]].shape
        switch choice {
        case .rnn:
            guard let recurrent = step.op as? RNNOperator, let rnn = recurrent.fastRNN(data: data) else { return nil }
            return .rnn(rnn)
        case .groupNorm:
            guard let norm = step.op as? GroupNormOperator, step.inputs.count == 3, data.rank >= 2, data.elementCount > 0 else { return nil }
            let count = data[0] * norm.groups
            return .groupNorm(Fast.GroupNormalization(count: count, size: data.elementCount / count, groups: norm.groups, epsilon: norm.eps))
        default:
            break
        }
        guard step.outputs.count == 1, data.elementCount > 0 else { return nil }
        let output = values[step.outputs[0]].shape
        switch choice {
        case .softmax:
            guard let softmax = step.op as? SoftmaxOperator, softmax.variant == .softmax, data.rank >= 1,
                  softmax.axis == -1 || softmax.axis == data.rank - 1 else { return nil }
            let width = data[data.rank - 1]
            return .softmax(rows: data.elementCount / width, width: width, temperature: softmax.temperature,
                            usesLength: softmax.useLength)
        case .layerNorm:
            guard let norm = step.op as? LayerNormOperator, !norm.outputMeanVar, step.inputs.count == 3, data.rank >= 1,
                  norm.axis == -1 || norm.axis == data.rank - 1 else { return nil }
            let width = data[data.rank - 1]
            return .layerNorm(rows: data.elementCount / width, width: width, epsilon: norm.eps)
        case .gelu:
            guard let leaky = step.op as? LeakyReLUOperator, leaky.actType == "gelu" else { return nil }
            return .gelu(count: data.elementCount)
        case .attention:
            guard let interleaved = step.op as? InterleavedMatMulOperator,
                  let attention = interleaved.attention(inputs: step.inputs.map { values[$0].shape }) else { return nil }
            return .attention(attention)
        case .adaptivePooling:
            guard step.op is AdaptiveAvgPooling2DOperator, data.rank == 4, output.rank == 4 else { return nil }
            return .adaptivePooling(Fast.AdaptiveAveragePooling(planes: data[0] * data[1], height: data[2], width: data[3],
                                                                outputHeight: output[2], outputWidth: output[3]))
        case .bilinearResize:
            guard let resize = step.op as? BilinearResize2DOperator, data.rank == 4, output.rank == 4 else { return nil }
            return .bilinearResize(Fast.BilinearResize(planes: data[0] * data[1], height: data[2], width: data[3],
                                                       outputHeight: output[2], outputWidth: output[3],
                                                       alignCorners: resize.alignCorners))
        default:
            return nil
        }
    }

    /// Pooling, views and unfused adds: single-output float32 steps whose kernels only move or combine data.
    private static func dataMovementKernel(_ choice: KernelChoice, _ step: Step, values: [Program.Value]) -> PreparedKernel? {
        guard step.isFloat32SingleOutput(values: values) else { return nil }
        let input = values[step.inputs[0]], output = values[step.outputs[0]]
        switch choice {
        case .globalPooling, .pooling:
            guard let pooling = step.op as? PoolingOperator, step.epilogue.isEmpty, input.shape.rank >= 3 else { return nil }
            let geometry = pooling.geometry(data: input.shape, output: output.shape)
            if choice == .globalPooling { return Fast.Pooling.isGlobal(pooling.kind, geometry) ? .globalPooling(pooling.kind, geometry) : nil }
            return Fast.Pooling.supports(pooling.kind, geometry) || Fast.Pooling.supportsVolume(pooling.kind, geometry) ? .pooling(pooling.kind, geometry) : nil
        case .copy:
            guard Step.isView(step.op), step.epilogue.isEmpty, step.inputs.count == 1, input.byteCount == output.byteCount else { return nil }
            return .copy(byteCount: output.byteCount)
        case .add:
            guard Step.addNames.contains(step.opName), step.inputs.count == 2, input.shape == output.shape,
                  values[step.inputs[1]].shape == output.shape,
                  let form = Step.kernelEpilogue(step.epilogue), !form.addsResidual else { return nil }
            return .add(count: output.shape.elementCount, activation: form.activation)
        default:
            return nil
        }
    }
}
