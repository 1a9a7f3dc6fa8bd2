import CFlexKernels

/// Instruction-set features of the CPU this process runs on, detected once through the C compiler's
/// `__builtin_cpu_supports`. All false on hosts that are not x86-64 (e.g. arm64).
public struct CPUFeatures: Sendable, Hashable, CustomStringConvertible {
    public var avx2: Bool
    public var fma: Bool
    public var avx512f: Bool

    public init(avx2: Bool, fma: Bool, avx512f: Bool) {
        self.avx2 = avx2
        self.fma = fma
        self.avx512f = avx512f
    }

    /// The running CPU's features.
    public static let current: CPUFeatures = {
        let bits = flex_cpu_features()
        return CPUFeatures(
            avx2: bits & UInt32(FLEX_CPU_AVX2) != 0,
            fma: bits & UInt32(FLEX_CPU_FMA) != 0,
            avx512f: bits & UInt32(FLEX_CPU_AVX512F) != 0
        )
    }()

    public var description: String {
        let names = [("avx2", avx2), ("fma", fma), ("avx512f", avx512f)].filter(\.1).map(\.0)
        return names.isEmpty ? "baseline" : names.joined(separator: ",")
    }
}
