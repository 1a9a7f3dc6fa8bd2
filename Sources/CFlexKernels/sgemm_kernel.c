#include "kernels.h"
#include "epilogue_scalar.h"

enum { MR = FLEX_GEMM_MR, NR = FLEX_GEMM_NR };

/// Writes the raw MR x NR tile `tile` into C's top-left rows x cols, accumulating and applying the
/// epilogue as requested. Shared by the edge path of every kernel and by the portable kernel.
static inline void store_tile_scalar(const float *tile, float *c, int64_t ldc, int64_t rows, int64_t cols,
                                     int32_t accumulate, const flex_epilogue *epilogue) {
    for (int64_t r = 0; r < rows; r++) {
        for (int64_t j = 0; j < cols; j++) {
            float value = tile[r * NR + j];
            if (accumulate) value += c[r * ldc + j];
            if (epilogue) value = flex_epilogue_apply(epilogue, value, r, j);
            c[r * ldc + j] = value;
        }
    }
}

void flex_sgemm_kernel_portable(int64_t k, const float *a, const float *b, float *c, int64_t ldc,
                                int64_t rows, int64_t cols, int32_t accumulate, const flex_epilogue *epilogue) {
    float tile[MR * NR] = {0};
    for (int64_t p = 0; p < k; p++) {
        for (int r = 0; r < MR; r++) {
            const float av = a[p * MR + r];
            for (int j = 0; j < NR; j++) tile[r * NR + j] += av * b[p * NR + j];
        }
    }
    store_tile_scalar(tile, c, ldc, rows, cols, accumulate, epilogue);
}

#if defined(__x86_64__)
#include "avx2_helpers.h"

FLEX_AVX2 __attribute__((always_inline))
static inline void store_row_avx2(float *c, __m256 lo, __m256 hi, int64_t row, int32_t accumulate,
                                  const flex_epilogue *e) {
    if (accumulate) {
        lo = _mm256_add_ps(lo, _mm256_loadu_ps(c));
        hi = _mm256_add_ps(hi, _mm256_loadu_ps(c + 8));
    }
    if (e) {
        if (e->bias) {
            if (e->bias_per_column) {
                lo = _mm256_add_ps(lo, _mm256_loadu_ps(e->bias));
                hi = _mm256_add_ps(hi, _mm256_loadu_ps(e->bias + 8));
            } else {
                const __m256 bias = _mm256_broadcast_ss(e->bias + row);
                lo = _mm256_add_ps(lo, bias);
                hi = _mm256_add_ps(hi, bias);
            }
        }
        if (e->residual) {
            const float *res = e->residual + row * e->residual_stride;
            lo = _mm256_add_ps(lo, _mm256_loadu_ps(res));
            hi = _mm256_add_ps(hi, _mm256_loadu_ps(res + 8));
        }
        if (e->clamp) {
            const __m256 lower = _mm256_set1_ps(e->lower), upper = _mm256_set1_ps(e->upper);
            lo = _mm256_min_ps(_mm256_max_ps(lo, lower), upper);
            hi = _mm256_min_ps(_mm256_max_ps(hi, lower), upper);
        }
    }
    _mm256_storeu_ps(c, lo);
    _mm256_storeu_ps(c + 8, hi);
}

#define FLEX_GEMM_STEP(p)                                                  \
    do {                                                                   \
        const __m256 b0 = _mm256_loadu_ps(b + (p) * NR);                   \
        const __m256 b1 = _mm256_loadu_ps(b + (p) * NR + 8);               \
        __m256 av = _mm256_broadcast_ss(a + (p) * MR + 0);                 \
        c00 = _mm256_fmadd_ps(av, b0, c00); c01 = _mm256_fmadd_ps(av, b1, c01); \
        av = _mm256_broadcast_ss(a + (p) * MR + 1);                        \
        c10 = _mm256_fmadd_ps(av, b0, c10); c11 = _mm256_fmadd_ps(av, b1, c11); \
        av = _mm256_broadcast_ss(a + (p) * MR + 2);                        \
        c20 = _mm256_fmadd_ps(av, b0, c20); c21 = _mm256_fmadd_ps(av, b1, c21); \
        av = _mm256_broadcast_ss(a + (p) * MR + 3);                        \
        c30 = _mm256_fmadd_ps(av, b0, c30); c31 = _mm256_fmadd_ps(av, b1, c31); \
        av = _mm256_broadcast_ss(a + (p) * MR + 4);                        \
        c40 = _mm256_fmadd_ps(av, b0, c40); c41 = _mm256_fmadd_ps(av, b1, c41); \
        av = _mm256_broadcast_ss(a + (p) * MR + 5);                        \
        c50 = _mm256_fmadd_ps(av, b0, c50); c51 = _mm256_fmadd_ps(av, b1, c51); \
    } while (0)

FLEX_AVX2
void flex_sgemm_kernel_avx2(int64_t k, const float *a, const float *b, float *c, int64_t ldc,
                            int64_t rows, int64_t cols, int32_t accumulate, const flex_epilogue *epilogue) {
    __m256 c00 = _mm256_setzero_ps(), c01 = _mm256_setzero_ps(), c10 = _mm256_setzero_ps();
    __m256 c11 = _mm256_setzero_ps(), c20 = _mm256_setzero_ps(), c21 = _mm256_setzero_ps();
    __m256 c30 = _mm256_setzero_ps(), c31 = _mm256_setzero_ps(), c40 = _mm256_setzero_ps();
    __m256 c41 = _mm256_setzero_ps(), c50 = _mm256_setzero_ps(), c51 = _mm256_setzero_ps();
    // C's rows are far apart and often not cached: start fetching them while the products accumulate.
    for (int64_t r = 0; r < rows; r++) {
        _mm_prefetch((const char *)(c + r * ldc), _MM_HINT_T0);
        _mm_prefetch((const char *)(c + r * ldc + cols - 1), _MM_HINT_T0);
    }
    int64_t p = 0;
    for (; p + 4 <= k; p += 4) {
        _mm_prefetch((const char *)(b + 8 * NR), _MM_HINT_T0);
        FLEX_GEMM_STEP(0);
        FLEX_GEMM_STEP(1);
        _mm_prefetch((const char *)(b + 10 * NR), _MM_HINT_T0);
        FLEX_GEMM_STEP(2);
        FLEX_GEMM_STEP(3);
        a += 4 * MR;
        b += 4 * NR;
    }
    for (; p < k; p++) {
        FLEX_GEMM_STEP(0);
        a += MR;
        b += NR;
    }
    if (rows == MR && cols == NR) {
        const flex_epilogue *e = epilogue;
        store_row_avx2(c + 0 * ldc, c00, c01, 0, accumulate, e);
        store_row_avx2(c + 1 * ldc, c10, c11, 1, accumulate, e);
        store_row_avx2(c + 2 * ldc, c20, c21, 2, accumulate, e);
        store_row_avx2(c + 3 * ldc, c30, c31, 3, accumulate, e);
        store_row_avx2(c + 4 * ldc, c40, c41, 4, accumulate, e);
        store_row_avx2(c + 5 * ldc, c50, c51, 5, accumulate, e);
        return;
    }
    float tile[MR * NR];
    _mm256_storeu_ps(tile + 0 * NR, c00); _mm256_storeu_ps(tile + 0 * NR + 8, c01);
    _mm256_storeu_ps(tile + 1 * NR, c10); _mm256_storeu_ps(tile + 1 * NR + 8, c11);
    _mm256_storeu_ps(tile + 2 * NR, c20); _mm256_storeu_ps(tile + 2 * NR + 8, c21);
    _mm256_storeu_ps(tile + 3 * NR, c30); _mm256_storeu_ps(tile + 3 * NR + 8, c31);
    _mm256_storeu_ps(tile + 4 * NR, c40); _mm256_storeu_ps(tile + 4 * NR + 8, c41);
    _mm256_storeu_ps(tile + 5 * NR, c50); _mm256_storeu_ps(tile + 5 * NR + 8, c51);
    store_tile_scalar(tile, c, ldc, rows, cols, accumulate, epilogue);
}

#else

void flex_sgemm_kernel_avx2(int64_t k, const float *a, const float *b, float *c, int64_t ldc,
                            int64_t rows, int64_t cols, int32_t accumulate, const flex_epilogue *epilogue) {
    flex_sgemm_kernel_portable(k, a, b, c, ldc, rows, cols, accumulate, epilogue);
}

#endif
