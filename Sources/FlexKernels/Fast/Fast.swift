/// Fast CPU kernels over raw float32 pointers: packed SGEMM with a fused epilogue, convolutions (GEMM,
/// transposed GEMM, direct, depthwise, Winograd F(4x4) and F(2x2)), pooling and elementwise helpers.
///
/// Layouts are row-major with explicit strides (GEMM) or NCHW (convolution, pooling). Hot inner loops are
/// C micro-kernels of one instruction-set family (`InstructionSet`: AVX-512F, AVX2+FMA or portable C),
/// reached through that family's table (`Kernels`), by default the process's `InstructionSet.active`;
/// packing, blocking and algorithm choice are Swift. Kernels never throw or allocate on the hot path:
/// callers validate shapes and provide scratch space. Each call runs on the calling thread (the runtime
/// gives a pipeline stage one pinned thread); concurrent calls need their own scratch and outputs.
public enum Fast {}
