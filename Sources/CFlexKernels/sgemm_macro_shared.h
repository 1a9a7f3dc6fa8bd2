#ifndef FLEX_SGEMM_MACRO_SHARED_H
#define FLEX_SGEMM_MACRO_SHARED_H
// What the AVX2 and AVX-512 GEMM macro-kernels share: the epilogue decoded per tile, the split of the
// next column tile's B among the row panels that prefetch it, and the full-tile specialisations.
#include <stddef.h>
#include "kernels.h"

/// What a tile does after its k loop, as bits: a constant in the specialised full tiles (so the compiler
/// drops what they do not use), a run-time value elsewhere.
enum { EP_ACCUMULATE = 1, EP_ROW_BIAS = 2, EP_COLUMN_BIAS = 4, EP_RESIDUAL = 8, EP_CLAMP = 16 };

/// An epilogue decoded for one tile: `bias` and `residual` start at its top-left element.
typedef struct {
    const float *bias;
    const float *residual;
    int64_t residual_stride;
    float lower, upper;
} tile_ep;

/// The `EP_*` bits of a block's accumulate flag and epilogue (NULL for none).
static inline int flex_gemm_flags(int32_t accumulate, const flex_epilogue *e) {
    return (accumulate ? EP_ACCUMULATE : 0) | (e && e->bias ? (e->bias_per_column ? EP_COLUMN_BIAS : EP_ROW_BIAS) : 0)
        | (e && e->residual ? EP_RESIDUAL : 0) | (e && e->clamp ? EP_CLAMP : 0);
}

/// The epilogue of the tile whose top-left element is (row, col) of the block `e` describes.
static inline tile_ep flex_tile_ep(const flex_epilogue *e, int flags, int64_t row, int64_t col) {
    const tile_ep tile = {
        .bias = flags & EP_ROW_BIAS ? e->bias + row : flags & EP_COLUMN_BIAS ? e->bias + col : NULL,
        .residual = flags & EP_RESIDUAL ? e->residual + row * e->residual_stride + col : NULL,
        .residual_stride = e ? e->residual_stride : 0,
        .lower = e ? e->lower : 0,
        .upper = e ? e->upper : 0,
    };
    return tile;
}

/// Row panel `panel` of `panels` pulls an equal share of the next column tile's `k` B rows (`next`, rows
/// `row_stride` apart; NULL for none) into cache, so that B streamed from memory arrives at a steady rate:
/// its first row in `*rows_start`, their count returned.
static inline int64_t flex_prefetch_share(const float *next, int64_t row_stride, int64_t panel, int64_t panels,
                                          int64_t k, const float **rows_start) {
    if (!next) {
        *rows_start = NULL;
        return 0;
    }
    const int64_t first = panel * k / panels;
    *rows_start = next + first * row_stride;
    return (panel + 1) * k / panels - first;
}

/// Row panel `i / FLEX_GEMM_MR` of a macro-kernel's column tile at column `j`: what its tile reads and writes.
typedef struct {
    int64_t rows;            // 1...FLEX_GEMM_MR
    const float *a;          // its packed A panel
    float *c;                // its tile's top-left element of C
    const float *prefetch;   // its share of the next column tile's B rows (`flex_prefetch_share`)
    int64_t prefetch_rows;
    const float *a_next;     // the A panel to prefetch meanwhile (NULL for none)
    tile_ep ep;
} row_panel;

/// The row panel starting at row `i` of column tile `j` of a macro-kernel's `C[m x n] (+)= A . B` (its
/// arguments as the slot's), with `next` the next column tile's B (NULL for none). The first column tile
/// streams A (often weights from memory), so its panels prefetch the next panel, or the next block's.
static inline row_panel flex_row_panel(int64_t i, int64_t j, int64_t m, int64_t k, const float *a, int64_t a_stride,
                                       float *c, int64_t ldc, const float *next, int64_t b_row_stride, int flags,
                                       const flex_epilogue *epilogue, const float *a_after) {
    const int64_t panel = i / FLEX_GEMM_MR;
    row_panel p;
    p.rows = m - i < FLEX_GEMM_MR ? m - i : FLEX_GEMM_MR;
    p.a = a + panel * a_stride;
    p.c = c + i * ldc + j;
    p.prefetch_rows = flex_prefetch_share(next, b_row_stride, panel, (m + FLEX_GEMM_MR - 1) / FLEX_GEMM_MR, k, &p.prefetch);
    p.a_next = j != 0 ? NULL : i + FLEX_GEMM_MR < m ? p.a + a_stride : a_after;
    p.ep = flex_tile_ep(epilogue, flags, i, j);
    return p;
}

/// A switch over `flags` calling `FULL_TILE(f)` with `f` a constant for the combinations models use, so
/// that the hot full tiles compile without the epilogue's run-time tests.
#define FLEX_FULL_TILE_CASES(FULL_TILE, flags)                                                               \
    switch (flags) {                                                                                         \
    case 0: FULL_TILE(0); break;                                                                             \
    case EP_ACCUMULATE: FULL_TILE(EP_ACCUMULATE); break;                                                     \
    case EP_ROW_BIAS: FULL_TILE(EP_ROW_BIAS); break;                                                         \
    case EP_ROW_BIAS | EP_CLAMP: FULL_TILE(EP_ROW_BIAS | EP_CLAMP); break;                                   \
    case EP_ROW_BIAS | EP_RESIDUAL: FULL_TILE(EP_ROW_BIAS | EP_RESIDUAL); break;                             \
    case EP_ROW_BIAS | EP_RESIDUAL | EP_CLAMP: FULL_TILE(EP_ROW_BIAS | EP_RESIDUAL | EP_CLAMP); break;       \
    case EP_ACCUMULATE | EP_ROW_BIAS | EP_CLAMP: FULL_TILE(EP_ACCUMULATE | EP_ROW_BIAS | EP_CLAMP); break;   \
    case EP_ACCUMULATE | EP_ROW_BIAS | EP_RESIDUAL | EP_CLAMP:                                               \
        FULL_TILE(EP_ACCUMULATE | EP_ROW_BIAS | EP_RESIDUAL | EP_CLAMP); break;                              \
    default: FULL_TILE(flags); break;                                                                        \
    }

#endif
