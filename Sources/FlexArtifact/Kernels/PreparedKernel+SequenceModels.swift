import FlexGraph
import FlexKernels

extension PreparedKernel {
    /// The fast sequence-model kernel `choice` (`.softmax`, `.layerNorm`, `.gelu`, `.attention`, `.rnn`)
    /// for `step`, or nil when the step is not one it runs: float32 data and output, no epilogue,
    /// softmax and LayerNorm along the last axis and with a single output. The one place that decides
    /// which such steps run fast (`KernelSelection` asks it too).
    package static func sequenceModelKernel(_ choice: KernelChoice, _ step: Step, values: [Program.Value]) -> PreparedKernel? {
        if choice == .rnn {
            guard let recurrent = step.op as? RNNOperator, step.epilogue.isEmpty,
                  (step.inputs + step.outputs).allSatisfy({ values[$0].dtype == .float32 }),
                  let rnn = recurrent.fastRNN(data: values[step.inputs[0]].shape) else { return nil }
            return .rnn(rnn)
        }
        guard step.epilogue.isEmpty, step.outputs.count == 1, !step.inputs.isEmpty,
              values[step.inputs[0]].dtype == .float32, values[step.outputs[0]].dtype == .float32 else { return nil }
        let data = values[step.inputs[0]].shape
        switch choice {
        case .softmax:
            guard let softmax = step.op as? SoftmaxOperator, softmax.variant == .softmax, data.rank >= 1,
                  softmax.axis == -1 || softmax.axis == data.rank - 1, data.elementCount > 0 else { return nil }
            let width = data[data.rank - 1]
            return .softmax(rows: data.elementCount / width, width: width, temperature: softmax.temperature,
                            usesLength: softmax.useLength)
        case .layerNorm:
            guard let norm = step.op as? LayerNormOperator, !norm.outputMeanVar, step.inputs.count == 3, data.rank >= 1,
                  norm.axis == -1 || norm.axis == data.rank - 1, data.elementCount > 0,
                  step.inputs[1...].allSatisfy({ values[$0].dtype == .float32 }) else { return nil }
            let width = data[data.rank - 1]
            return .layerNorm(rows: data.elementCount / width, width: width, epsilon: norm.eps)
        case .gelu:
            guard let leaky = step.op as? LeakyReLUOperator, leaky.actType == "gelu" else { return nil }
            return .gelu(count: data.elementCount)
        case .attention:
            guard let interleaved = step.op as? InterleavedMatMulOperator,
                  step.inputs.allSatisfy({ values[$0].dtype == .float32 }),
                  let attention = interleaved.attention(inputs: step.inputs.map { values[$0].shape }) else { return nil }
            return .attention(attention)
        default:
            return nil
        }
    }
}
