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

/// Splits input row `row` (`width` floats) into `stride` column phases of `length` floats at `dest`:
/// phase `p` element `i` is the zero-padded row's column `p + stride * i`, i.e. `row[p + stride * i - pad]`
/// or 0 outside the row. Element by element: the vector kernels' split for strides above 2.
static void split_row_scalar(const float *row, int64_t width, int64_t pad, int64_t stride, int64_t length, float *dest) {
    for (int64_t p = 0; p < stride; p++) {
        for (int64_t i = 0; i < length; i++) {
            const int64_t column = p + stride * i - pad;
            dest[p * length + i] = column >= 0 && column < width ? row[column] : 0;
        }
    }
}

/// Where a vector kernel's band lives in its scratch: `rows` input rows per channel of `row_floats` floats
/// (`stride_w` phases of `length`), then the `taps` offsets: tap `t = (c * kernel_h + ky) * kernel_w + kx`
/// reads its column phase of channel c's row `ky * dilation_h`. `band_layout_of` fills in the offsets.
typedef struct band_layout {
    int64_t length, rows, row_floats, taps;
    const int32_t *offsets;
} band_layout;

static band_layout band_layout_of(const flex_plane_geometry *g, int64_t channels, float *scratch) {
    band_layout b;
    b.length = phase_length(g);
    b.rows = band_input_rows(g);
    b.row_floats = g->stride_w * b.length;
    b.taps = channels * g->kernel_h * g->kernel_w;
    int32_t *offsets = (int32_t *)(scratch + channels * b.rows * b.row_floats);
    const int64_t sw = g->stride_w;
    for (int64_t c = 0, t = 0; c < channels; c++) {
        for (int64_t ky = 0; ky < g->kernel_h; ky++) {
            for (int64_t kx = 0; kx < g->kernel_w; kx++, t++) {
                const int64_t column = kx * g->dilation_w;
                offsets[t] = (int32_t)((c * b.rows + ky * g->dilation_h) * b.row_floats + column % sw * b.length + column / sw);
            }
        }
    }
    b.offsets = offsets;
    return b;
}

/// Splits one row into column phases (`split_row_scalar`'s contract).
typedef void (*split_row_fn)(const float *row, int64_t width, int64_t pad, int64_t stride, int64_t length, float *dest);

/// Fills `band` with the column phases of every input row that output rows `y0 ..< y1` read, channel by
/// channel as `b` lays them out, zero rows for the padding.
static void fill_band(const float *input, int64_t channels, const flex_plane_geometry *g, int64_t y0, int64_t y1,
                      const band_layout *b, float *band, split_row_fn split) {
    const int64_t rows = b->rows, row_floats = b->row_floats, length = b->length;
    const int64_t used = (y1 - y0 - 1) * g->stride_h + (g->kernel_h - 1) * g->dilation_h + 1;
    for (int64_t c = 0; c < channels; c++) {
        for (int64_t r = 0; r < used; r++) {
            const int64_t iy = y0 * g->stride_h - g->pad_h + r;
            float *dest = band + (c * rows + r) * row_floats;
            if (iy < 0 || iy >= g->in_h) memset(dest, 0, (size_t)row_floats * sizeof(float));
            else split(input + (c * g->in_h + iy) * g->in_w, g->in_w, g->pad_w, g->stride_w, length, dest);
        }
    }
}

#if defined(__x86_64__)
#include <immintrin.h>

#define AVX512 __attribute__((target("avx512f")))

#include "avx2_helpers.h"
#include "lane_mask.h"

/// Prefetches the output lines a tile of `channels` rows and `chunks` vectors of `width` floats stores to
/// `ahead` floats on (the next output row): pulled into cache well before they are written, as the output
/// of a model's first layer is not in cache.
static inline void prefetch_tile(const float *out, int64_t plane, int64_t channels, int64_t ahead, int chunks, int width) {
    for (int64_t j = 0; j < channels; j++) {
        for (int i = 0; i < chunks; i++) _mm_prefetch((const char *)(out + j * plane + ahead + width * i), _MM_HINT_T0);
    }
}

/// A tile's epilogue read into locals: stores to the output could otherwise alias `*e` and force reloads
/// per vector.
typedef struct tile_epilogue {
    const float *bias, *residual;
    int64_t residual_stride;
    int clamp;
    float lower, upper;
} tile_epilogue;

static inline tile_epilogue tile_epilogue_of(const flex_epilogue *e) {
    tile_epilogue t = {0};
    if (e) {
        t.bias = e->bias;
        t.residual = e->residual;
        t.residual_stride = e->residual_stride;
        t.clamp = e->clamp;
        t.lower = e->lower;
        t.upper = e->upper;
    }
    return t;
}

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
        split_row_scalar(row, width, pad, stride, length, dest);
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
    prefetch_tile(out, plane, channels, ahead, xb, 16);
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
    const tile_epilogue l = tile_epilogue_of(e);
    const __m512 lower = _mm512_set1_ps(l.lower), upper = _mm512_set1_ps(l.upper);
#pragma clang loop unroll(full)
    for (int j = 0; j < 8; j++) {
        if (j >= channels) break;
        const int64_t o = o0 + j;
#pragma clang loop unroll(full)
        for (int i = 0; i < 3; i++) {
            if (i >= xb) break;
            __m512 sum = acc[i][j];
            if (l.bias) sum = _mm512_add_ps(sum, _mm512_set1_ps(l.bias[o]));
            if (l.residual) sum = _mm512_add_ps(sum, _mm512_maskz_loadu_ps(stores[i], l.residual + o * l.residual_stride + pixel + 16 * i));
            if (l.clamp) sum = _mm512_min_ps(_mm512_max_ps(sum, lower), upper);
            _mm512_mask_storeu_ps(out + j * plane + 16 * i, stores[i], sum);
        }
    }
}

AVX512 void flex_direct_conv_avx512(const float *input, int64_t channels, int64_t out_channels,
                                    const flex_plane_geometry *g, const float *weights, float *output,
                                    int64_t row_start, int64_t row_count, const flex_epilogue *e, float *scratch) {
    const band_layout b = band_layout_of(g, channels, scratch);
    const int64_t row_floats = b.row_floats, taps = b.taps, plane = g->out_h * g->out_w;
    float *band = scratch;
    const int32_t *offsets = b.offsets;
    for (int64_t y0 = row_start; y0 < row_start + row_count; y0 += DIRECT_BAND) {
        const int64_t y1 = y0 + DIRECT_BAND < row_start + row_count ? y0 + DIRECT_BAND : row_start + row_count;
        fill_band(input, channels, g, y0, y1, &b, band, split_row);
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

/// `split_row_scalar` in vector code for strides 1 (8 floats a load, masked past either end of the row)
/// and 2 (`flex_split_row2`); other strides element by element. `length` is a multiple of 8. On
/// MobileNetV2's 3x3 stem the scalar split took as long as the FMAs.
FLEX_AVX2 static void split_row_avx2(const float *row, int64_t width, int64_t pad, int64_t stride, int64_t length,
                                     float *dest) {
    if (stride == 1) {
        for (int64_t i = 0; i < length; i += 8) {
            const int64_t start = i - pad;
            const __m256 v = start >= 0 && start + 8 <= width ? _mm256_loadu_ps(row + start)
                                                               : _mm256_maskload_ps(row + start, flex_lanes_inside8(start, width));
            _mm256_storeu_ps(dest + i, v);
        }
    } else if (stride == 2) {
        flex_split_row2(row, dest, length, pad, width);
    } else {
        split_row_scalar(row, width, pad, stride, length, dest);
    }
}

/// 6 output channels x `xb` (1 or 2, a constant after inlining) 8-column chunks of one output row, the
/// AVX2 counterpart of `tile8` (12 accumulators, 2 loads and 6 broadcasts a tap; a tile of 4 x 24 needed
/// one register more than AVX2's 16 and ran at half the FMA peak): tap `t` reads 8 floats at `source +
/// offsets[t] + 8 * i` for chunk `i` and channel j's weight at `w[j] + 16 * t`. Stores channel
/// `j < channels` of chunk `i` at `out + j * plane + 8 * i` (its first `lanes[i]` columns) after the
/// epilogue of output channel `o0 + j` at pixel `pixel + 8 * i`.
FLEX_AVX2 __attribute__((always_inline))
static inline void tile6x8(const float *source, const int32_t *offsets, int64_t taps, const float *const w[6], float *out,
                           int64_t plane, int64_t channels, const int64_t lanes[2], const flex_epilogue *e, int64_t o0,
                           int64_t pixel, int64_t ahead, const int xb) {
    __m256 acc[2][6];
    prefetch_tile(out, plane, channels, ahead, xb, 8);
#pragma clang loop unroll(full)
    for (int i = 0; i < 2; i++) {
#pragma clang loop unroll(full)
        for (int j = 0; j < 6; j++) acc[i][j] = _mm256_setzero_ps();
    }
    const float *w0 = w[0], *w1 = w[1], *w2 = w[2], *w3 = w[3], *w4 = w[4], *w5 = w[5];
    for (int64_t t = 0; t < taps; t++) {
        const float *p = source + offsets[t];
        const int64_t at = 16 * t;
        const __m256 v0 = _mm256_loadu_ps(p), v1 = xb > 1 ? _mm256_loadu_ps(p + 8) : _mm256_setzero_ps();
        const float *ws[6] = {w0 + at, w1 + at, w2 + at, w3 + at, w4 + at, w5 + at};
#pragma clang loop unroll(full)
        for (int j = 0; j < 6; j++) {
            const __m256 weight = _mm256_broadcast_ss(ws[j]);
            acc[0][j] = _mm256_fmadd_ps(weight, v0, acc[0][j]);
            if (xb > 1) acc[1][j] = _mm256_fmadd_ps(weight, v1, acc[1][j]);
        }
    }
    const tile_epilogue l = tile_epilogue_of(e);
    const __m256 lower = _mm256_set1_ps(l.lower), upper = _mm256_set1_ps(l.upper);
#pragma clang loop unroll(full)
    for (int j = 0; j < 6; j++) {
        if (j >= channels) break;
        const int64_t o = o0 + j;
#pragma clang loop unroll(full)
        for (int i = 0; i < 2; i++) {
            if (i >= xb) break;
            const int full = lanes[i] == 8;
            const __m256i mask = flex_first_lanes8(lanes[i]);
            __m256 sum = acc[i][j];
            if (l.bias) sum = _mm256_add_ps(sum, _mm256_broadcast_ss(l.bias + o));
            if (l.residual) {
                const float *r = l.residual + o * l.residual_stride + pixel + 8 * i;
                sum = _mm256_add_ps(sum, full ? _mm256_loadu_ps(r) : _mm256_maskload_ps(r, mask));
            }
            if (l.clamp) sum = _mm256_min_ps(_mm256_max_ps(sum, lower), upper);
            if (full) _mm256_storeu_ps(out + j * plane + 8 * i, sum);
            else _mm256_maskstore_ps(out + j * plane + 8 * i, mask, sum);
        }
    }
}

FLEX_AVX2 void flex_direct_conv_avx2(const float *input, int64_t channels, int64_t out_channels,
                                     const flex_plane_geometry *g, const float *weights, float *output,
                                     int64_t row_start, int64_t row_count, const flex_epilogue *e, float *scratch) {
    const band_layout b = band_layout_of(g, channels, scratch);
    const int64_t row_floats = b.row_floats, taps = b.taps, plane = g->out_h * g->out_w;
    float *band = scratch;
    const int32_t *offsets = b.offsets;
    for (int64_t y0 = row_start; y0 < row_start + row_count; y0 += DIRECT_BAND) {
        const int64_t y1 = y0 + DIRECT_BAND < row_start + row_count ? y0 + DIRECT_BAND : row_start + row_count;
        fill_band(input, channels, g, y0, y1, &b, band, split_row_avx2);
        for (int64_t y = y0; y < y1; y++) {
            const float *source = band + (y - y0) * g->stride_h * row_floats;
            for (int64_t x0 = 0; x0 < g->out_w; x0 += 16) {
                int64_t lanes[2];
                int xb = 0;
                for (int i = 0; i < 2; i++) {
                    const int64_t left = g->out_w - x0 - 8 * i;
                    lanes[i] = left >= 8 ? 8 : left > 0 ? left : 0;
                    if (left > 0) xb = i + 1;
                }
                for (int64_t o0 = 0; o0 < out_channels; o0 += 6) {
                    const int64_t count = out_channels - o0 < 6 ? out_channels - o0 : 6;
                    // Channel o's weights in its 16-channel panel; past the last channel, the first's.
                    const float *w[6];
                    for (int64_t j = 0; j < 6; j++) {
                        const int64_t o = j < count ? o0 + j : o0;
                        w[j] = weights + o / 16 * taps * 16 + o % 16;
                    }
                    float *out = output + o0 * plane + y * g->out_w + x0;
                    const int64_t pixel = y * g->out_w + x0;
                    if (xb == 2) tile6x8(source + x0, offsets, taps, w, out, plane, count, lanes, e, o0, pixel, g->out_w, 2);
                    else tile6x8(source + x0, offsets, taps, w, out, plane, count, lanes, e, o0, pixel, g->out_w, 1);
                }
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

void flex_direct_conv_avx2(const float *input, int64_t channels, int64_t out_channels,
                           const flex_plane_geometry *g, const float *weights, float *output,
                           int64_t row_start, int64_t row_count, const flex_epilogue *e, float *scratch) {
    flex_direct_conv_portable(input, channels, out_channels, g, weights, output, row_start, row_count, e, scratch);
}

#endif
