/// Fast CPU kernels over raw float32 pointers: packed SGEMM with a fused epilogue, convolutions (1x1,
/// im2col, depthwise, Winograd), pooling and elementwise helpers.
///
/// Layouts are row-major with explicit strides (GEMM) or NCHW (convolution, pooling). Hot inner loops are
/// C micro-kernels (AVX2+FMA where the CPU has them, portable C otherwise), chosen by `InstructionSet`;
/// packing, blocking and threading are Swift. Kernels never throw or allocate on the hot path: callers
/// validate shapes and provide scratch space.
///
/// Threading: kernels that take `(threadIndex, threadCount)` compute the `threadIndex`-th of
/// `threadCount` disjoint parts of their output, so a caller can run the parts on its own threads at once
/// (each with its own scratch) or one after the other; every part only reads shared inputs and weights.
public enum Fast {}
