#include <stddef.h>
#include "CFlexKernels.h"

enum { MR = FLEX_GEMM_MR, NR = FLEX_GEMM_NR };

#if defined(__x86_64__)
#include <immintrin.h>

#define AVX512 __attribute__((target("avx512f")))

/// Accumulate, epilogue and masked store of one 32-column row (`m0`, `m1` select valid columns).
AVX512 __attribute__((always_inline))
static inline void store_row_avx512(float *c, __m512 lo, __m512 hi, int64_t row, __mmask16 m0, __mmask16 m1,
                                    int32_t accumulate, const flex_epilogue *e) {
    if (accumulate) {
        lo = _mm512_add_ps(lo, _mm512_maskz_loadu_ps(m0, c));
        hi = _mm512_add_ps(hi, _mm512_maskz_loadu_ps(m1, c + NR));
    }
    if (e) {
        if (e->bias) {
            if (e->bias_per_column) {
                lo = _mm512_add_ps(lo, _mm512_maskz_loadu_ps(m0, e->bias));
                hi = _mm512_add_ps(hi, _mm512_maskz_loadu_ps(m1, e->bias + NR));
            } else {
                const __m512 bias = _mm512_set1_ps(e->bias[row]);
                lo = _mm512_add_ps(lo, bias);
                hi = _mm512_add_ps(hi, bias);
            }
        }
        if (e->residual) {
            const float *res = e->residual + row * e->residual_stride;
            lo = _mm512_add_ps(lo, _mm512_maskz_loadu_ps(m0, res));
            hi = _mm512_add_ps(hi, _mm512_maskz_loadu_ps(m1, res + NR));
        }
        if (e->clamp) {
            const __m512 lower = _mm512_set1_ps(e->lower), upper = _mm512_set1_ps(e->upper);
            lo = _mm512_min_ps(_mm512_max_ps(lo, lower), upper);
            hi = _mm512_min_ps(_mm512_max_ps(hi, lower), upper);
        }
    }
    _mm512_mask_storeu_ps(c, m0, lo);
    _mm512_mask_storeu_ps(c + NR, m1, hi);
}

#define FLEX_GEMM512_STEP(p)                                                   \
    do {                                                                       \
        const __m512 b0 = _mm512_loadu_ps(b + (p) * NR);                       \
        const __m512 b1 = _mm512_loadu_ps(b1p + (p) * NR);                     \
        __m512 av = _mm512_set1_ps(a[(p) * MR + 0]);                           \
        c00 = _mm512_fmadd_ps(av, b0, c00); c01 = _mm512_fmadd_ps(av, b1, c01); \
        av = _mm512_set1_ps(a[(p) * MR + 1]);                                  \
        c10 = _mm512_fmadd_ps(av, b0, c10); c11 = _mm512_fmadd_ps(av, b1, c11); \
        av = _mm512_set1_ps(a[(p) * MR + 2]);                                  \
        c20 = _mm512_fmadd_ps(av, b0, c20); c21 = _mm512_fmadd_ps(av, b1, c21); \
        av = _mm512_set1_ps(a[(p) * MR + 3]);                                  \
        c30 = _mm512_fmadd_ps(av, b0, c30); c31 = _mm512_fmadd_ps(av, b1, c31); \
        av = _mm512_set1_ps(a[(p) * MR + 4]);                                  \
        c40 = _mm512_fmadd_ps(av, b0, c40); c41 = _mm512_fmadd_ps(av, b1, c41); \
        av = _mm512_set1_ps(a[(p) * MR + 5]);                                  \
        c50 = _mm512_fmadd_ps(av, b0, c50); c51 = _mm512_fmadd_ps(av, b1, c51); \
    } while (0)

AVX512 void flex_sgemm_kernel_avx512(int64_t k, const float *a, const float *b, int64_t b_panel_stride, float *c,
                                     int64_t ldc, int64_t rows, int64_t cols, int32_t accumulate,
                                     const flex_epilogue *epilogue) {
    // With one panel the second column block re-reads the first (in cache) and is masked out on store.
    const float *b1p = cols > NR ? b + b_panel_stride : b;
    __m512 c00 = _mm512_setzero_ps(), c01 = _mm512_setzero_ps(), c10 = _mm512_setzero_ps();
    __m512 c11 = _mm512_setzero_ps(), c20 = _mm512_setzero_ps(), c21 = _mm512_setzero_ps();
    __m512 c30 = _mm512_setzero_ps(), c31 = _mm512_setzero_ps(), c40 = _mm512_setzero_ps();
    __m512 c41 = _mm512_setzero_ps(), c50 = _mm512_setzero_ps(), c51 = _mm512_setzero_ps();
    // C's rows are far apart and often not cached: start fetching them while the products accumulate.
    for (int64_t r = 0; r < rows; r++) {
        _mm_prefetch((const char *)(c + r * ldc), _MM_HINT_T0);
        _mm_prefetch((const char *)(c + r * ldc + cols - 1), _MM_HINT_T0);
    }
    int64_t p = 0;
    for (; p + 4 <= k; p += 4) {
        _mm_prefetch((const char *)(b + 8 * NR), _MM_HINT_T0);
        _mm_prefetch((const char *)(b1p + 8 * NR), _MM_HINT_T0);
        FLEX_GEMM512_STEP(0);
        FLEX_GEMM512_STEP(1);
        FLEX_GEMM512_STEP(2);
        FLEX_GEMM512_STEP(3);
        a += 4 * MR;
        b += 4 * NR;
        b1p += 4 * NR;
    }
    for (; p < k; p++) {
        FLEX_GEMM512_STEP(0);
        a += MR;
        b += NR;
        b1p += NR;
    }
    const __mmask16 m0 = cols >= NR ? (__mmask16)0xFFFF : (__mmask16)((1u << cols) - 1);
    const __mmask16 m1 = cols >= 2 * NR ? (__mmask16)0xFFFF : cols > NR ? (__mmask16)((1u << (cols - NR)) - 1) : 0;
    store_row_avx512(c, c00, c01, 0, m0, m1, accumulate, epilogue);
    if (rows > 1) store_row_avx512(c + 1 * ldc, c10, c11, 1, m0, m1, accumulate, epilogue);
    if (rows > 2) store_row_avx512(c + 2 * ldc, c20, c21, 2, m0, m1, accumulate, epilogue);
    if (rows > 3) store_row_avx512(c + 3 * ldc, c30, c31, 3, m0, m1, accumulate, epilogue);
    if (rows > 4) store_row_avx512(c + 4 * ldc, c40, c41, 4, m0, m1, accumulate, epilogue);
    if (rows > 5) store_row_avx512(c + 5 * ldc, c50, c51, 5, m0, m1, accumulate, epilogue);
}

#else

void flex_sgemm_kernel_avx512(int64_t k, const float *a, const float *b, int64_t b_panel_stride, float *c,
                              int64_t ldc, int64_t rows, int64_t cols, int32_t accumulate,
                              const flex_epilogue *epilogue) {
    const int64_t first = cols < NR ? cols : NR;
    flex_sgemm_kernel_portable(k, a, b, c, ldc, rows, first, accumulate, epilogue);
    if (cols > NR) {
        flex_epilogue shifted;
        if (epilogue) {
            shifted = *epilogue;
            if (shifted.bias && shifted.bias_per_column) shifted.bias += NR;
            if (shifted.residual) shifted.residual += NR;
        }
        flex_sgemm_kernel_portable(k, a, b + b_panel_stride, c + NR, ldc, rows, cols - NR, accumulate,
                                   epilogue ? &shifted : NULL);
    }
}

#endif
