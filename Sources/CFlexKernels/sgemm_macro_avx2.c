// The AVX2 family's GEMM macro-kernel (`sgemm_macro` in CFlexKernels.h): 6 x 16 tiles, 12 accumulators of
// 8 floats, B from packed panels or read in place.
#include "sgemm_macro_shared.h"

enum { MR = FLEX_GEMM_MR, NR = FLEX_GEMM_NR };

#if defined(__x86_64__)
#include "avx2_helpers.h"

#define INLINE __attribute__((always_inline)) static inline
/// Loops over a tile's rows (a constant after inlining) unroll fully, so the accumulators stay in registers.
#define EACH_ROW _Pragma("unroll") for (int r = 0; r < rows; r++)

/// 8 floats at `p`: all of them when `full` (a constant), else the lanes in `m` (zero elsewhere).
FLEX_AVX2 INLINE __m256 load8(const float *p, __m256i m, const int full) {
    return full ? _mm256_loadu_ps(p) : _mm256_maskload_ps(p, m);
}

/// The epilogue of 8 columns of one row (`m`: the valid ones, unless `full`). A row bias is already in
/// `v` unless C accumulates.
FLEX_AVX2 INLINE __m256 finish8(const float *c, __m256 v, int64_t row, __m256i m, const int flags,
                                const float *bias, const float *residual, const tile_ep *e, const int full) {
    if (flags & EP_ACCUMULATE) {
        v = _mm256_add_ps(v, load8(c, m, full));
        if (flags & EP_ROW_BIAS) v = _mm256_add_ps(v, _mm256_broadcast_ss(e->bias + row));
    }
    if (flags & EP_COLUMN_BIAS) v = _mm256_add_ps(v, load8(bias, m, full));
    if (flags & EP_RESIDUAL) v = _mm256_add_ps(v, load8(residual + row * e->residual_stride, m, full));
    if (flags & EP_CLAMP) v = _mm256_min_ps(_mm256_max_ps(v, _mm256_set1_ps(e->lower)), _mm256_set1_ps(e->upper));
    return v;
}

/// Stores one row of a tile: 16 columns whole when `full` (a constant), else the first `cols` (1...15)
/// through a scratch row, as masked stores are slow on AMD cores.
FLEX_AVX2 INLINE void store_row(float *c, __m256 lo, __m256 hi, int64_t cols, const int full) {
    if (full) {
        _mm256_storeu_ps(c, lo);
        _mm256_storeu_ps(c + 8, hi);
        return;
    }
    float row[NR];
    _mm256_storeu_ps(row, lo);
    _mm256_storeu_ps(row + 8, hi);
    for (int64_t j = 0; j < cols; j++) c[j] = row[j];
}

/// A `rows` (a constant after inlining) x 16 tile: A rows from the panel `a` against B columns `b[p * brs +
/// 0...15]`, of which the first `cols` exist. `full` (a constant): all 16 columns exist. `narrow` (a
/// constant): at most 8 do, and only those are computed (a plane of 49 pixels ends on one column).
/// `masked` (a constant): B's missing columns are not read (B read in place ends at the matrix's last
/// column).
/// `prefetch`: `prefetch_rows` rows of the next column tile's B to pull into cache; `a_next`: an A panel to
/// pull in too (NULL for none).
FLEX_AVX2 INLINE void tile(const int rows, const int masked, const int full, const int narrow, int64_t k, const float *a,
                           const float *b, int64_t brs, float *c, int64_t ldc, int64_t cols, const int flags,
                           const tile_ep *e, const float *prefetch, int64_t prefetch_rows, const float *a_next) {
    __m256 lo[MR], hi[MR];
    // A row bias starts the accumulators when C is overwritten.
    EACH_ROW lo[r] = hi[r] = (flags & EP_ROW_BIAS) && !(flags & EP_ACCUMULATE) ? _mm256_broadcast_ss(e->bias + r)
                                                                                 : _mm256_setzero_ps();
    const __m256i m0 = flex_first_lanes8(cols), m1 = flex_first_lanes8(cols - 8);
    // C of the next column tile (same rows), written one pass over the row panels later: pulled into
    // cache now, as a model's activations often are not (write-allocate misses stall the stores).
    EACH_ROW _mm_prefetch((const char *)(c + r * ldc + NR), _MM_HINT_T0);
    // Likewise the residual the next column tile adds (NULL-based addresses are never formed).
    if (flags & EP_RESIDUAL) EACH_ROW _mm_prefetch((const char *)(e->residual + r * e->residual_stride + NR), _MM_HINT_T0);
    int64_t p = 0;
    // The hints are checked once per 4 steps (each check costs front-end slots the FMAs need): 4 rows of
    // the next B tile (in place, a row is a cache line) and 96 bytes of the next A panel.
#define HINTS(p)                                                                                  \
    do {                                                                                          \
        if ((p) < prefetch_rows) {                                                                \
            _Pragma("unroll") for (int q = 0; q < 4; q++)                                         \
                _mm_prefetch((const char *)(prefetch + ((p) + q) * brs), _MM_HINT_T0);            \
        }                                                                                         \
        if (a_next) {                                                                             \
            _mm_prefetch((const char *)(a_next + (p) * MR), _MM_HINT_T0);                         \
            _mm_prefetch((const char *)(a_next + (p) * MR + 16), _MM_HINT_T0);                    \
        }                                                                                         \
    } while (0)
#define LOAD_B(q, x0, x1)                                                                         \
    const __m256 x0 = masked ? _mm256_maskload_ps(b + (q) * brs, m0) : _mm256_loadu_ps(b + (q) * brs); \
    const __m256 x1 = narrow ? _mm256_setzero_ps()                                                \
                    : masked ? _mm256_maskload_ps(b + (q) * brs + 8, m1) : _mm256_loadu_ps(b + (q) * brs + 8)
    // One or two rows (or 8 columns) have too few accumulators to hide the FMA latency: odd k go to a
    // second set, summed at the end (a constant choice after inlining).
    if (rows <= 2 || narrow) {
        __m256 lo_odd[MR], hi_odd[MR];
        EACH_ROW lo_odd[r] = hi_odd[r] = _mm256_setzero_ps();
        for (; p + 4 <= k; p += 4) {
            HINTS(p);
            _Pragma("unroll") for (int q = 0; q < 4; q += 2) {
                LOAD_B(q, b0, b1);
                LOAD_B(q + 1, b2, b3);
                EACH_ROW {
                    const __m256 av = _mm256_broadcast_ss(a + q * MR + r), aw = _mm256_broadcast_ss(a + (q + 1) * MR + r);
                    lo[r] = _mm256_fmadd_ps(av, b0, lo[r]);
                    lo_odd[r] = _mm256_fmadd_ps(aw, b2, lo_odd[r]);
                    if (!narrow) {
                        hi[r] = _mm256_fmadd_ps(av, b1, hi[r]);
                        hi_odd[r] = _mm256_fmadd_ps(aw, b3, hi_odd[r]);
                    }
                }
            }
            a += 4 * MR;
            b += 4 * brs;
        }
        EACH_ROW {
            lo[r] = _mm256_add_ps(lo[r], lo_odd[r]);
            hi[r] = _mm256_add_ps(hi[r], hi_odd[r]);
        }
    } else {
        for (; p + 4 <= k; p += 4) {
            HINTS(p);
            _Pragma("unroll") for (int q = 0; q < 4; q++) {
                LOAD_B(q, b0, b1);
                EACH_ROW {
                    const __m256 av = _mm256_broadcast_ss(a + q * MR + r);
                    lo[r] = _mm256_fmadd_ps(av, b0, lo[r]);
                    hi[r] = _mm256_fmadd_ps(av, b1, hi[r]);
                }
            }
            a += 4 * MR;
            b += 4 * brs;
        }
    }
    if (p < k) HINTS(p);
    for (; p < k; p++) {
        LOAD_B(0, b0, b1);
        EACH_ROW {
            const __m256 av = _mm256_broadcast_ss(a + r);
            lo[r] = _mm256_fmadd_ps(av, b0, lo[r]);
            if (!narrow) hi[r] = _mm256_fmadd_ps(av, b1, hi[r]);
        }
        a += MR;
        b += brs;
    }
#undef HINTS
#undef LOAD_B
    // The second 8 columns' column bias and residual (never offsets from NULL).
    const float *bias_hi = flags & EP_COLUMN_BIAS ? e->bias + 8 : NULL;
    const float *residual_hi = flags & EP_RESIDUAL ? e->residual + 8 : NULL;
    EACH_ROW {
        float *row = c + r * ldc;
        const __m256 l = finish8(row, lo[r], r, m0, flags, e->bias, e->residual, e, full);
        const __m256 h = narrow ? _mm256_setzero_ps() : finish8(row + 8, hi[r], r, m1, flags, bias_hi, residual_hi, e, full);
        store_row(row, l, h, cols, full);
    }
}

/// The trailing arguments of a tile call inside the macro-kernel's loop: C, the epilogue (`flags` given) and the hints.
#define TILE_OUT(flags) panel.c, ldc, cols, flags, &panel.ep, panel.prefetch, panel.prefetch_rows, panel.a_next

#define TILE_CASES(masked, full, narrow)                                                                                 \
    switch (rows) {                                                                                                      \
    case 6: tile(6, masked, full, narrow, k, panel.a, bj, b_row_stride, TILE_OUT(flags)); break;                         \
    case 5: tile(5, masked, full, narrow, k, panel.a, bj, b_row_stride, TILE_OUT(flags)); break;                         \
    case 4: tile(4, masked, full, narrow, k, panel.a, bj, b_row_stride, TILE_OUT(flags)); break;                         \
    case 3: tile(3, masked, full, narrow, k, panel.a, bj, b_row_stride, TILE_OUT(flags)); break;                         \
    case 2: tile(2, masked, full, narrow, k, panel.a, bj, b_row_stride, TILE_OUT(flags)); break;                         \
    default: tile(1, masked, full, narrow, k, panel.a, bj, b_row_stride, TILE_OUT(flags)); break;                        \
    }

/// Full 6 x 16 tiles, the hot path, with the epilogue's flags as constants for the combinations models use.
#define FULL_TILE(f) tile(6, 0, 1, 0, k, panel.a, bj, b_row_stride, TILE_OUT(f))
#define FULL_TILE_CASES FLEX_FULL_TILE_CASES(FULL_TILE, flags)

FLEX_AVX2 void flex_sgemm_macro_avx2(int64_t m, int64_t n, int64_t k, const float *a, int64_t a_stride,
                                     const float *b, int64_t b_stride, int64_t b_row_stride, float *c, int64_t ldc,
                                     int32_t accumulate, const flex_epilogue *epilogue, const float *a_after) {
    // B read in place (rows of the source matrix) rather than from packed panels.
    const int in_place = b_row_stride != NR;
    const int flags = flex_gemm_flags(accumulate, epilogue);
    for (int64_t j = 0; j < n; j += NR) {
        const int64_t cols = n - j < NR ? n - j : NR;
        const float *bj = b + (j / NR) * b_stride;
        // The next column tile's B, prefetched by the row panels (`flex_prefetch_share`).
        const float *next = j + NR < n ? bj + b_stride : NULL;
        for (int64_t i = 0; i < m; i += MR) {
            const row_panel panel = flex_row_panel(i, j, m, k, a, a_stride, c, ldc, next, b_row_stride, flags, epilogue, a_after);
            const int64_t rows = panel.rows;
            if (cols == NR) {
                if (rows == MR) { FULL_TILE_CASES } else { TILE_CASES(0, 1, 0) }
            } else if (cols <= 8) {
                if (in_place) { TILE_CASES(1, 0, 1) } else { TILE_CASES(0, 0, 1) }
            } else if (in_place) {
                TILE_CASES(1, 0, 0)
            } else {
                TILE_CASES(0, 0, 0)
            }
        }
    }
}

#else

// Other architectures never choose the AVX2 kernels; the portable micro-kernel per tile keeps the symbol correct.
void flex_sgemm_macro_avx2(int64_t m, int64_t n, int64_t k, const float *a, int64_t a_stride,
                           const float *b, int64_t b_stride, int64_t b_row_stride, float *c, int64_t ldc,
                           int32_t accumulate, const flex_epilogue *epilogue, const float *a_after) {
    flex_sgemm_macro_avx512(m, n, k, a, a_stride, b, b_stride, b_row_stride, c, ldc, accumulate, epilogue, a_after);
}

#endif
