/// Measures one core's peak float32 multiply-add throughput on the calling thread, so benchmarks can
/// report GEMM speed as a percentage of what the core can do at all.
public enum FMAPeak {
    /// Peak GFLOP/s (an FMA counts as 2 flops) of `instructionSet`'s FMA loop: the best of `repetitions`
    /// timed runs of `iterations` rounds each. Runs are short (about 0.5 ms by default) so that some of
    /// them finish without being preempted on a busy machine; the whole measurement takes about 0.1 s.
    public static func measure(
        instructionSet: Fast.InstructionSet = .active, iterations: Int = 200_000, repetitions: Int = 200
    ) -> Double {
        let kernels = Fast.Kernels(instructionSet).slots
        // 12 chains of `fma_peak_lanes` lanes, 2 flops each, per round.
        let flopsPerRound = Double(12 * 2 * kernels.fma_peak_lanes)
        let loop = kernels.fma_peak_loop!
        var best = Double.infinity
        var sink: Float = 0
        for _ in 0..<max(1, repetitions) {
            let clock = ContinuousClock()
            let elapsed = clock.measure { sink += loop(Int64(iterations)) }
            best = min(best, elapsed.seconds)
        }
        // The loop result feeds a branch nobody takes, so the work cannot be discarded.
        if sink.isNaN { best = .infinity }
        return flopsPerRound * Double(iterations) / best / 1e9
    }
}
