#include "CFlexKernels.h"
#include "epilogue_scalar.h"

// Winograd F(4x4, 3x3) transforms (Lavin & Gray 2015):
//   B^T = [4  0 -5  0 1 0;  0 -4 -4  1 1 0;  0 4 -4 -1 1 0;  0 -2 -1 2 1 0;  0 2 -1 -2 1 0;  0 4 0 -5 0 1]
//   A^T = [1 1 1 1 1 0;  0 1 -1 2 -2 0;  0 1 1 4 4 0;  0 1 -1 8 -8 1]
// The weight transform G g G^T is done in Swift when a convolution is prepared.

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

static inline float *v_slot(float *v, int64_t matrix_stride, int64_t panel_stride, int64_t position, int64_t tile) {
    return v + position * matrix_stride + (tile / 16) * panel_stride + tile % 16;
}

void flex_winograd43_input_portable(const float *input, const flex_winograd_chunk *c, float *v,
                                    int64_t matrix_stride, int64_t panel_stride, float *scratch) {
    (void)scratch;
    const int64_t tiles = c->tile_rows * c->tiles_per_row, padded = (tiles + 7) / 8 * 8;
    for (int64_t t = 0; t < padded; t++) {
        float d[36] = {0}, half[36], result[36];
        if (t < tiles) {
            const int64_t ty = c->tile_row_start + t / c->tiles_per_row, tx = t % c->tiles_per_row;
            for (int64_t i = 0; i < 6; i++) {
                const int64_t iy = 4 * ty - c->pad_h + i;
                if (iy < 0 || iy >= c->height) continue;
                for (int64_t j = 0; j < 6; j++) {
                    const int64_t ix = 4 * tx - c->pad_w + j;
                    if (ix >= 0 && ix < c->width) d[i * 6 + j] = input[iy * c->width + ix];
                }
            }
        }
        for (int j = 0; j < 6; j++) input_transform6(d + j, 6, half + j, 6);       // B^T d (columns)
        for (int i = 0; i < 6; i++) input_transform6(half + i * 6, 1, result + i * 6, 1);  // (.) B (rows)
        for (int p = 0; p < 36; p++) *v_slot(v, matrix_stride, panel_stride, p, t) = result[p];
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
        const int64_t ty = c->tile_row_start + t / c->tiles_per_row, tx = t % c->tiles_per_row;
        for (int64_t y = 0; y < 4; y++) {
            const int64_t oy = 4 * ty + y;
            if (oy >= c->height) break;
            for (int64_t x = 0; x < 4; x++) {
                const int64_t ox = 4 * tx + x;
                if (ox >= c->width) break;
                output[oy * c->width + ox] = flex_plane_epilogue_apply(e, result[y * 4 + x], oy, ox);
            }
        }
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
    const int64_t tiles = c->tile_rows * per_row, padded = (tiles + 7) / 8 * 8;
    const int64_t width = c->width, pad_w = c->pad_w;
    // Vertical pass: Y_q[r][pad_w + x] = (B^T d)[r] over the 6 input rows of tile row q, zero-padded.
    for (int64_t q = 0; q < c->tile_rows; q++) {
        float *y = scratch + q * 6 * row_width;
        const float *rows[6];
        for (int i = 0; i < 6; i++) {
            const int64_t iy = 4 * (c->tile_row_start + q) - c->pad_h + i;
            rows[i] = (iy >= 0 && iy < c->height) ? input + iy * width : NULL;
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
            for (int j = 0; j < 6; j++) _mm256_storeu_ps(v_slot(v, matrix_stride, panel_stride, r * 6 + j, t0), out[j]);
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
        const int64_t ty = c->tile_row_start + t0 / per_row, tx = t0 % per_row;
        const int fast = t0 + 8 <= tiles && t0 / per_row == (t0 + 7) / per_row && 4 * (tx + 8) <= c->width &&
                         4 * ty + 4 <= c->height;
        if (fast) {
            for (int y = 0; y < 4; y++) {
                __m256 u[4], a[4];
                for (int x = 0; x < 4; x++) u[x] = _mm256_permutevar8x32_ps(result[y][x], permuted);
                interleave4(u, a);
                const int64_t oy = 4 * ty + y;
                float *out = output + oy * c->width + 4 * tx;
                for (int k = 0; k < 4; k++) {
                    __m256 value = a[k];
                    if (e) {
                        if (e->bias) value = _mm256_add_ps(value, bias);
                        if (e->residual)
                            value = _mm256_add_ps(value, _mm256_loadu_ps(e->residual + oy * e->residual_stride + 4 * tx + 8 * k));
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
                const int64_t lty = c->tile_row_start + t / per_row, ltx = t % per_row;
                for (int64_t y = 0; y < 4 && 4 * lty + y < c->height; y++) {
                    for (int64_t x = 0; x < 4 && 4 * ltx + x < c->width; x++) {
                        const int64_t oy = 4 * lty + y, ox = 4 * ltx + x;
                        output[oy * c->width + ox] = flex_plane_epilogue_apply(e, values[y][x][lane], oy, ox);
                    }
                }
            }
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

#endif
