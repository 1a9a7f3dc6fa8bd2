/// Reference CPU kernels: straightforward loops over raw float32 buffers in row-major layout.
///
/// They are the oracle the fast kernels are tested against, and the fallback for operators without a
/// fast path. They never throw and never allocate on the caller's behalf beyond scratch space; the
/// caller guarantees shapes (operators validate them during shape inference).
public enum Reference {}
