import CFlexKernels

extension Fast {
    /// Layer normalisation over the last axis of a dense `[rows, length]` matrix (`length > 0`), as MXNet
    /// `LayerNorm(axis=-1)`: `output[r][i] = (input[r][i] - mean_r) / sqrt(var_r + epsilon) * gamma[i] + beta[i]`
    /// with the biased variance. Rows are split between the threads; `output` may equal `input`.
    public static func layerNorm(
        input: UnsafePointer<Float>, gamma: UnsafePointer<Float>, beta: UnsafePointer<Float>,
        output: UnsafeMutablePointer<Float>, rows: Int, length: Int, epsilon: Float = 1e-5,
        threadIndex: Int = 0, threadCount: Int = 1, instructionSet: InstructionSet = .best
    ) {
        precondition(length > 0, "layer norm over empty rows")
        for row in partition(rows, threadIndex: threadIndex, threadCount: threadCount) {
            let offset = row * length
            switch instructionSet {
            case .avx2FMA, .avx512: flex_layer_norm_row_avx2(input + offset, gamma, beta, output + offset, Int64(length), epsilon)
            case .portable: flex_layer_norm_row_portable(input + offset, gamma, beta, output + offset, Int64(length), epsilon)
            }
        }
    }
}
