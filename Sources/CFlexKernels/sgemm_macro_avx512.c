#include <stddef.h>
#include "CFlexKernels.h"

enum { MR = FLEX_GEMM_MR, NR = FLEX_GEMM_NR };

/// The epilogue of the tile whose top-left element is (row, col) of the block `e` describes.
static inline flex_epilogue tile_epilogue(const flex_epilogue *e, int64_t row, int64_t col) {
    flex_epilogue tile = *e;
    if (tile.bias) tile.bias += tile.bias_per_column ? col : row;
    if (tile.residual) tile.residual += row * tile.residual_stride + col;
    return tile;
}

#if defined(__x86_64__)
#include <immintrin.h>

#define AVX512 __attribute__((target("avx512f")))
#define INLINE __attribute__((always_inline)) static inline

/// A 16-float load at `p`: all of it when `full` (a constant), else the lanes in `m`, zero elsewhere.
AVX512 INLINE __m512 load16(const float *p, __mmask16 m, const int full) {
    return full ? _mm512_loadu_ps(p) : _mm512_maskz_loadu_ps(m, p);
}

/// Accumulate, epilogue and store of one row of up to 16 columns (`m`); a `full` row (a constant) loads
/// and stores without masks, which are slow here.
AVX512 INLINE void store16(float *c, __m512 v, int64_t row, __mmask16 m, int32_t accumulate, const flex_epilogue *e,
                           const int full) {
    if (accumulate) v = _mm512_add_ps(v, load16(c, m, full));
    if (e) {
        if (e->bias) v = _mm512_add_ps(v, e->bias_per_column ? load16(e->bias, m, full) : _mm512_set1_ps(e->bias[row]));
        if (e->residual) v = _mm512_add_ps(v, load16(e->residual + row * e->residual_stride, m, full));
        if (e->clamp) v = _mm512_min_ps(_mm512_max_ps(v, _mm512_set1_ps(e->lower)), _mm512_set1_ps(e->upper));
    }
    if (full) _mm512_storeu_ps(c, v);
    else _mm512_mask_storeu_ps(c, m, v);
}

/// The column-shifted epilogue for the second 16 columns of a 32-column tile.
INLINE flex_epilogue shifted16(const flex_epilogue *e) {
    flex_epilogue shifted = *e;
    if (shifted.bias && shifted.bias_per_column) shifted.bias += NR;
    if (shifted.residual) shifted.residual += NR;
    return shifted;
}

/// A `rows` x (17...32) tile: `rows` (a constant after inlining) A rows from the panel `a` against B columns
/// `b[p * brs + 0...15]` and `b1[p * brs + 0...15]`. `masked` (a constant) loads B's valid columns only,
/// for B read in place, whose rows end at the matrix's last column.
AVX512 INLINE void tile32(const int rows, const int masked, const int full, int64_t k, const float *a, const float *b, const float *b1,
                          int64_t brs, float *c, int64_t ldc, int64_t cols, int32_t accumulate, const flex_epilogue *e,
                          const float *prefetch, int64_t prefetch_rows, const float *a_next) {
    __m512 lo[MR], hi[MR];
    for (int r = 0; r < rows; r++) lo[r] = hi[r] = _mm512_setzero_ps();
    const __mmask16 m0 = 0xFFFF;
    const __mmask16 m1 = cols >= 2 * NR ? (__mmask16)0xFFFF : (__mmask16)((1u << (cols - NR)) - 1);
    for (int r = 0; r < rows; r++) _mm_prefetch((const char *)(c + r * ldc), _MM_HINT_T0);
    for (int64_t p = 0; p < k; p++) {
        if (p < prefetch_rows) {
            _mm_prefetch((const char *)(prefetch + p * brs), _MM_HINT_T0);
            _mm_prefetch((const char *)(prefetch + (b1 - b) + p * brs), _MM_HINT_T0);
        }
        if (a_next) _mm_prefetch((const char *)(a_next + p * MR), _MM_HINT_T0);
        const __m512 b0v = _mm512_loadu_ps(b);
        const __m512 b1v = masked ? _mm512_maskz_loadu_ps(m1, b1) : _mm512_loadu_ps(b1);
        for (int r = 0; r < rows; r++) {
            const __m512 av = _mm512_set1_ps(a[r]);
            lo[r] = _mm512_fmadd_ps(av, b0v, lo[r]);
            hi[r] = _mm512_fmadd_ps(av, b1v, hi[r]);
        }
        a += MR;
        b += brs;
        b1 += brs;
    }
    flex_epilogue second;
    if (e) second = shifted16(e);
    for (int r = 0; r < rows; r++) {
        store16(c + r * ldc, lo[r], r, m0, accumulate, e, 1);
        store16(c + r * ldc + NR, hi[r], r, m1, accumulate, e ? &second : NULL, full);
    }
}

/// A `rows` x (1...16) tile, with even and odd k in separate accumulators so that even one A panel keeps
/// enough independent FMAs in flight.
AVX512 INLINE void tile16(const int rows, const int masked, const int full, int64_t k, const float *a, const float *b, int64_t brs,
                          float *c, int64_t ldc, int64_t cols, int32_t accumulate, const flex_epilogue *e,
                          const float *prefetch, int64_t prefetch_rows, const float *a_next) {
    __m512 even[MR], odd[MR];
    for (int r = 0; r < rows; r++) even[r] = odd[r] = _mm512_setzero_ps();
    const __mmask16 m = cols >= NR ? (__mmask16)0xFFFF : (__mmask16)((1u << cols) - 1);
    for (int r = 0; r < rows; r++) _mm_prefetch((const char *)(c + r * ldc), _MM_HINT_T0);
    int64_t p = 0;
    for (; p + 2 <= k; p += 2) {
        if (p < prefetch_rows) {
            _mm_prefetch((const char *)(prefetch + p * brs), _MM_HINT_T0);
            _mm_prefetch((const char *)(prefetch + (p + 1) * brs), _MM_HINT_T0);
        }
        if (a_next) _mm_prefetch((const char *)(a_next + p * MR), _MM_HINT_T0);
        const __m512 b0 = masked ? _mm512_maskz_loadu_ps(m, b) : _mm512_loadu_ps(b);
        const __m512 b1 = masked ? _mm512_maskz_loadu_ps(m, b + brs) : _mm512_loadu_ps(b + brs);
        for (int r = 0; r < rows; r++) {
            even[r] = _mm512_fmadd_ps(_mm512_set1_ps(a[r]), b0, even[r]);
            odd[r] = _mm512_fmadd_ps(_mm512_set1_ps(a[MR + r]), b1, odd[r]);
        }
        a += 2 * MR;
        b += 2 * brs;
    }
    if (p < k) {
        const __m512 b0 = masked ? _mm512_maskz_loadu_ps(m, b) : _mm512_loadu_ps(b);
        for (int r = 0; r < rows; r++) even[r] = _mm512_fmadd_ps(_mm512_set1_ps(a[r]), b0, even[r]);
    }
    for (int r = 0; r < rows; r++) store16(c + r * ldc, _mm512_add_ps(even[r], odd[r]), r, m, accumulate, e, full);
}

#define TILE32_CASES(masked, full)                                                                               \
    switch (rows) {                                                                                              \
    case 6: tile32(6, masked, full, k, ai, bj, b1, b_row_stride, cij, ldc, cols, accumulate, tile, pf, pf_rows, pa); break;         \
    case 5: tile32(5, masked, full, k, ai, bj, b1, b_row_stride, cij, ldc, cols, accumulate, tile, pf, pf_rows, pa); break;         \
    case 4: tile32(4, masked, full, k, ai, bj, b1, b_row_stride, cij, ldc, cols, accumulate, tile, pf, pf_rows, pa); break;         \
    case 3: tile32(3, masked, full, k, ai, bj, b1, b_row_stride, cij, ldc, cols, accumulate, tile, pf, pf_rows, pa); break;         \
    case 2: tile32(2, masked, full, k, ai, bj, b1, b_row_stride, cij, ldc, cols, accumulate, tile, pf, pf_rows, pa); break;         \
    default: tile32(1, masked, full, k, ai, bj, b1, b_row_stride, cij, ldc, cols, accumulate, tile, pf, pf_rows, pa); break;        \
    }

#define TILE16_CASES(masked, full)                                                                               \
    switch (rows) {                                                                                              \
    case 6: tile16(6, masked, full, k, ai, bj, b_row_stride, cij, ldc, cols, accumulate, tile, pf, pf_rows, pa); break;             \
    case 5: tile16(5, masked, full, k, ai, bj, b_row_stride, cij, ldc, cols, accumulate, tile, pf, pf_rows, pa); break;             \
    case 4: tile16(4, masked, full, k, ai, bj, b_row_stride, cij, ldc, cols, accumulate, tile, pf, pf_rows, pa); break;             \
    case 3: tile16(3, masked, full, k, ai, bj, b_row_stride, cij, ldc, cols, accumulate, tile, pf, pf_rows, pa); break;             \
    case 2: tile16(2, masked, full, k, ai, bj, b_row_stride, cij, ldc, cols, accumulate, tile, pf, pf_rows, pa); break;             \
    default: tile16(1, masked, full, k, ai, bj, b_row_stride, cij, ldc, cols, accumulate, tile, pf, pf_rows, pa); break;            \
    }

AVX512 void flex_sgemm_macro_avx512(int64_t m, int64_t n, int64_t k, const float *a, int64_t a_stride,
                                    const float *b, int64_t b_stride, int64_t b_row_stride, float *c, int64_t ldc,
                                    int32_t accumulate, const flex_epilogue *epilogue, const float *a_after) {
    // B read in place (rows of the source matrix) rather than from packed panels.
    const int in_place = b_row_stride != NR;
    for (int64_t j = 0; j < n; j += 2 * NR) {
        const int64_t cols = n - j < 2 * NR ? n - j : 2 * NR;
        const float *bj = b + (j / NR) * b_stride;
        const float *b1 = bj + b_stride;
        // The row panels pull the next column tile's B rows into cache, each an equal share of them, so
        // that B streamed from memory (weights, in a transposed GEMM) arrives at a steady rate.
        const float *next = j + 2 * NR < n ? bj + 2 * b_stride : NULL;
        const int64_t panels = (m + MR - 1) / MR;
        for (int64_t i = 0; i < m; i += MR) {
            const int64_t rows = m - i < MR ? m - i : MR;
            const float *ai = a + (i / MR) * a_stride;
            float *cij = c + i * ldc + j;
            const int64_t share_start = next ? (i / MR) * k / panels : 0;
            const int64_t pf_rows = next ? ((i / MR) + 1) * k / panels - share_start : 0;
            const float *pf = next ? next + share_start * b_row_stride : NULL;
            // The first column tile streams A (often weights from memory): pull in the next panel meanwhile.
            const float *pa = j != 0 ? NULL : i + MR < m ? ai + a_stride : a_after;
            flex_epilogue shifted;
            const flex_epilogue *tile = NULL;
            if (epilogue) {
                shifted = tile_epilogue(epilogue, i, j);
                tile = &shifted;
            }
            if (cols > NR) {
                if (cols == 2 * NR) { TILE32_CASES(0, 1) } else if (in_place) { TILE32_CASES(1, 0) } else { TILE32_CASES(0, 0) }
            } else {
                if (cols == NR) { TILE16_CASES(0, 1) } else if (in_place) { TILE16_CASES(1, 0) } else { TILE16_CASES(0, 0) }
            }
        }
    }
}

#else

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
