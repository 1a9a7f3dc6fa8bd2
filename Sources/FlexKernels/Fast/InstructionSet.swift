extension Fast {
    /// Which family of C micro-kernels runs.
    public enum InstructionSet: String, Sendable, CaseIterable {
        /// x86-64 with AVX2 and FMA: 256-bit vector kernels.
        case avx2FMA
        /// Plain C, correct on any CPU.
        case portable

        /// The fastest family the running CPU supports.
        public static let best: InstructionSet = CPUFeatures.current.supportsAVX2FMA ? .avx2FMA : .portable

        /// Whether the running CPU can execute this family.
        public var isSupported: Bool {
            switch self {
            case .avx2FMA: CPUFeatures.current.supportsAVX2FMA
            case .portable: true
            }
        }
    }
}
