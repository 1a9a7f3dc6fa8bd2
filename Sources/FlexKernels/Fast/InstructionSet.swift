extension Fast {
    /// Which family of C micro-kernels runs.
    public enum InstructionSet: String, Sendable, CaseIterable {
        /// x86-64 with AVX2 and FMA: 256-bit vector kernels.
        case avx2FMA
        /// x86-64 with AVX-512F (and AVX2, FMA): 512-bit GEMM (6 x 32 tiles, B read in place where that
        /// pays) and depthwise convolution kernels, the AVX2 kernels everywhere else.
        case avx512
        /// Plain C, correct on any CPU.
        case portable

        /// The fastest family the running CPU supports.
        public static let best: InstructionSet =
            InstructionSet.avx512.isSupported ? .avx512 : InstructionSet.avx2FMA.isSupported ? .avx2FMA : .portable

        /// Whether the running CPU can execute this family.
        public var isSupported: Bool {
            switch self {
            case .avx2FMA: CPUFeatures.current.supportsAVX2FMA
            case .avx512: CPUFeatures.current.supportsAVX2FMA && CPUFeatures.current.avx512f
            case .portable: true
            }
        }
    }
}
