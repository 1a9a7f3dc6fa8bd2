#include <stddef.h>
#include <string.h>
#include "kernels.h"
#include "epilogue_scalar.h"

/// Output rows per band: the input rows a band needs are split into column phases once for all its rows.
enum { DIRECT_BAND = 8 };

static inline int64_t round16(int64_t value) { return (value + 15) / 16 * 16; }

/// Floats per column phase of one input row: 16-wide loads at every tap's offset, up to the last chunk.
static inline int64_t phase_length(const flex_plane_geometry *g) {
    return round16(round16(g->out_w) + (g->kernel_w - 1) * g->dilation_w / g->stride_w);
}

/// Input rows one band of `DIRECT_BAND` output rows reads.
static inline int64_t band_input_rows(const flex_plane_geometry *g) {
    return (DIRECT_BAND - 1) * g->stride_h + (g->kernel_h - 1) * g->dilation_h + 1;
}

int64_t flex_direct_conv_scratch_count(int64_t channels, const flex_plane_geometry *g) {
    const int64_t taps = channels * g->kernel_h * g->kernel_w;
    return channels * band_input_rows(g) * g->stride_w * phase_length(g) + taps;
}

void flex_direct_conv_portable(const float *input, int64_t channels, int64_t out_channels, const flex_plane_geometry *g,
                               const float *weights, float *output, int64_t row_start, int64_t row_count,
                               const flex_epilogue *e, float *scratch) {
    (void)scratch;
    const int64_t taps = channels * g->kernel_h * g->kernel_w, plane = g->out_h * g->out_w;
    for (int64_t o = 0; o < out_channels; o++) {
        const float *w = weights + o / 16 * taps * 16 + o % 16;
        for (int64_t y = row_start; y < row_start + row_count; y++) {
            for (int64_t x = 0; x < g->out_w; x++) {
                float sum = 0;
                for (int64_t c = 0; c < channels; c++) {
                    for (int64_t ky = 0; ky < g->kernel_h; ky++) {
                        const int64_t iy = y * g->stride_h - g->pad_h + ky * g->dilation_h;
                        if (iy < 0 || iy >= g->in_h) continue;
                        for (int64_t kx = 0; kx < g->kernel_w; kx++) {
                            const int64_t ix = x * g->stride_w - g->pad_w + kx * g->dilation_w;
                            if (ix < 0 || ix >= g->in_w) continue;
                            const int64_t t = (c * g->kernel_h + ky) * g->kernel_w + kx;
                            sum += w[t * 16] * input[(c * g->in_h + iy) * g->in_w + ix];
                        }
                    }
                }
                const int64_t p = y * g->out_w + x;
                output[o * plane + p] = e ? flex_epilogue_apply(e, sum, o, p) : sum;
            }
        }
    }
}

#if defined(__x86_64__)
#include <immintrin.h>

#define AVX512 __attribute__((target("avx512f")))

#include "lane_mask.h"

/// Splits input row `row` (`width` floats) into `stride` column phases of `length` (a multiple of 16)
/// floats at `dest`: phase `p` element `i` is the zero-padded row's column `p + stride * i`, i.e.
/// `row[p + stride * i - pad]` or 0 outside the row. Stride 2 deinterleaves both phases from the same loads.
AVX512 static void split_row(const float *row, int64_t width, int64_t pad, int64_t stride, int64_t length, float *dest) {
    if (stride == 1) {
        for (int64_t i = 0; i < length; i += 16) {
            const int64_t start = i - pad;
            const __m512 v = start >= 0 && start + 16 <= width ? _mm512_loadu_ps(row + start)
                                                                : _mm512_maskz_loadu_ps(flex_lanes_inside(start, width), row + start);
            _mm512_storeu_ps(dest + i, v);
        }
    } else if (stride == 2) {
        const __m512i evens = _mm512_setr_epi32(0, 2, 4, 6, 8, 10, 12, 14, 16, 18, 20, 22, 24, 26, 28, 30);
        const __m512i odds = _mm512_setr_epi32(1, 3, 5, 7, 9, 11, 13, 15, 17, 19, 21, 23, 25, 27, 29, 31);
        for (int64_t i = 0; i < length; i += 16) {
            const int64_t start = 2 * i - pad;
            __m512 lo, hi;
            if (start >= 0 && start + 32 <= width) {
                lo = _mm512_loadu_ps(row + start);
                hi = _mm512_loadu_ps(row + start + 16);
            } else {
                lo = _mm512_maskz_loadu_ps(flex_lanes_inside(start, width), row + start);
                hi = _mm512_maskz_loadu_ps(flex_lanes_inside(start + 16, width), row + start + 16);
            }
            _mm512_storeu_ps(dest + i, _mm512_permutex2var_ps(lo, evens, hi));
            _mm512_storeu_ps(dest + length + i, _mm512_permutex2var_ps(lo, odds, hi));
        }
    } else {
        for (int64_t p = 0; p < stride; p++) {
            for (int64_t i = 0; i < length; i++) {
                const int64_t column = p + stride * i - pad;
                dest[p * length + i] = column >= 0 && column < width ? row[column] : 0;
            }
        }
    }
}

/// 8 output channels x `xb` (1 to 3, a constant after inlining) 16-column chunks of one output row: tap `t`
/// reads 16 floats at `source + offsets[t] + 16 * i` for chunk `i` and the 8 weights at `w + 16 * t`
/// (within a 16-column panel). Stores channel `j < channels` of chunk `i` at `out + j * plane + 16 * i`
/// (mask `stores[i]`) after the epilogue of output channel `o0 + j` at pixel `pixel + 16 * i`.
AVX512 __attribute__((always_inline))
static inline void tile8(const float *source, const int32_t *offsets, int64_t taps, const float *w, float *out,
                         int64_t plane, int64_t channels, const __mmask16 stores[3], const flex_epilogue *e, int64_t o0,
                         int64_t pixel, int64_t ahead, const int xb) {
    __m512 acc[3][8];
    // The lines this tile's place `ahead` floats on (the next output row) will store to: pulled into cache
    // well before they are written, as the output of a model's first layer is not in cache.
    for (int64_t j = 0; j < channels; j++) {
#pragma clang loop unroll(full)
        for (int i = 0; i < 3; i++) {
            if (i < xb) _mm_prefetch((const char *)(out + j * plane + ahead + 16 * i), _MM_HINT_T0);
        }
    }
#pragma clang loop unroll(full)
    for (int i = 0; i < 3; i++) {
#pragma clang loop unroll(full)
        for (int j = 0; j < 8; j++) acc[i][j] = _mm512_setzero_ps();
    }
    for (int64_t t = 0; t < taps; t++, w += 16) {
        const float *p = source + offsets[t];
        __m512 v[3];
#pragma clang loop unroll(full)
        for (int i = 0; i < 3; i++) v[i] = i < xb ? _mm512_loadu_ps(p + 16 * i) : _mm512_setzero_ps();
#pragma clang loop unroll(full)
        for (int j = 0; j < 8; j++) {
            const __m512 weight = _mm512_set1_ps(w[j]);
#pragma clang loop unroll(full)
            for (int i = 0; i < 3; i++) {
                if (i < xb) acc[i][j] = _mm512_fmadd_ps(weight, v[i], acc[i][j]);
            }
        }
    }
    // The epilogue in locals: stores to `out` could otherwise alias `*e` and force reloads per vector.
    const float *bias = e ? e->bias : NULL, *residual = e ? e->residual : NULL;
    const int64_t residual_stride = e ? e->residual_stride : 0;
    const int clamp = e && e->clamp;
    const __m512 lower = _mm512_set1_ps(e ? e->lower : 0), upper = _mm512_set1_ps(e ? e->upper : 0);
#pragma clang loop unroll(full)
    for (int j = 0; j < 8; j++) {
        if (j >= channels) break;
        const int64_t o = o0 + j;
#pragma clang loop unroll(full)
        for (int i = 0; i < 3; i++) {
            if (i >= xb) break;
            __m512 sum = acc[i][j];
            if (bias) sum = _mm512_add_ps(sum, _mm512_set1_ps(bias[o]));
            if (residual) sum = _mm512_add_ps(sum, _mm512_maskz_loadu_ps(stores[i], residual + o * residual_stride + pixel + 16 * i));
            if (clamp) sum = _mm512_min_ps(_mm512_max_ps(sum, lower), upper);
            _mm512_mask_storeu_ps(out + j * plane + 16 * i, stores[i], sum);
        }
    }
}

AVX512 void flex_direct_conv_avx512(const float *input, int64_t channels, int64_t out_channels,
                                    const flex_plane_geometry *g, const float *weights, float *output,
                                    int64_t row_start, int64_t row_count, const flex_epilogue *e, float *scratch) {
    const int64_t length = phase_length(g), rows = band_input_rows(g), sw = g->stride_w;
    const int64_t row_floats = sw * length, taps = channels * g->kernel_h * g->kernel_w;
    const int64_t plane = g->out_h * g->out_w;
    float *band = scratch;
    int32_t *offsets = (int32_t *)(scratch + channels * rows * row_floats);
    for (int64_t c = 0, t = 0; c < channels; c++) {
        for (int64_t ky = 0; ky < g->kernel_h; ky++) {
            for (int64_t kx = 0; kx < g->kernel_w; kx++, t++) {
                const int64_t column = kx * g->dilation_w;
                offsets[t] = (int32_t)((c * rows + ky * g->dilation_h) * row_floats + column % sw * length + column / sw);
            }
        }
    }
    for (int64_t y0 = row_start; y0 < row_start + row_count; y0 += DIRECT_BAND) {
        const int64_t y1 = y0 + DIRECT_BAND < row_start + row_count ? y0 + DIRECT_BAND : row_start + row_count;
        const int64_t used = (y1 - y0 - 1) * g->stride_h + (g->kernel_h - 1) * g->dilation_h + 1;
        for (int64_t c = 0; c < channels; c++) {
            for (int64_t r = 0; r < used; r++) {
                const int64_t iy = y0 * g->stride_h - g->pad_h + r;
                float *dest = band + (c * rows + r) * row_floats;
                if (iy < 0 || iy >= g->in_h) memset(dest, 0, (size_t)row_floats * sizeof(float));
                else split_row(input + (c * g->in_h + iy) * g->in_w, g->in_w, g->pad_w, sw, length, dest);
            }
        }
        for (int64_t y = y0; y < y1; y++) {
            const float *source = band + (y - y0) * g->stride_h * row_floats;
            const int64_t chunks = (g->out_w + 15) / 16;
            for (int64_t x0 = 0; x0 < g->out_w;) {
                // Up to 3 chunks of 16 columns, the last one possibly partial; a row ending in a lone chunk
                // after groups of 3 ends in two groups of 2 instead (a 1-chunk tile is bound by its loads).
                const int64_t remaining = chunks - x0 / 16;
                const int64_t take = remaining >= 3 && remaining != 4 ? 3 : remaining >= 2 ? 2 : 1;
                __mmask16 stores[3];
                int xb = 0;
                for (int i = 0; i < 3; i++) {
                    const int64_t left = i < take ? g->out_w - x0 - 16 * i : 0;
                    stores[i] = left >= 16 ? (__mmask16)0xFFFF : left > 0 ? (__mmask16)((1u << left) - 1) : 0;
                    if (left > 0) xb = i + 1;
                }
                for (int64_t o0 = 0; o0 < out_channels; o0 += 8) {
                    const int64_t count = out_channels - o0 < 8 ? out_channels - o0 : 8;
                    const float *w = weights + o0 / 16 * taps * 16 + o0 % 16;
                    float *out = output + o0 * plane + y * g->out_w + x0;
                    const int64_t pixel = y * g->out_w + x0;
                    if (xb == 3) tile8(source + x0, offsets, taps, w, out, plane, count, stores, e, o0, pixel, g->out_w, 3);
                    else if (xb == 2) tile8(source + x0, offsets, taps, w, out, plane, count, stores, e, o0, pixel, g->out_w, 2);
                    else tile8(source + x0, offsets, taps, w, out, plane, count, stores, e, o0, pixel, g->out_w, 1);
                }
                x0 += 16 * take;
            }
        }
    }
}

#else

void flex_direct_conv_avx512(const float *input, int64_t channels, int64_t out_channels,
                             const flex_plane_geometry *g, const float *weights, float *output,
                             int64_t row_start, int64_t row_count, const flex_epilogue *e, float *scratch) {
    flex_direct_conv_portable(input, channels, out_channels, g, weights, output, row_start, row_count, e, scratch);
}

#endif
