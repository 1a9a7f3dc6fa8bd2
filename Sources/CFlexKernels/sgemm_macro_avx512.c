#include "sgemm_macro_shared.h"

enum { MR = FLEX_GEMM_MR, NR = FLEX_GEMM_NR };

#if defined(__x86_64__)
#include <immintrin.h>

#define AVX512 __attribute__((target("avx512f")))
#define INLINE __attribute__((always_inline)) static inline
/// Loops over a tile's rows (a constant after inlining) unroll fully, so the accumulator arrays live in
/// registers at every optimisation level (-O2 left the epilogue loops with run-time flags rolled).
#define EACH_ROW _Pragma("unroll") for (int r = 0; r < rows; r++)

/// A 16-float load at `p`: all of it when `full` (a constant), else the lanes in `m`, zero elsewhere.
AVX512 INLINE __m512 load16(const float *p, __mmask16 m, const int full) {
    return full ? _mm512_loadu_ps(p) : _mm512_maskz_loadu_ps(m, p);
}

/// Accumulate, epilogue and store of one row of up to 16 columns (`m`); a `full` row (a constant) loads
/// and stores without masks, which are slow here. A row bias is already in `v` unless C accumulates.
AVX512 INLINE void store16(float *c, __m512 v, int64_t row, __mmask16 m, const int flags, const tile_ep *e,
                           const int full) {
    if (flags & EP_ACCUMULATE) {
        v = _mm512_add_ps(v, load16(c, m, full));
        if (flags & EP_ROW_BIAS) v = _mm512_add_ps(v, _mm512_set1_ps(e->bias[row]));
    }
    if (flags & EP_COLUMN_BIAS) v = _mm512_add_ps(v, load16(e->bias, m, full));
    if (flags & EP_RESIDUAL) v = _mm512_add_ps(v, load16(e->residual + row * e->residual_stride, m, full));
    if (flags & EP_CLAMP) v = _mm512_min_ps(_mm512_max_ps(v, _mm512_set1_ps(e->lower)), _mm512_set1_ps(e->upper));
    if (full) _mm512_storeu_ps(c, v);
    else _mm512_mask_storeu_ps(c, m, v);
}

/// The column-shifted epilogue for the second 16 columns of a 32-column tile.
INLINE tile_ep shifted16(const tile_ep *e, const int flags) {
    tile_ep shifted = *e;
    if (flags & EP_COLUMN_BIAS) shifted.bias += NR;
    if (flags & EP_RESIDUAL) shifted.residual += NR;
    return shifted;
}

/// A `rows` x (17...32) tile: `rows` (a constant after inlining) A rows from the panel `a` against B columns
/// `b[p * brs + 0...15]` and `b1[p * brs + 0...15]`. `masked` (a constant) loads B's valid columns only,
/// for B read in place, whose rows end at the matrix's last column.
AVX512 INLINE void tile32(const int rows, const int masked, const int full, int64_t k, const float *a, const float *b, const float *b1,
                          int64_t brs, float *c, int64_t ldc, int64_t cols, const int flags, const tile_ep *e,
                          const float *prefetch, int64_t prefetch_rows, const float *a_next) {
    __m512 lo[MR], hi[MR];
    // A row bias starts the accumulators when C is overwritten.
    EACH_ROW
        lo[r] = hi[r] = (flags & EP_ROW_BIAS) && !(flags & EP_ACCUMULATE) ? _mm512_set1_ps(e->bias[r]) : _mm512_setzero_ps();
    const __mmask16 m0 = 0xFFFF;
    const __mmask16 m1 = cols >= 2 * NR ? (__mmask16)0xFFFF : (__mmask16)((1u << (cols - NR)) - 1);
    // C of the next column tile (same rows), written one pass over the row panels later: pulled into
    // cache now, as a model's activations often are not (write-allocate misses stalled the stores).
    EACH_ROW {
        _mm_prefetch((const char *)(c + r * ldc + 2 * NR), _MM_HINT_T0);
        _mm_prefetch((const char *)(c + r * ldc + 3 * NR), _MM_HINT_T0);
    }
    int64_t p = 0;
    // One or two rows (the last panel of 49 pixels, say) have too few accumulators to hide the FMA
    // latency: odd k go to a second set, summed at the end (a constant choice after inlining).
    const int split = rows <= 2;
    __m512 lo_odd[MR], hi_odd[MR];
    if (split) {
        EACH_ROW lo_odd[r] = hi_odd[r] = _mm512_setzero_ps();
        for (; p + 2 <= k; p += 2) {
            if (p < prefetch_rows) {
                _mm_prefetch((const char *)(prefetch + p * brs), _MM_HINT_T0);
                _mm_prefetch((const char *)(prefetch + (b1 - b) + p * brs), _MM_HINT_T0);
                _mm_prefetch((const char *)(prefetch + (p + 1) * brs), _MM_HINT_T0);
                _mm_prefetch((const char *)(prefetch + (b1 - b) + (p + 1) * brs), _MM_HINT_T0);
            }
            if (a_next) _mm_prefetch((const char *)(a_next + p * MR), _MM_HINT_T0);
            const __m512 b0v = _mm512_loadu_ps(b), b0w = _mm512_loadu_ps(b + brs);
            const __m512 b1v = masked ? _mm512_maskz_loadu_ps(m1, b1) : _mm512_loadu_ps(b1);
            const __m512 b1w = masked ? _mm512_maskz_loadu_ps(m1, b1 + brs) : _mm512_loadu_ps(b1 + brs);
            EACH_ROW {
                const __m512 av = _mm512_set1_ps(a[r]), aw = _mm512_set1_ps(a[MR + r]);
                lo[r] = _mm512_fmadd_ps(av, b0v, lo[r]);
                hi[r] = _mm512_fmadd_ps(av, b1v, hi[r]);
                lo_odd[r] = _mm512_fmadd_ps(aw, b0w, lo_odd[r]);
                hi_odd[r] = _mm512_fmadd_ps(aw, b1w, hi_odd[r]);
            }
            a += 2 * MR;
            b += 2 * brs;
            b1 += 2 * brs;
        }
    }
    for (; p < k; p++) {
        if (p < prefetch_rows) {
            _mm_prefetch((const char *)(prefetch + p * brs), _MM_HINT_T0);
            _mm_prefetch((const char *)(prefetch + (b1 - b) + p * brs), _MM_HINT_T0);
        }
        if (a_next) _mm_prefetch((const char *)(a_next + p * MR), _MM_HINT_T0);
        const __m512 b0v = _mm512_loadu_ps(b);
        const __m512 b1v = masked ? _mm512_maskz_loadu_ps(m1, b1) : _mm512_loadu_ps(b1);
        EACH_ROW {
            const __m512 av = _mm512_set1_ps(a[r]);
            lo[r] = _mm512_fmadd_ps(av, b0v, lo[r]);
            hi[r] = _mm512_fmadd_ps(av, b1v, hi[r]);
        }
        a += MR;
        b += brs;
        b1 += brs;
    }
    if (split) EACH_ROW {
        lo[r] = _mm512_add_ps(lo[r], lo_odd[r]);
        hi[r] = _mm512_add_ps(hi[r], hi_odd[r]);
    }
    const tile_ep second = shifted16(e, flags);
    EACH_ROW {
        store16(c + r * ldc, lo[r], r, m0, flags, e, 1);
        store16(c + r * ldc + NR, hi[r], r, m1, flags, &second, full);
    }
}

/// A `rows` x (1...16) tile, with even and odd k in separate accumulators so that even one A panel keeps
/// enough independent FMAs in flight.
AVX512 INLINE void tile16(const int rows, const int masked, const int full, int64_t k, const float *a, const float *b, int64_t brs,
                          float *c, int64_t ldc, int64_t cols, const int flags, const tile_ep *e,
                          const float *prefetch, int64_t prefetch_rows, const float *a_next) {
    __m512 even[MR], odd[MR];
    EACH_ROW {
        even[r] = (flags & EP_ROW_BIAS) && !(flags & EP_ACCUMULATE) ? _mm512_set1_ps(e->bias[r]) : _mm512_setzero_ps();
        odd[r] = _mm512_setzero_ps();
    }
    const __mmask16 m = cols >= NR ? (__mmask16)0xFFFF : (__mmask16)((1u << cols) - 1);
    EACH_ROW _mm_prefetch((const char *)(c + r * ldc), _MM_HINT_T0);
    int64_t p = 0;
    for (; p + 2 <= k; p += 2) {
        if (p < prefetch_rows) {
            _mm_prefetch((const char *)(prefetch + p * brs), _MM_HINT_T0);
            _mm_prefetch((const char *)(prefetch + (p + 1) * brs), _MM_HINT_T0);
        }
        if (a_next) _mm_prefetch((const char *)(a_next + p * MR), _MM_HINT_T0);
        const __m512 b0 = masked ? _mm512_maskz_loadu_ps(m, b) : _mm512_loadu_ps(b);
        const __m512 b1 = masked ? _mm512_maskz_loadu_ps(m, b + brs) : _mm512_loadu_ps(b + brs);
        EACH_ROW {
            even[r] = _mm512_fmadd_ps(_mm512_set1_ps(a[r]), b0, even[r]);
            odd[r] = _mm512_fmadd_ps(_mm512_set1_ps(a[MR + r]), b1, odd[r]);
        }
        a += 2 * MR;
        b += 2 * brs;
    }
    if (p < k) {
        const __m512 b0 = masked ? _mm512_maskz_loadu_ps(m, b) : _mm512_loadu_ps(b);
        EACH_ROW even[r] = _mm512_fmadd_ps(_mm512_set1_ps(a[r]), b0, even[r]);
    }
    EACH_ROW store16(c + r * ldc, _mm512_add_ps(even[r], odd[r]), r, m, flags, e, full);
}

/// The trailing arguments of a tile call inside the macro-kernel's loop: C, the epilogue (`flags` given) and the hints.
#define TILE_OUT(flags) panel.c, ldc, cols, flags, &panel.ep, panel.prefetch, panel.prefetch_rows, panel.a_next

#define TILE32_CASES(masked, full)                                                                               \
    switch (rows) {                                                                                              \
    case 6: tile32(6, masked, full, k, panel.a, bj, b1, b_row_stride, TILE_OUT(flags)); break;                       \
    case 5: tile32(5, masked, full, k, panel.a, bj, b1, b_row_stride, TILE_OUT(flags)); break;                       \
    case 4: tile32(4, masked, full, k, panel.a, bj, b1, b_row_stride, TILE_OUT(flags)); break;                       \
    case 3: tile32(3, masked, full, k, panel.a, bj, b1, b_row_stride, TILE_OUT(flags)); break;                       \
    case 2: tile32(2, masked, full, k, panel.a, bj, b1, b_row_stride, TILE_OUT(flags)); break;                       \
    default: tile32(1, masked, full, k, panel.a, bj, b1, b_row_stride, TILE_OUT(flags)); break;                      \
    }

/// Full 6 x 32 tiles, the hot path, with the epilogue's flags as constants for the combinations models use.
#define FULL_TILE(f) tile32(6, 0, 1, k, panel.a, bj, b1, b_row_stride, TILE_OUT(f))
#define FULL_TILE_CASES FLEX_FULL_TILE_CASES(FULL_TILE, flags)

#define TILE16_CASES(masked, full)                                                                               \
    switch (rows) {                                                                                              \
    case 6: tile16(6, masked, full, k, panel.a, bj, b_row_stride, TILE_OUT(flags)); break;                           \
    case 5: tile16(5, masked, full, k, panel.a, bj, b_row_stride, TILE_OUT(flags)); break;                           \
    case 4: tile16(4, masked, full, k, panel.a, bj, b_row_stride, TILE_OUT(flags)); break;                           \
    case 3: tile16(3, masked, full, k, panel.a, bj, b_row_stride, TILE_OUT(flags)); break;                           \
    case 2: tile16(2, masked, full, k, panel.a, bj, b_row_stride, TILE_OUT(flags)); break;                           \
    default: tile16(1, masked, full, k, panel.a, bj, b_row_stride, TILE_OUT(flags)); break;                          \
    }

AVX512 void flex_sgemm_macro_avx512(int64_t m, int64_t n, int64_t k, const float *a, int64_t a_stride,
                                    const float *b, int64_t b_stride, int64_t b_row_stride, float *c, int64_t ldc,
                                    int32_t accumulate, const flex_epilogue *epilogue, const float *a_after) {
    // B read in place (rows of the source matrix) rather than from packed panels.
    const int in_place = b_row_stride != NR;
    const int flags = flex_gemm_flags(accumulate, epilogue);
    for (int64_t j = 0; j < n; j += 2 * NR) {
        const int64_t cols = n - j < 2 * NR ? n - j : 2 * NR;
        const float *bj = b + (j / NR) * b_stride;
        const float *b1 = bj + b_stride;
        // The next column tile's B, prefetched by the row panels (`flex_prefetch_share`).
        const float *next = j + 2 * NR < n ? bj + 2 * b_stride : NULL;
        for (int64_t i = 0; i < m; i += MR) {
            const row_panel panel = flex_row_panel(i, j, m, k, a, a_stride, c, ldc, next, b_row_stride, flags, epilogue, a_after);
            const int64_t rows = panel.rows;
            if (cols > NR) {
                if (cols == 2 * NR) {
                    if (rows == MR) { FULL_TILE_CASES } else { TILE32_CASES(0, 1) }
                } else if (in_place) { TILE32_CASES(1, 0) } else { TILE32_CASES(0, 0) }
            } else {
                if (cols == NR) { TILE16_CASES(0, 1) } else if (in_place) { TILE16_CASES(1, 0) } else { TILE16_CASES(0, 0) }
            }
        }
    }
}

#else

/// The epilogue of the tile whose top-left element is (row, col) of the block `e` describes.
static inline flex_epilogue tile_epilogue(const flex_epilogue *e, int64_t row, int64_t col) {
    flex_epilogue tile = *e;
    if (tile.bias) tile.bias += tile.bias_per_column ? col : row;
    if (tile.residual) tile.residual += row * tile.residual_stride + col;
    return tile;
}

// Other architectures never choose the AVX-512 kernels; this keeps the symbol correct anyway.
void flex_sgemm_macro_avx512(int64_t m, int64_t n, int64_t k, const float *a, int64_t a_stride,
                             const float *b, int64_t b_stride, int64_t b_row_stride, float *c, int64_t ldc,
                             int32_t accumulate, const flex_epilogue *epilogue, const float *a_after) {
    (void)a_after;
    for (int64_t i = 0; i < m; i++) {
        const float *panel = a + (i / MR) * a_stride + i % MR;
        for (int64_t j = 0; j < n; j++) {
            const float *column = b + (j / NR) * b_stride + j % NR;
            float sum = 0;
            for (int64_t p = 0; p < k; p++) sum += panel[p * MR] * column[p * b_row_stride];
            if (accumulate) sum += c[i * ldc + j];
            if (epilogue) {
                const flex_epilogue tile = tile_epilogue(epilogue, i, j);
                if (tile.bias) sum += tile.bias[0];
                if (tile.residual) sum += tile.residual[0];
                if (tile.clamp) sum = sum < tile.lower ? tile.lower : (sum > tile.upper ? tile.upper : sum);
            }
            c[i * ldc + j] = sum;
        }
    }
}

#endif
