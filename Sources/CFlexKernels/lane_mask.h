#ifndef CFLEXKERNELS_LANE_MASK_H
#define CFLEXKERNELS_LANE_MASK_H
// Lane masks shared by the AVX-512 kernels (a private header of CFlexKernels: x86-64 only).

#include <stdint.h>
#include <immintrin.h>

/// Lanes `l` of a 16-float load at `start` whose element `start + l` lies in `[0, width)`.
__attribute__((target("avx512f"))) static inline __mmask16 flex_lanes_inside(int64_t start, int64_t width) {
    int64_t lo = -start, hi = width - start;
    if (lo < 0) lo = 0;
    if (hi > 16) hi = 16;
    if (hi <= lo) return 0;
    return (__mmask16)(((1u << hi) - 1) & ~((1u << lo) - 1));
}

#endif
