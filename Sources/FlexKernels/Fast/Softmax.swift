import CFlexKernels

extension Fast {
    /// Softmax over each row of a dense `[rows, length]` matrix (`length > 0`):
    /// `output[r][i] = exp(input[r][i] - max_r) / sum_j exp(input[r][j] - max_r)`, vectorised with a
    /// polynomial `exp` (relative error about 2e-7). Rows are split between the threads; `output` may
    /// equal `input`.
    public static func softmax(
        input: UnsafePointer<Float>, output: UnsafeMutablePointer<Float>, rows: Int, length: Int,
        threadIndex: Int = 0, threadCount: Int = 1, instructionSet: InstructionSet = .best
    ) {
        precondition(length > 0, "softmax over empty rows")
        for row in partition(rows, threadIndex: threadIndex, threadCount: threadCount) {
            let offset = row * length
            switch instructionSet {
            case .avx2FMA, .avx512: flex_softmax_row_avx2(input + offset, output + offset, Int64(length))
            case .portable: flex_softmax_row_portable(input + offset, output + offset, Int64(length))
            }
        }
    }
}
