#include <stddef.h>
#include "kernels.h"
#include "epilogue_scalar.h"
#include "winograd_tiles.h"

// Winograd F(4x4, 3x3) transforms (Lavin & Gray 2015):
//   B^T = [4  0 -5  0 1 0;  0 -4 -4  1 1 0;  0 4 -4 -1 1 0;  0 -2 -1 2 1 0;  0 2 -1 -2 1 0;  0 4 0 -5 0 1]
//   A^T = [1 1 1 1 1 0;  0 1 -1 2 -2 0;  0 1 1 4 4 0;  0 1 -1 8 -8 1]
// The weight transform G g G^T (below; F(2x2, 3x3) uses it with its own G) runs when a convolution is
// prepared.

void flex_winograd_transform_weights(const float *weights, int64_t output_channels, int64_t input_channels,
                                     const double *g, int64_t a, float *out) {
    const int64_t matrix = output_channels * input_channels;
    for (int64_t o = 0; o < output_channels; o++) {
        for (int64_t c = 0; c < input_channels; c++) {
            const float *filter = weights + (o * input_channels + c) * 9;
            for (int64_t i = 0; i < a; i++) {
                for (int64_t j = 0; j < a; j++) {
                    double sum = 0;
                    for (int64_t ky = 0; ky < 3; ky++) {
                        for (int64_t kx = 0; kx < 3; kx++) sum += g[i * 3 + ky] * (double)filter[ky * 3 + kx] * g[j * 3 + kx];
                    }
                    out[(i * a + j) * matrix + o * input_channels + c] = (float)sum;
                }
            }
        }
    }
}

/// `out[k * stride] = (B^T d)[k]` for the 6 values `d[k * stride]`.
static inline void input_transform6(const float *d, int64_t ds, float *out, int64_t os) {
    const float d0 = d[0], d1 = d[ds], d2 = d[2 * ds], d3 = d[3 * ds], d4 = d[4 * ds], d5 = d[5 * ds];
    out[0] = 4 * d0 - 5 * d2 + d4;
    out[os] = (d3 + d4) - 4 * (d1 + d2);
    out[2 * os] = (d4 - d3) + 4 * (d1 - d2);
    out[3 * os] = (d4 - d2) + 2 * (d3 - d1);
    out[4 * os] = (d4 - d2) - 2 * (d3 - d1);
    out[5 * os] = 4 * d1 - 5 * d3 + d5;
}

/// `out[k * stride] = (A^T m)[k]` for the 6 values `m[k * stride]`.
static inline void output_transform6(const float *m, int64_t ms, float *out, int64_t os) {
    const float a = m[ms] + m[2 * ms], b = m[ms] - m[2 * ms];
    const float c = m[3 * ms] + m[4 * ms], d = m[3 * ms] - m[4 * ms];
    out[0] = m[0] + a + c;
    out[os] = b + 2 * d;
    out[2 * os] = a + 4 * c;
    out[3 * os] = b + 8 * d + m[5 * ms];
}

void flex_winograd43_input_portable(const float *input, const flex_winograd_chunk *c, float *v,
                                    int64_t matrix_stride, int64_t panel_stride, float *scratch) {
    (void)scratch;
    const int64_t tiles = c->tile_rows * c->tiles_per_row, padded = (tiles + 15) / 16 * 16;
    for (int64_t t = 0; t < padded; t++) {
        float d[36] = {0}, half[36], result[36];
        if (t < tiles) flex_winograd_gather_tile(input, c, t, 4, d);
        for (int j = 0; j < 6; j++) input_transform6(d + j, 6, half + j, 6);       // B^T d (columns)
        for (int i = 0; i < 6; i++) input_transform6(half + i * 6, 1, result + i * 6, 1);  // (.) B (rows)
        for (int p = 0; p < 36; p++) *flex_winograd_v_slot(v, matrix_stride, panel_stride, p, t) = result[p];
    }
}

void flex_winograd43_output_portable(const float *m, int64_t matrix_stride, const flex_winograd_chunk *c,
                                     float *output, const flex_epilogue *e) {
    const int64_t tiles = c->tile_rows * c->tiles_per_row;
    for (int64_t t = 0; t < tiles; t++) {
        float tile[36], half[24], result[16];
        for (int p = 0; p < 36; p++) tile[p] = m[p * matrix_stride + t];
        for (int i = 0; i < 6; i++) output_transform6(tile + i * 6, 1, half + i * 4, 1);  // rows: 6x4
        for (int x = 0; x < 4; x++) output_transform6(half + x, 4, result + x, 4);        // columns: 4x4
        flex_winograd_scatter_tile(output, c, t, 4, result, e);
    }
}

#if defined(__x86_64__)
#include "avx2_helpers.h"

FLEX_AVX2 static inline void input_transform6_avx2(const __m256 d[6], __m256 out[6]) {
    const __m256 four = _mm256_set1_ps(4), five = _mm256_set1_ps(5), two = _mm256_set1_ps(2);
    out[0] = _mm256_fmadd_ps(four, d[0], _mm256_fnmadd_ps(five, d[2], d[4]));
    out[1] = _mm256_fnmadd_ps(four, _mm256_add_ps(d[1], d[2]), _mm256_add_ps(d[3], d[4]));
    out[2] = _mm256_fmadd_ps(four, _mm256_sub_ps(d[1], d[2]), _mm256_sub_ps(d[4], d[3]));
    const __m256 d42 = _mm256_sub_ps(d[4], d[2]), d31 = _mm256_sub_ps(d[3], d[1]);
    out[3] = _mm256_fmadd_ps(two, d31, d42);
    out[4] = _mm256_fnmadd_ps(two, d31, d42);
    out[5] = _mm256_fmadd_ps(four, d[1], _mm256_fnmadd_ps(five, d[3], d[5]));
}

FLEX_AVX2 static inline void output_transform6_avx2(const __m256 m[6], __m256 out[4]) {
    const __m256 a = _mm256_add_ps(m[1], m[2]), b = _mm256_sub_ps(m[1], m[2]);
    const __m256 c = _mm256_add_ps(m[3], m[4]), d = _mm256_sub_ps(m[3], m[4]);
    out[0] = _mm256_add_ps(_mm256_add_ps(m[0], a), c);
    out[1] = _mm256_fmadd_ps(_mm256_set1_ps(2), d, b);
    out[2] = _mm256_fmadd_ps(_mm256_set1_ps(4), c, a);
    out[3] = _mm256_add_ps(_mm256_fmadd_ps(_mm256_set1_ps(8), d, b), m[5]);
}

/// From 32 consecutive floats at `p` (8 tiles' columns 0-3), the vectors of column 0..3 across the 8
/// tiles, each in lane order [t0 t2 t4 t6 t1 t3 t5 t7].
FLEX_AVX2 static inline void deinterleave4(const float *p, __m256 u[4]) {
    const __m256 a0 = _mm256_loadu_ps(p), a1 = _mm256_loadu_ps(p + 8);
    const __m256 a2 = _mm256_loadu_ps(p + 16), a3 = _mm256_loadu_ps(p + 24);
    const __m256 t0 = _mm256_unpacklo_ps(a0, a1), t1 = _mm256_unpackhi_ps(a0, a1);
    const __m256 t2 = _mm256_unpacklo_ps(a2, a3), t3 = _mm256_unpackhi_ps(a2, a3);
    u[0] = _mm256_shuffle_ps(t0, t2, _MM_SHUFFLE(1, 0, 1, 0));
    u[1] = _mm256_shuffle_ps(t0, t2, _MM_SHUFFLE(3, 2, 3, 2));
    u[2] = _mm256_shuffle_ps(t1, t3, _MM_SHUFFLE(1, 0, 1, 0));
    u[3] = _mm256_shuffle_ps(t1, t3, _MM_SHUFFLE(3, 2, 3, 2));
}

/// Inverse of `deinterleave4`: 4 column vectors in lane order [t0 t2 t4 t6 t1 t3 t5 t7] to 32
/// consecutive floats (tile-major).
FLEX_AVX2 static inline void interleave4(const __m256 u[4], __m256 a[4]) {
    const __m256 t0 = _mm256_shuffle_ps(u[0], u[1], _MM_SHUFFLE(1, 0, 1, 0));
    const __m256 t2 = _mm256_shuffle_ps(u[0], u[1], _MM_SHUFFLE(3, 2, 3, 2));
    const __m256 t1 = _mm256_shuffle_ps(u[2], u[3], _MM_SHUFFLE(1, 0, 1, 0));
    const __m256 t3 = _mm256_shuffle_ps(u[2], u[3], _MM_SHUFFLE(3, 2, 3, 2));
    a[0] = _mm256_shuffle_ps(t0, t1, _MM_SHUFFLE(2, 0, 2, 0));
    a[1] = _mm256_shuffle_ps(t0, t1, _MM_SHUFFLE(3, 1, 3, 1));
    a[2] = _mm256_shuffle_ps(t2, t3, _MM_SHUFFLE(2, 0, 2, 0));
    a[3] = _mm256_shuffle_ps(t2, t3, _MM_SHUFFLE(3, 1, 3, 1));
}

FLEX_AVX2 void flex_winograd43_input_avx2(const float *input, const flex_winograd_chunk *c, float *v,
                                     int64_t matrix_stride, int64_t panel_stride, float *scratch) {
    const int64_t per_row = c->tiles_per_row, row_width = 4 * per_row + 8;
    const int64_t tiles = c->tile_rows * per_row, padded = (tiles + 15) / 16 * 16;
    const int64_t width = c->width, pad_w = c->pad_w;
    // Vertical pass: Y_q[r][pad_w + x] = (B^T d)[r] over the 6 input rows of tile row q, zero-padded.
    for (int64_t q = 0; q < c->tile_rows; q++) {
        float *y = scratch + q * 6 * row_width;
        const float *rows[6];
        const int64_t row = c->tile_row_start + q;
        const float *plane = input + row / c->rows_per_image * c->image_stride;
        for (int i = 0; i < 6; i++) {
            const int64_t iy = 4 * (row % c->rows_per_image) - c->pad_h + i;
            rows[i] = (iy >= 0 && iy < c->height) ? plane + iy * width : NULL;
        }
        for (int r = 0; r < 6; r++) {
            for (int64_t x = 0; x < pad_w; x++) y[r * row_width + x] = 0;
            for (int64_t x = pad_w + width; x < row_width; x++) y[r * row_width + x] = 0;
        }
        int64_t x = 0;
        for (; x + 8 <= width; x += 8) {
            __m256 d[6], out[6];
            for (int i = 0; i < 6; i++) d[i] = rows[i] ? _mm256_loadu_ps(rows[i] + x) : _mm256_setzero_ps();
            input_transform6_avx2(d, out);
            for (int r = 0; r < 6; r++) _mm256_storeu_ps(y + r * row_width + pad_w + x, out[r]);
        }
        for (; x < width; x++) {
            float d[6];
            for (int i = 0; i < 6; i++) d[i] = rows[i] ? rows[i][x] : 0;
            input_transform6(d, 1, y + pad_w + x, row_width);
        }
    }
    // Horizontal pass, 8 tiles at a time: V[r][j] = (Y[r][4tx .. 4tx+6] B)[j].
    const __m256i natural = _mm256_setr_epi32(0, 4, 1, 5, 2, 6, 3, 7);
    for (int64_t t0 = 0; t0 < padded; t0 += 8) {
        const int one_row = t0 + 8 <= tiles && t0 / per_row == (t0 + 7) / per_row;
        for (int r = 0; r < 6; r++) {
            __m256 d[6], out[6];
            if (one_row) {
                const float *p = scratch + (t0 / per_row) * 6 * row_width + r * row_width + 4 * (t0 % per_row);
                __m256 next[4];
                deinterleave4(p, d);
                deinterleave4(p + 4, next);
                d[4] = next[0];
                d[5] = next[1];
                input_transform6_avx2(d, out);
                for (int j = 0; j < 6; j++) out[j] = _mm256_permutevar8x32_ps(out[j], natural);
            } else {
                float gathered[6][8];
                for (int lane = 0; lane < 8; lane++) {
                    const int64_t t = t0 + lane;
                    for (int i = 0; i < 6; i++) {
                        gathered[i][lane] = t < tiles
                            ? scratch[(t / per_row) * 6 * row_width + r * row_width + 4 * (t % per_row) + i]
                            : 0;
                    }
                }
                for (int i = 0; i < 6; i++) d[i] = _mm256_loadu_ps(gathered[i]);
                input_transform6_avx2(d, out);
            }
            for (int j = 0; j < 6; j++) _mm256_storeu_ps(flex_winograd_v_slot(v, matrix_stride, panel_stride, r * 6 + j, t0), out[j]);
        }
    }
}

FLEX_AVX2 void flex_winograd43_output_avx2(const float *m, int64_t matrix_stride, const flex_winograd_chunk *c,
                                      float *output, const flex_epilogue *e) {
    const int64_t per_row = c->tiles_per_row, tiles = c->tile_rows * per_row;
    const __m256i permuted = _mm256_setr_epi32(0, 2, 4, 6, 1, 3, 5, 7);
    const __m256 bias = _mm256_set1_ps(e && e->bias ? e->bias[0] : 0);
    const __m256 lower = _mm256_set1_ps(e && e->clamp ? e->lower : 0);
    const __m256 upper = _mm256_set1_ps(e && e->clamp ? e->upper : 0);
    for (int64_t t0 = 0; t0 < tiles; t0 += 8) {
        // Rows then columns: half[i][x] = (m[i][.] A)[x], result[y][x] = (A^T half[.][x])[y].
        __m256 half[6][4], result[4][4];
        for (int i = 0; i < 6; i++) {
            __m256 row[6];
            for (int j = 0; j < 6; j++) {
                const float *p = m + (i * 6 + j) * matrix_stride + t0;
                if (t0 + 8 <= tiles) {
                    row[j] = _mm256_loadu_ps(p);
                } else {
                    float lanes[8] = {0};
                    for (int64_t lane = 0; lane < tiles - t0; lane++) lanes[lane] = p[lane];
                    row[j] = _mm256_loadu_ps(lanes);
                }
            }
            output_transform6_avx2(row, half[i]);
        }
        for (int x = 0; x < 4; x++) {
            __m256 column[6], out[4];
            for (int i = 0; i < 6; i++) column[i] = half[i][x];
            output_transform6_avx2(column, out);
            for (int y = 0; y < 4; y++) result[y][x] = out[y];
        }
        const int64_t row = c->tile_row_start + t0 / per_row, tx = t0 % per_row;
        const int64_t ty = row % c->rows_per_image, image = row / c->rows_per_image;
        const int fast = t0 + 8 <= tiles && t0 / per_row == (t0 + 7) / per_row && 4 * (tx + 8) <= c->width &&
                         4 * ty + 4 <= c->height;
        if (fast) {
            float *plane = output + image * c->image_stride;
            const float *residual = e && e->residual ? e->residual + image * c->image_stride : NULL;
            for (int y = 0; y < 4; y++) {
                __m256 u[4], a[4];
                for (int x = 0; x < 4; x++) u[x] = _mm256_permutevar8x32_ps(result[y][x], permuted);
                interleave4(u, a);
                const int64_t oy = 4 * ty + y;
                float *out = plane + oy * c->width + 4 * tx;
                for (int k = 0; k < 4; k++) {
                    __m256 value = a[k];
                    if (e) {
                        if (e->bias) value = _mm256_add_ps(value, bias);
                        if (residual)
                            value = _mm256_add_ps(value, _mm256_loadu_ps(residual + oy * e->residual_stride + 4 * tx + 8 * k));
                        if (e->clamp) value = _mm256_min_ps(_mm256_max_ps(value, lower), upper);
                    }
                    _mm256_storeu_ps(out + 8 * k, value);
                }
            }
        } else {
            float values[4][4][8];
            for (int y = 0; y < 4; y++)
                for (int x = 0; x < 4; x++) _mm256_storeu_ps(values[y][x], result[y][x]);
            for (int64_t lane = 0; lane < 8 && t0 + lane < tiles; lane++) {
                const int64_t t = t0 + lane;
                const int64_t lrow = c->tile_row_start + t / per_row, ltx = t % per_row;
                const int64_t lty = lrow % c->rows_per_image, limage = lrow / c->rows_per_image;
                const flex_epilogue shifted = flex_winograd_image_epilogue(e, limage * c->image_stride);
                float *plane = output + limage * c->image_stride;
                for (int64_t y = 0; y < 4 && 4 * lty + y < c->height; y++) {
                    for (int64_t x = 0; x < 4 && 4 * ltx + x < c->width; x++) {
                        const int64_t oy = 4 * lty + y, ox = 4 * ltx + x;
                        plane[oy * c->width + ox] = flex_plane_epilogue_apply(e ? &shifted : NULL, values[y][x][lane], oy, ox);
                    }
                }
            }
        }
    }
}

// MARK: AVX-512F: one tile row of up to 16 tiles per vector

#define AVX512 __attribute__((target("avx512f")))
#define AVX512_INLINE __attribute__((target("avx512f"), always_inline)) static inline

AVX512_INLINE void input_transform6_avx512(const __m512 d[6], __m512 out[6]) {
    const __m512 four = _mm512_set1_ps(4), five = _mm512_set1_ps(5), two = _mm512_set1_ps(2);
    out[0] = _mm512_fmadd_ps(four, d[0], _mm512_fnmadd_ps(five, d[2], d[4]));
    out[1] = _mm512_fnmadd_ps(four, _mm512_add_ps(d[1], d[2]), _mm512_add_ps(d[3], d[4]));
    out[2] = _mm512_fmadd_ps(four, _mm512_sub_ps(d[1], d[2]), _mm512_sub_ps(d[4], d[3]));
    const __m512 d42 = _mm512_sub_ps(d[4], d[2]), d31 = _mm512_sub_ps(d[3], d[1]);
    out[3] = _mm512_fmadd_ps(two, d31, d42);
    out[4] = _mm512_fnmadd_ps(two, d31, d42);
    out[5] = _mm512_fmadd_ps(four, d[1], _mm512_fnmadd_ps(five, d[3], d[5]));
}

AVX512_INLINE void output_transform6_avx512(const __m512 m[6], __m512 out[4]) {
    const __m512 a = _mm512_add_ps(m[1], m[2]), b = _mm512_sub_ps(m[1], m[2]);
    const __m512 c = _mm512_add_ps(m[3], m[4]), d = _mm512_sub_ps(m[3], m[4]);
    out[0] = _mm512_add_ps(_mm512_add_ps(m[0], a), c);
    out[1] = _mm512_fmadd_ps(_mm512_set1_ps(2), d, b);
    out[2] = _mm512_fmadd_ps(_mm512_set1_ps(4), c, a);
    out[3] = _mm512_add_ps(_mm512_fmadd_ps(_mm512_set1_ps(8), d, b), m[5]);
}

/// Lanes `0 ..< n` (n <= 16) set.
AVX512_INLINE __mmask16 first_lanes(int64_t n) { return n >= 16 ? (__mmask16)0xFFFF : (__mmask16)((1u << n) - 1); }

/// Columns j = 0...3 of 16 consecutive 4-float groups `p[4l + j]` (64 floats), one vector each.
AVX512_INLINE void columns4_avx512(const float *p, __m512 u[4]) {
    const __m512 a0 = _mm512_loadu_ps(p), a1 = _mm512_loadu_ps(p + 16);
    const __m512 a2 = _mm512_loadu_ps(p + 32), a3 = _mm512_loadu_ps(p + 48);
    for (int j = 0; j < 4; j++) {
        // Lane l takes element j + 4l of (a0 a1) for l < 8 and of (a2 a3) for l >= 8: one index vector for both.
        const __m512i index = _mm512_add_epi32(_mm512_set1_epi32(j),
                                               _mm512_setr_epi32(0, 4, 8, 12, 16, 20, 24, 28, 0, 4, 8, 12, 16, 20, 24, 28));
        u[j] = _mm512_mask_blend_ps(0xFF00, _mm512_permutex2var_ps(a0, index, a1), _mm512_permutex2var_ps(a2, index, a3));
    }
}

/// Stores lanes `0 ..< n` of `value` as tiles `t ..< t + n` of one V matrix laid out in 16-tile panels
/// `panel_stride` floats apart (a run of tiles may continue in the next panel).
AVX512_INLINE void store_tiles(float *matrix, int64_t panel_stride, int64_t t, int64_t n, __m512 value) {
    float *slot = matrix + (t / 16) * panel_stride + t % 16;
    const int64_t room = 16 - t % 16;
    if (n == 16 && room == 16) {
        _mm512_storeu_ps(slot, value);
    } else if (n <= room) {
        _mm512_mask_storeu_ps(slot, first_lanes(n), value);
    } else {
        _mm512_mask_storeu_ps(slot, first_lanes(room), value);
        // Lanes room ..< n start the next panel: its start minus `room` puts lane `room` there.
        _mm512_mask_storeu_ps(slot + panel_stride - 16, (__mmask16)(first_lanes(n) & ~first_lanes(room)), value);
    }
}

AVX512 void flex_winograd43_input_avx512(const float *input, const flex_winograd_chunk *c, float *v,
                                         int64_t matrix_stride, int64_t panel_stride, float *scratch,
                                         const float *next_input) {
    const int64_t per_row = c->tiles_per_row, groups = (per_row + 15) / 16, row_width = 64 * groups + 32;
    const int64_t width = c->width, pad_w = c->pad_w, tiles = c->tile_rows * per_row;
    const __mmask16 tail = first_lanes(width % 16);
    for (int64_t q = 0; q < c->tile_rows; q++) {
        const int64_t row = c->tile_row_start + q;
        const float *plane = input + row / c->rows_per_image * c->image_stride;
        const float *rows[6];
        for (int i = 0; i < 6; i++) {
            const int64_t iy = 4 * (row % c->rows_per_image) - c->pad_h + i;
            rows[i] = (iy >= 0 && iy < c->height) ? plane + iy * width : NULL;
        }
        // The same input rows of the next channel, a whole channel's work ahead of their use.
        if (next_input) {
            const int64_t top = 4 * (row % c->rows_per_image) - c->pad_h;
            const int64_t first = top < 0 ? 0 : top, end = top + 6 < c->height ? top + 6 : c->height;
            const float *next = next_input + (plane - input);
            for (int64_t offset = first * width; offset < end * width; offset += 16) _mm_prefetch((const char *)(next + offset), _MM_HINT_T0);
        }
        // Vertical pass: Y[r][pad_w + x] = (B^T d)[r] over the tile row's 6 input rows; zeros around them.
        for (int r = 0; r < 6; r++) {
            float *y = scratch + r * row_width;
            for (int64_t x = 0; x < pad_w; x++) y[x] = 0;
            // The horizontal pass reads up to Y[64 * groups + 3]; these stores end before row_width.
            for (int64_t x = pad_w + (width + 15) / 16 * 16; x < 64 * groups + 16; x += 16)
                _mm512_storeu_ps(y + x, _mm512_setzero_ps());
        }
        for (int64_t x = 0; x < width; x += 16) {
            const __mmask16 lanes = x + 16 <= width ? (__mmask16)0xFFFF : tail;
            __m512 d[6], out[6];
            for (int i = 0; i < 6; i++) d[i] = rows[i] ? _mm512_maskz_loadu_ps(lanes, rows[i] + x) : _mm512_setzero_ps();
            input_transform6_avx512(d, out);
            for (int r = 0; r < 6; r++) _mm512_storeu_ps(scratch + r * row_width + pad_w + x, out[r]);
        }
        // Horizontal pass, 16 tiles of the row at a time: V[r][j] = (Y[r][4tx ..< 4tx + 6] B)[j].
        for (int64_t tx = 0; tx < per_row; tx += 16) {
            const int64_t n = per_row - tx < 16 ? per_row - tx : 16, t = q * per_row + tx;
            for (int r = 0; r < 6; r++) {
                const float *p = scratch + r * row_width + 4 * tx;
                __m512 d[6], next[4], out[6];
                columns4_avx512(p, d);
                columns4_avx512(p + 4, next);
                d[4] = next[0];
                d[5] = next[1];
                input_transform6_avx512(d, out);
                for (int j = 0; j < 6; j++) store_tiles(v + (r * 6 + j) * matrix_stride, panel_stride, t, n, out[j]);
            }
        }
    }
    // Zeros for the lanes of the last panel past the chunk's tiles (the GEMM reads whole panels).
    if (tiles % 16 != 0) {
        for (int p = 0; p < 36; p++)
            store_tiles(v + p * matrix_stride, panel_stride, tiles, 16 - tiles % 16, _mm512_setzero_ps());
    }
}

/// Tile-major interleave of the 4 column vectors `u[x]` (lane l = tile l): `out[k]` holds tiles
/// 4k ..< 4k + 4, 4 columns each.
AVX512_INLINE void interleave4_avx512(const __m512 u[4], __m512 out[4]) {
    const __m512 lo01 = _mm512_unpacklo_ps(u[0], u[1]), hi01 = _mm512_unpackhi_ps(u[0], u[1]);
    const __m512 lo23 = _mm512_unpacklo_ps(u[2], u[3]), hi23 = _mm512_unpackhi_ps(u[2], u[3]);
    // s_k's 128-bit block b is tile 4b + k.
    const __m512 s0 = _mm512_shuffle_ps(lo01, lo23, _MM_SHUFFLE(1, 0, 1, 0));
    const __m512 s1 = _mm512_shuffle_ps(lo01, lo23, _MM_SHUFFLE(3, 2, 3, 2));
    const __m512 s2 = _mm512_shuffle_ps(hi01, hi23, _MM_SHUFFLE(1, 0, 1, 0));
    const __m512 s3 = _mm512_shuffle_ps(hi01, hi23, _MM_SHUFFLE(3, 2, 3, 2));
    const __m512 q0 = _mm512_shuffle_f32x4(s0, s1, _MM_SHUFFLE(1, 0, 1, 0));
    const __m512 q1 = _mm512_shuffle_f32x4(s2, s3, _MM_SHUFFLE(1, 0, 1, 0));
    const __m512 q2 = _mm512_shuffle_f32x4(s0, s1, _MM_SHUFFLE(3, 2, 3, 2));
    const __m512 q3 = _mm512_shuffle_f32x4(s2, s3, _MM_SHUFFLE(3, 2, 3, 2));
    out[0] = _mm512_shuffle_f32x4(q0, q1, _MM_SHUFFLE(2, 0, 2, 0));
    out[1] = _mm512_shuffle_f32x4(q0, q1, _MM_SHUFFLE(3, 1, 3, 1));
    out[2] = _mm512_shuffle_f32x4(q2, q3, _MM_SHUFFLE(2, 0, 2, 0));
    out[3] = _mm512_shuffle_f32x4(q2, q3, _MM_SHUFFLE(3, 1, 3, 1));
}

AVX512 void flex_winograd43_output_avx512(const float *m, int64_t matrix_stride, const flex_winograd_chunk *c,
                                          float *output, const flex_epilogue *e, int64_t next_plane) {
    const int64_t per_row = c->tiles_per_row, width = c->width;
    const __m512 bias = _mm512_set1_ps(e && e->bias ? e->bias[0] : 0);
    const __m512 lower = _mm512_set1_ps(e && e->clamp ? e->lower : 0);
    const __m512 upper = _mm512_set1_ps(e && e->clamp ? e->upper : 0);
    for (int64_t q = 0; q < c->tile_rows; q++) {
        const int64_t row = c->tile_row_start + q, ty = row % c->rows_per_image;
        const int64_t image_offset = row / c->rows_per_image * c->image_stride;
        flex_winograd_prefetch_next_rows(output, e, next_plane, image_offset, ty, 4, c);
        for (int64_t tx = 0; tx < per_row; tx += 16) {
            const int64_t t = q * per_row + tx;
            // Rows then columns: half[i][x] = (m[i][.] A)[x], result[y][x] = (A^T half[.][x])[y].
            __m512 half[6][4], result[4][4];
            for (int i = 0; i < 6; i++) {
                __m512 products[6];
                for (int j = 0; j < 6; j++) products[j] = _mm512_loadu_ps(m + (i * 6 + j) * matrix_stride + t);
                output_transform6_avx512(products, half[i]);
            }
            for (int x = 0; x < 4; x++) {
                __m512 column[6], out[4];
                for (int i = 0; i < 6; i++) column[i] = half[i][x];
                output_transform6_avx512(column, out);
                for (int y = 0; y < 4; y++) result[y][x] = out[y];
            }
            for (int y = 0; y < 4 && 4 * ty + y < c->height; y++) {
                const int64_t oy = 4 * ty + y;
                float *out = output + image_offset + oy * width;
                const float *residual = e && e->residual ? e->residual + image_offset + oy * e->residual_stride : NULL;
                __m512 values[4];
                interleave4_avx512(result[y], values);
                for (int k = 0; k < 4; k++) {
                    const int64_t x = 4 * tx + 16 * k;
                    if (x >= width) break;
                    const int full = x + 16 <= width;
                    const __mmask16 lanes = first_lanes(width - x);
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

/// `rows` (a constant after inlining) x 16 block of `flex_winograd43_gemm16_avx512`; even and odd k in
/// separate accumulators (a single 16-column panel leaves too few independent FMAs otherwise), and one
/// line of the A panel `ahead` floats further prefetched per two k (96 lines a panel at k = 256).
AVX512_INLINE void gemm16_rows(const int rows, int64_t k, const float *a, const float *b, float *c, int64_t ldc,
                               __mmask16 columns, int64_t ahead) {
    __m512 even[6], odd[6];
    for (int r = 0; r < rows; r++) even[r] = odd[r] = _mm512_setzero_ps();
    int64_t p = 0;
    for (; p + 2 <= k; p += 2) {
        _mm_prefetch((const char *)(a + ahead + p * 6), _MM_HINT_T0);
        const __m512 b0 = _mm512_loadu_ps(b + p * 16), b1 = _mm512_loadu_ps(b + p * 16 + 16);
        for (int r = 0; r < rows; r++) {
            even[r] = _mm512_fmadd_ps(_mm512_set1_ps(a[p * 6 + r]), b0, even[r]);
            odd[r] = _mm512_fmadd_ps(_mm512_set1_ps(a[p * 6 + 6 + r]), b1, odd[r]);
        }
    }
    if (p < k) {
        const __m512 b0 = _mm512_loadu_ps(b + p * 16);
        for (int r = 0; r < rows; r++) even[r] = _mm512_fmadd_ps(_mm512_set1_ps(a[p * 6 + r]), b0, even[r]);
    }
    for (int r = 0; r < rows; r++) {
        const __m512 sum = _mm512_add_ps(even[r], odd[r]);
        if (columns == 0xFFFF) _mm512_storeu_ps(c + r * ldc, sum);
        else _mm512_mask_storeu_ps(c + r * ldc, columns, sum);
    }
}

AVX512 void flex_winograd43_gemm16_avx512(int64_t m, int64_t n, int64_t k, const float *a, int64_t a_stride,
                                          const float *b, float *c, int64_t ldc) {
    const __mmask16 columns = first_lanes(n);
    const int64_t panels = (m + 5) / 6;
    for (int64_t i = 0; i < panels; i++) {
        const int64_t rows = m - 6 * i < 6 ? m - 6 * i : 6;
        // The next panel while there is one, else nothing new (the panel itself, already in L1).
        const int64_t ahead = i + 1 < panels ? a_stride : 0;
        const float *ai = a + i * a_stride;
        float *ci = c + 6 * i * ldc;
        switch (rows) {
        case 6: gemm16_rows(6, k, ai, b, ci, ldc, columns, ahead); break;
        case 5: gemm16_rows(5, k, ai, b, ci, ldc, columns, ahead); break;
        case 4: gemm16_rows(4, k, ai, b, ci, ldc, columns, ahead); break;
        case 3: gemm16_rows(3, k, ai, b, ci, ldc, columns, ahead); break;
        case 2: gemm16_rows(2, k, ai, b, ci, ldc, columns, ahead); break;
        default: gemm16_rows(1, k, ai, b, ci, ldc, columns, ahead); break;
        }
    }
}

#else

void flex_winograd43_input_avx2(const float *input, const flex_winograd_chunk *chunk, float *v,
                                int64_t matrix_stride, int64_t panel_stride, float *scratch) {
    flex_winograd43_input_portable(input, chunk, v, matrix_stride, panel_stride, scratch);
}

void flex_winograd43_output_avx2(const float *m, int64_t matrix_stride, const flex_winograd_chunk *chunk,
                                 float *output, const flex_epilogue *epilogue) {
    flex_winograd43_output_portable(m, matrix_stride, chunk, output, epilogue);
}

void flex_winograd43_input_avx512(const float *input, const flex_winograd_chunk *chunk, float *v,
                                  int64_t matrix_stride, int64_t panel_stride, float *scratch,
                                  const float *next_input) {
    (void)next_input;
    flex_winograd43_input_portable(input, chunk, v, matrix_stride, panel_stride, scratch);
}

void flex_winograd43_output_avx512(const float *m, int64_t matrix_stride, const flex_winograd_chunk *chunk,
                                   float *output, const flex_epilogue *epilogue, int64_t next_plane) {
    (void)next_plane;
    flex_winograd43_output_portable(m, matrix_stride, chunk, output, epilogue);
}

void flex_winograd43_gemm16_avx512(int64_t m, int64_t n, int64_t k, const float *a, int64_t a_stride,
                                   const float *b, float *c, int64_t ldc) {
    for (int64_t i = 0; i < m; i++) {
        for (int64_t j = 0; j < n; j++) {
            float sum = 0;
            for (int64_t p = 0; p < k; p++) sum += a[(i / 6) * a_stride + p * 6 + i % 6] * b[p * 16 + j];
            c[i * ldc + j] = sum;
        }
    }
}

#endif
