import FlexKernels
import Testing

@Suite("CPU features and FMA peak")
struct CPUFeaturesTests {
    @Test("the best instruction set runs here and agrees with the detected features")
    func detection() {
        let features = CPUFeatures.current
        #expect(Fast.InstructionSet.best.isSupported)
        #expect(Fast.InstructionSet.portable.isSupported)
        let expected: Fast.InstructionSet = features.supportsAVX2FMA ? (features.avx512f ? .avx512 : .avx2FMA) : .portable
        #expect(Fast.InstructionSet.best == expected)
        #if arch(x86_64)
        // Every x86-64 CPU FlexEG targets since 2013 has AVX2 and FMA; the benchmark machine certainly does.
        #expect(features.avx2 == features.supportsAVX2FMA || !features.fma)
        #else
        #expect(!features.avx2 && !features.fma && !features.avx512f)
        #endif
    }

    @Test("the FMA peak is a plausible positive rate", arguments: runnableInstructionSets)
    func peak(instructionSet: Fast.InstructionSet) {
        let gflops = FMAPeak.measure(instructionSet: instructionSet, iterations: 200_000, repetitions: 2)
        #expect(gflops.isFinite && gflops > 0.05 && gflops < 10_000)
    }
}
