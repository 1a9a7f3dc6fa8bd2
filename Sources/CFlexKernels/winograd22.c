#include <stddef.h>
#include <stdint.h>
#include "kernels.h"
#include "epilogue_scalar.h"
#include "winograd_tiles.h"

// Winograd F(2x2, 3x3) transforms (Lavin & Gray 2015):
//   B^T = [1 0 -1 0;  0 1 1 0;  0 -1 1 0;  0 1 0 -1]
//   A^T = [1 1 1 0;  0 1 -1 -1]
// The weight transform G g G^T is done in Swift when a convolution is prepared. Tiles are those of
// `flex_winograd_chunk` with a step of 2: tile (ty, tx) covers output rows 2ty ..< 2ty + 2 and input rows
// 2ty - pad_h ..< 2ty - pad_h + 4 (likewise columns).

/// `out[k * os] = (B^T d)[k]` for the 4 values `d[k * ds]`.
static inline void input_transform4(const float *d, int64_t ds, float *out, int64_t os) {
    const float d0 = d[0], d1 = d[ds], d2 = d[2 * ds], d3 = d[3 * ds];
    out[0] = d0 - d2;
    out[os] = d1 + d2;
    out[2 * os] = d2 - d1;
    out[3 * os] = d1 - d3;
}

/// `out[k * os] = (A^T m)[k]` for the 4 values `m[k * ms]`.
static inline void output_transform4(const float *m, int64_t ms, float *out, int64_t os) {
    out[0] = m[0] + m[ms] + m[2 * ms];
    out[os] = m[ms] - m[2 * ms] - m[3 * ms];
}

void flex_winograd22_input_portable(const float *input, const flex_winograd_chunk *c, float *v,
                                    int64_t matrix_stride, int64_t panel_stride) {
    const int64_t tiles = c->tile_rows * c->tiles_per_row, padded = (tiles + 15) / 16 * 16;
    for (int64_t t = 0; t < padded; t++) {
        float d[16] = {0}, half[16], result[16];
        if (t < tiles) flex_winograd_gather_tile(input, c, t, 2, d);
        for (int j = 0; j < 4; j++) input_transform4(d + j, 4, half + j, 4);                // B^T d (columns)
        for (int i = 0; i < 4; i++) input_transform4(half + i * 4, 1, result + i * 4, 1);  // (.) B (rows)
        for (int p = 0; p < 16; p++) *flex_winograd_v_slot(v, matrix_stride, panel_stride, p, t) = result[p];
    }
}

void flex_winograd22_output_portable(const float *m, int64_t matrix_stride, const flex_winograd_chunk *c,
                                     float *output, const flex_epilogue *e) {
    const int64_t tiles = c->tile_rows * c->tiles_per_row;
    for (int64_t t = 0; t < tiles; t++) {
        float tile[16], half[8], result[4];
        for (int p = 0; p < 16; p++) tile[p] = m[p * matrix_stride + t];
        for (int i = 0; i < 4; i++) output_transform4(tile + i * 4, 1, half + i * 2, 1);  // rows: 4x2
        for (int x = 0; x < 2; x++) output_transform4(half + x, 2, result + x, 2);        // columns: 2x2
        flex_winograd_scatter_tile(output, c, t, 2, result, e);
    }
}

void flex_winograd22_table(const flex_winograd_chunk *c, void *table) {
    const int64_t tiles = c->tile_rows * c->tiles_per_row, panels = (tiles + 15) / 16;
    int32_t *offsets = (int32_t *)table;
    uint16_t *masks = (uint16_t *)(offsets + 16 * panels);
    const int64_t first_image = c->tile_row_start / c->rows_per_image;
    for (int64_t p = 0; p < 16 * panels; p++) masks[p] = 0;
    for (int64_t t = 0; t < 16 * panels; t++) {
        offsets[t] = 0;
        if (t >= tiles) continue;
        const int64_t row = c->tile_row_start + t / c->tiles_per_row, tx = t % c->tiles_per_row;
        const int64_t top = 2 * (row % c->rows_per_image) - c->pad_h, left = 2 * tx - c->pad_w;
        offsets[t] = (int32_t)((row / c->rows_per_image - first_image) * c->image_stride + top * c->width + left);
        for (int64_t i = 0; i < 4; i++) {
            for (int64_t j = 0; j < 4; j++) {
                if (top + i >= 0 && top + i < c->height && left + j >= 0 && left + j < c->width)
                    masks[(t / 16) * 16 + i * 4 + j] |= (uint16_t)(1u << (t % 16));
            }
        }
    }
}

#if defined(__x86_64__)
#include <immintrin.h>

// MARK: AVX-512F: one tile row of up to 16 tiles per vector

#define AVX512 __attribute__((target("avx512f")))
#define AVX512_INLINE __attribute__((target("avx512f"), always_inline)) static inline

AVX512_INLINE void input_transform4_avx512(const __m512 d[4], __m512 out[4]) {
    out[0] = _mm512_sub_ps(d[0], d[2]);
    out[1] = _mm512_add_ps(d[1], d[2]);
    out[2] = _mm512_sub_ps(d[2], d[1]);
    out[3] = _mm512_sub_ps(d[1], d[3]);
}

AVX512_INLINE void output_transform4_avx512(const __m512 m[4], __m512 out[2]) {
    out[0] = _mm512_add_ps(_mm512_add_ps(m[0], m[1]), m[2]);
    out[1] = _mm512_sub_ps(_mm512_sub_ps(m[1], m[2]), m[3]);
}

/// Lanes `0 ..< n` (n <= 16) set.
AVX512_INLINE __mmask16 lanes22(int64_t n) { return n >= 16 ? (__mmask16)0xFFFF : (__mmask16)((1u << n) - 1); }

AVX512 void flex_winograd22_input_avx512(const float *input, const flex_winograd_chunk *c, const void *table,
                                         float *v, int64_t matrix_stride, int64_t panel_stride) {
    const int64_t panels = (c->tile_rows * c->tiles_per_row + 15) / 16;
    const int32_t *offsets = (const int32_t *)table;
    const uint16_t *masks = (const uint16_t *)(offsets + 16 * panels);
    const float *base = input + c->tile_row_start / c->rows_per_image * c->image_stride;
    for (int64_t panel = 0; panel < panels; panel++) {
        // d[i * 4 + j]: element (i, j) of the panel's 16 tiles, zero outside the plane and past the tiles.
        const __m512i corner = _mm512_loadu_si512(offsets + 16 * panel);
        __m512 d[16], half[16];
        for (int i = 0; i < 4; i++) {
            for (int j = 0; j < 4; j++) {
                const __m512i index = _mm512_add_epi32(corner, _mm512_set1_epi32((int32_t)(i * c->width + j)));
                d[i * 4 + j] = _mm512_mask_i32gather_ps(_mm512_setzero_ps(), masks[16 * panel + i * 4 + j], index, base, 4);
            }
        }
        for (int j = 0; j < 4; j++) {  // B^T d (columns)
            const __m512 column[4] = {d[j], d[4 + j], d[8 + j], d[12 + j]};
            __m512 out[4];
            input_transform4_avx512(column, out);
            for (int k = 0; k < 4; k++) half[k * 4 + j] = out[k];
        }
        for (int i = 0; i < 4; i++) {  // (.) B (rows), stored as whole panels
            __m512 out[4];
            input_transform4_avx512(half + i * 4, out);
            for (int j = 0; j < 4; j++) _mm512_storeu_ps(v + (i * 4 + j) * matrix_stride + panel * panel_stride, out[j]);
        }
    }
}

AVX512 void flex_winograd22_output_avx512(const float *m, int64_t matrix_stride, const flex_winograd_chunk *c,
                                          float *output, const flex_epilogue *e, int64_t next_plane) {
    const int64_t per_row = c->tiles_per_row, width = c->width;
    const __m512 bias = _mm512_set1_ps(e && e->bias ? e->bias[0] : 0);
    const __m512 lower = _mm512_set1_ps(e && e->clamp ? e->lower : 0);
    const __m512 upper = _mm512_set1_ps(e && e->clamp ? e->upper : 0);
    // Interleaving columns x = 0, 1 of 16 tiles: tiles 0 ..< 8 then 8 ..< 16, tile-major.
    const __m512i low = _mm512_setr_epi32(0, 16, 1, 17, 2, 18, 3, 19, 4, 20, 5, 21, 6, 22, 7, 23);
    const __m512i high = _mm512_add_epi32(low, _mm512_set1_epi32(8));
    for (int64_t q = 0; q < c->tile_rows; q++) {
        const int64_t row = c->tile_row_start + q, ty = row % c->rows_per_image;
        const int64_t image_offset = row / c->rows_per_image * c->image_stride;
        flex_winograd_prefetch_next_rows(output, e, next_plane, image_offset, ty, 2, c);
        for (int64_t tx = 0; tx < per_row; tx += 16) {
            const int64_t t = q * per_row + tx;
            // Rows then columns: half[i][x] = (m[i][.] A)[x], result[y][x] = (A^T half[.][x])[y].
            __m512 half[4][2], result[2][2];
            for (int i = 0; i < 4; i++) {
                __m512 products[4];
                for (int j = 0; j < 4; j++) products[j] = _mm512_loadu_ps(m + (i * 4 + j) * matrix_stride + t);
                output_transform4_avx512(products, half[i]);
            }
            for (int x = 0; x < 2; x++) {
                const __m512 column[4] = {half[0][x], half[1][x], half[2][x], half[3][x]};
                __m512 out[2];
                output_transform4_avx512(column, out);
                result[0][x] = out[0];
                result[1][x] = out[1];
            }
            for (int y = 0; y < 2 && 2 * ty + y < c->height; y++) {
                const int64_t oy = 2 * ty + y;
                float *out = output + image_offset + oy * width;
                const float *residual = e && e->residual ? e->residual + image_offset + oy * e->residual_stride : NULL;
                const __m512 values[2] = {_mm512_permutex2var_ps(result[y][0], low, result[y][1]),
                                          _mm512_permutex2var_ps(result[y][0], high, result[y][1])};
                for (int k = 0; k < 2; k++) {
                    const int64_t x = 2 * tx + 16 * k;
                    if (x >= width) break;
                    const int full = x + 16 <= width;
                    const __mmask16 lanes = lanes22(width - x);
                    __m512 value = values[k];
                    if (e) {
                        if (e->bias) value = _mm512_add_ps(value, bias);
                        if (residual)
                            value = _mm512_add_ps(value, full ? _mm512_loadu_ps(residual + x) : _mm512_maskz_loadu_ps(lanes, residual + x));
                        if (e->clamp) value = _mm512_min_ps(_mm512_max_ps(value, lower), upper);
                    }
                    if (full) _mm512_storeu_ps(out + x, value);
                    else _mm512_mask_storeu_ps(out + x, lanes, value);
                }
            }
        }
    }
}

#else

void flex_winograd22_input_avx512(const float *input, const flex_winograd_chunk *chunk, const void *table,
                                  float *v, int64_t matrix_stride, int64_t panel_stride) {
    (void)table;
    flex_winograd22_input_portable(input, chunk, v, matrix_stride, panel_stride);
}

void flex_winograd22_output_avx512(const float *m, int64_t matrix_stride, const flex_winograd_chunk *chunk,
                                   float *output, const flex_epilogue *epilogue, int64_t next_plane) {
    (void)next_plane;
    flex_winograd22_output_portable(m, matrix_stride, chunk, output, epilogue);
}

#endif
