#ifndef CFLEXKERNELS_WINOGRAD_TILES_H
#define CFLEXKERNELS_WINOGRAD_TILES_H
// Tile addressing shared by the Winograd F(4x4, 3x3) and F(2x2, 3x3) kernels (a private header of
// CFlexKernels). Tile t of a `flex_winograd_chunk` with output tiles of `step` x `step` (4 or 2) lies in
// tile row `tile_row_start + t / tiles_per_row` of the batch (image `row / rows_per_image`, row
// `row % rows_per_image` in it) and column `t % tiles_per_row`; its input tile is `alpha` x `alpha`
// (`step + 2`) from row `step * ty - pad_h` and column `step * tx - pad_w`.

#include <stdint.h>
#include "kernels.h"
#include "epilogue_scalar.h"

/// The epilogue of image `offset / image_stride`: its residual plane moved by `offset` floats.
static inline flex_epilogue flex_winograd_image_epilogue(const flex_epilogue *e, int64_t offset) {
    flex_epilogue shifted = {0};
    if (e) {
        shifted = *e;
        if (shifted.residual) shifted.residual += offset;
    }
    return shifted;
}

/// Where V keeps transformed value `position` of tile `tile`: GEMM B panels of 16 tiles.
static inline float *flex_winograd_v_slot(float *v, int64_t matrix_stride, int64_t panel_stride, int64_t position,
                                          int64_t tile) {
    return v + position * matrix_stride + (tile / 16) * panel_stride + tile % 16;
}

/// `d[i * alpha + j]` = tile `t`'s input value (i, j) from the first image's plane `input` (zeros outside
/// the plane); `d` must be zeroed by the caller.
static inline void flex_winograd_gather_tile(const float *input, const flex_winograd_chunk *c, int64_t t, int step,
                                             float *d) {
    const int alpha = step + 2;
    const int64_t row = c->tile_row_start + t / c->tiles_per_row, tx = t % c->tiles_per_row;
    const int64_t ty = row % c->rows_per_image;
    const float *plane = input + row / c->rows_per_image * c->image_stride;
    for (int64_t i = 0; i < alpha; i++) {
        const int64_t iy = step * ty - c->pad_h + i;
        if (iy < 0 || iy >= c->height) continue;
        for (int64_t j = 0; j < alpha; j++) {
            const int64_t ix = step * tx - c->pad_w + j;
            if (ix >= 0 && ix < c->width) d[i * alpha + j] = plane[iy * c->width + ix];
        }
    }
}

/// Writes tile `t`'s `step` x `step` outputs `result[y * step + x]` into the first image's plane `output`
/// (clipped to the plane) through the epilogue `e` (NULL for none).
static inline void flex_winograd_scatter_tile(float *output, const flex_winograd_chunk *c, int64_t t, int step,
                                              const float *result, const flex_epilogue *e) {
    const int64_t row = c->tile_row_start + t / c->tiles_per_row, tx = t % c->tiles_per_row;
    const int64_t ty = row % c->rows_per_image, offset = row / c->rows_per_image * c->image_stride;
    const flex_epilogue shifted = flex_winograd_image_epilogue(e, offset);
    float *plane = output + offset;
    for (int64_t y = 0; y < step && step * ty + y < c->height; y++) {
        for (int64_t x = 0; x < step && step * tx + x < c->width; x++) {
            const int64_t oy = step * ty + y, ox = step * tx + x;
            plane[oy * c->width + ox] = flex_plane_epilogue_apply(e ? &shifted : NULL, result[y * step + x], oy, ox);
        }
    }
}

#if defined(__x86_64__)
#include <immintrin.h>

/// Pulls the next channel's output rows of tile row `ty` (and its residual rows) into cache, a channel's
/// work ahead: that plane starts `next_plane` floats after this one (0: none), the image at `image_offset`.
__attribute__((target("avx512f"))) static inline void flex_winograd_prefetch_next_rows(
    const float *output, const flex_epilogue *e, int64_t next_plane, int64_t image_offset, int64_t ty, int step,
    const flex_winograd_chunk *c) {
    if (!next_plane) return;
    const int64_t first = step * ty * c->width;
    const int64_t end = (step * ty + step < c->height ? step * ty + step : c->height) * c->width;
    for (int64_t offset = first; offset < end; offset += 16) {
        _mm_prefetch((const char *)(output + next_plane + image_offset + offset), _MM_HINT_ET0);
        if (e && e->residual) _mm_prefetch((const char *)(e->residual + next_plane + image_offset + offset), _MM_HINT_T0);
    }
}
#endif

#endif
