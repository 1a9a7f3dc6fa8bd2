import CFlexKernels
import FlexTensor

/// Measures one core's peak float32 multiply-add throughput on the calling thread, so benchmarks can
/// report GEMM speed as a percentage of what the core can do at all.
public enum FMAPeak {
    /// Peak GFLOP/s (an FMA counts as 2 flops) of `instructionSet`'s FMA loop: the best of `repetitions`
    /// timed runs of `iterations` rounds each. Runs are short (about 0.5 ms by default) so that some of
    /// them finish without being preempted on a busy machine; the whole measurement takes about 0.1 s.
    public static func measure(
        instructionSet: Fast.InstructionSet = .best, iterations: Int = 200_000, repetitions: Int = 200
    ) -> Double {
        let flopsPerRound: Double = switch instructionSet {
        case .avx512: 384
        case .avx2FMA: 192
        case .portable: 24
        }
        var best = Double.infinity
        var sink: Float = 0
        for _ in 0..<max(1, repetitions) {
            let clock = ContinuousClock()
            let elapsed = clock.measure {
                switch instructionSet {
                case .avx512: sink += flex_fma_peak_loop_avx512(Int64(iterations))
                case .avx2FMA: sink += flex_fma_peak_loop_avx2(Int64(iterations))
                case .portable: sink += flex_fma_peak_loop_portable(Int64(iterations))
                }
            }
            best = min(best, elapsed.seconds)
        }
        // The loop result feeds a branch nobody takes, so the work cannot be discarded.
        if sink.isNaN { best = .infinity }
        return flopsPerRound * Double(iterations) / best / 1e9
    }
}
