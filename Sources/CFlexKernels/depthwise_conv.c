#include <stddef.h>
#include "kernels.h"
#include "epilogue_scalar.h"

/// One output value computed with bounds checks on every tap.
static inline float depthwise_point(const float *input, const float *weights, const flex_plane_geometry *g,
                                    int64_t y, int64_t x) {
    float sum = 0;
    for (int64_t ky = 0; ky < g->kernel_h; ky++) {
        const int64_t iy = y * g->stride_h - g->pad_h + ky * g->dilation_h;
        if (iy < 0 || iy >= g->in_h) continue;
        for (int64_t kx = 0; kx < g->kernel_w; kx++) {
            const int64_t ix = x * g->stride_w - g->pad_w + kx * g->dilation_w;
            if (ix < 0 || ix >= g->in_w) continue;
            sum += weights[ky * g->kernel_w + kx] * input[iy * g->in_w + ix];
        }
    }
    return sum;
}

void flex_depthwise_plane_portable(const float *input, const float *weights, float *output,
                                   const flex_plane_geometry *g, const flex_epilogue *epilogue) {
    for (int64_t y = 0; y < g->out_h; y++) {
        for (int64_t x = 0; x < g->out_w; x++) {
            output[y * g->out_w + x] = flex_plane_epilogue_apply(epilogue, depthwise_point(input, weights, g, y, x), y, x);
        }
    }
}

typedef void (*depthwise_plane_fn)(const float *, const float *, float *, const flex_plane_geometry *,
                                   const flex_epilogue *);

/// Output channels `first ..< first + count`, one `plane` call each (see `flex_kernel_table.depthwise_channels`).
static void depthwise_channels_each(depthwise_plane_fn plane, const float *input, int64_t input_stride, int64_t multiplier,
                                    const float *weights, float *output, int64_t output_stride, int64_t first,
                                    int64_t count, const flex_plane_geometry *g, const flex_epilogue *e) {
    const int64_t area = g->kernel_h * g->kernel_w;
    for (int64_t o = first; o < first + count; o++) {
        flex_epilogue tile;
        if (e) {
            tile = *e;
            if (tile.bias) tile.bias += o;
            if (tile.residual) tile.residual += o * output_stride;
        }
        plane(input + o / multiplier * input_stride, weights + o * area, output + o * output_stride, g, e ? &tile : NULL);
    }
}

#if defined(__x86_64__)
#include "avx2_helpers.h"

/// Output columns [*low, *high) whose every filter tap lies inside the input row.
static inline void interior_columns(const flex_plane_geometry *g, int64_t *low, int64_t *high) {
    int64_t lo = (g->pad_w + g->stride_w - 1) / g->stride_w;
    int64_t last = g->in_w - 1 - (g->kernel_w - 1) * g->dilation_w + g->pad_w;
    int64_t hi = last < 0 ? 0 : last / g->stride_w + 1;
    if (hi > g->out_w) hi = g->out_w;
    if (lo > hi) lo = hi;
    *low = lo;
    *high = hi;
}

/// The epilogue of 8 outputs starting at column `x` of row `y`, then their store.
FLEX_AVX2 __attribute__((always_inline))
static inline void store8(float *out, __m256 acc, const flex_epilogue *e, __m256 bias, __m256 lower, __m256 upper,
                          int64_t y, int64_t x) {
    if (e) {
        if (e->bias) acc = _mm256_add_ps(acc, bias);
        if (e->residual) acc = _mm256_add_ps(acc, _mm256_loadu_ps(e->residual + y * e->residual_stride + x));
        if (e->clamp) acc = _mm256_min_ps(_mm256_max_ps(acc, lower), upper);
    }
    _mm256_storeu_ps(out + x, acc);
}

/// 8 outputs of any filter size at interior column `x` of row `y` (stride 1 or 2).
FLEX_AVX2 __attribute__((always_inline))
static inline __m256 general8(const float *input, const float *weights, const flex_plane_geometry *g,
                              int64_t y, int64_t x) {
    __m256 acc = _mm256_setzero_ps();
    for (int64_t ky = 0; ky < g->kernel_h; ky++) {
        const int64_t iy = y * g->stride_h - g->pad_h + ky * g->dilation_h;
        if (iy < 0 || iy >= g->in_h) continue;
        const float *row = input + iy * g->in_w + x * g->stride_w - g->pad_w;
        const float *w = weights + ky * g->kernel_w;
        for (int64_t kx = 0; kx < g->kernel_w; kx++) {
            const __m256 v = g->stride_w == 1 ? _mm256_loadu_ps(row + kx * g->dilation_w)
                                              : flex_load_even8(row + kx * g->dilation_w);
            acc = _mm256_fmadd_ps(_mm256_broadcast_ss(w + kx), v, acc);
        }
    }
    return acc;
}

/// 8 outputs of a 3x3 filter (dilation 1) at interior column `x`: `rows[i]` is input row i of the
/// window already offset to the window's left edge, NULL in the padding; `w` holds the 9 weights.
FLEX_AVX2 __attribute__((always_inline))
static inline __m256 filter3x3_8(const float *const rows[3], const __m256 w[9], int64_t stride, int64_t x) {
    // One sum per filter row, added at the end: three short FMA chains instead of one of nine.
    __m256 acc[3];
    for (int i = 0; i < 3; i++) {
        acc[i] = _mm256_setzero_ps();
        if (!rows[i]) continue;
        const float *p = rows[i] + x * stride;
        if (stride == 1) {
            acc[i] = _mm256_mul_ps(w[3 * i], _mm256_loadu_ps(p));
            acc[i] = _mm256_fmadd_ps(w[3 * i + 1], _mm256_loadu_ps(p + 1), acc[i]);
            acc[i] = _mm256_fmadd_ps(w[3 * i + 2], _mm256_loadu_ps(p + 2), acc[i]);
        } else {
            acc[i] = _mm256_mul_ps(w[3 * i], flex_load_even8(p));
            acc[i] = _mm256_fmadd_ps(w[3 * i + 1], flex_load_even8(p + 1), acc[i]);
            acc[i] = _mm256_fmadd_ps(w[3 * i + 2], flex_load_even8(p + 2), acc[i]);
        }
    }
    return _mm256_add_ps(_mm256_add_ps(acc[0], acc[1]), acc[2]);
}

/// Keeps the compiler from turning the short copy and zeroing loops back into memcpy/memset calls.
#define FLEX_NO_MEMCALLS __attribute__((no_builtin("memset", "memcpy")))

/// Largest zero-padded input plane, floats (64 KiB), that `depthwise3x3_padded` copies per thread.
enum { PADDED_PLANE_FLOATS = 16384 };

/// Writes `width` (a multiple of 8) floats of one zero-padded row to `row`: zeros, then from column
/// `pad` the `copied` floats of `from` (NULL: a padding row, all zeros), then zeros. Inline vector code
/// rather than memset/memcpy (a 7x7 plane's rows are 28 bytes, where the calls cost more than the
/// copying), and no masked stores (slow on AMD cores): the last 1...7 floats are a masked load and a
/// whole store, which may write zeros up to 7 floats past `row + width`.
FLEX_AVX2 __attribute__((always_inline))
static inline void pad_row(const float *from, float *row, int64_t width, int64_t pad, int64_t copied, __m256i tail) {
    const __m256 zero = _mm256_setzero_ps();
    if (!from) {
        for (int64_t c = 0; c < width; c += 8) _mm256_storeu_ps(row + c, zero);
        return;
    }
    for (int64_t c = 0; c < pad; c += 8) _mm256_storeu_ps(row + c, zero);
    float *to = row + pad;
    int64_t c = 0;
    for (; c + 8 <= copied; c += 8) _mm256_storeu_ps(to + c, _mm256_loadu_ps(from + c));
    if (c < copied) {
        _mm256_storeu_ps(to + c, _mm256_maskload_ps(from + c, tail));
        c += 8;
    }
    for (; pad + c < width; c += 8) _mm256_storeu_ps(to + c, zero);
}

/// 8 outputs of a 3x3 stride-2 filter at column `x` from deinterleaved rows: `rows[i]` holds a padded
/// input row's even columns, its odd ones `half` floats later, so every tap is a plain load.
FLEX_AVX2 __attribute__((always_inline))
static inline __m256 filter3x3_8_split(const float *const rows[3], const __m256 w[9], int64_t half, int64_t x) {
    __m256 acc[3];
    for (int i = 0; i < 3; i++) {
        const float *even = rows[i] + x, *odd = rows[i] + half + x;
        acc[i] = _mm256_mul_ps(w[3 * i], _mm256_loadu_ps(even));
        acc[i] = _mm256_fmadd_ps(w[3 * i + 1], _mm256_loadu_ps(odd), acc[i]);
        acc[i] = _mm256_fmadd_ps(w[3 * i + 2], _mm256_loadu_ps(even + 1), acc[i]);
    }
    return _mm256_add_ps(_mm256_add_ps(acc[0], acc[1]), acc[2]);
}

/// The epilogue and store of the last 1...7 columns of output row `y` (`out` its start), from column
/// `x`, in vector code (on a 7x7 plane, every column): a masked residual load, then a whole store when
/// its extra lanes land on later rows' columns, written after this; else (past the plane lies another
/// channel, perhaps another thread's) a copy of the lanes. Masked stores are slow on AMD cores.
FLEX_AVX2 __attribute__((always_inline))
static inline void store_tail8(float *out, __m256 acc, const flex_epilogue *e, __m256 bias, __m256 lower, __m256 upper,
                               const flex_plane_geometry *g, int64_t y, int64_t x) {
    if (e) {
        if (e->bias) acc = _mm256_add_ps(acc, bias);
        if (e->residual) {
            acc = _mm256_add_ps(acc, _mm256_maskload_ps(e->residual + y * e->residual_stride + x, flex_first_lanes8(g->out_w - x)));
        }
        if (e->clamp) acc = _mm256_min_ps(_mm256_max_ps(acc, lower), upper);
    }
    if (y * g->out_w + x + 8 <= g->out_h * g->out_w) {
        _mm256_storeu_ps(out + x, acc);
    } else {
        float last[8];
        _mm256_storeu_ps(last, acc);
        for (int64_t j = 0; x + j < g->out_w; j++) out[x + j] = last[j];
    }
}

/// A 3x3 (dilation 1) stride-1 plane of at most 8 output columns (MobileNet's 7x7 planes) straight from
/// the input: every tap a masked load, with the 3 masks computed once, and no padded copy, whose fixed
/// cost was most of such a plane's time (960 planes of 7x7 on Zen 2: 0.093 -> 0.062 ms). At 14 columns
/// the padded copy is faster again (384 @14: 0.084 vs 0.091 ms). Returns 0, having done nothing, for
/// other planes.
FLEX_AVX2
static int depthwise3x3_narrow(const float *input, const float *weights, float *output,
                               const flex_plane_geometry *g, const flex_epilogue *e,
                               __m256 bias, __m256 lower, __m256 upper) {
    if (g->stride_w != 1 || g->out_w > 8) return 0;
    __m256i masks[3];
    for (int kx = 0; kx < 3; kx++) masks[kx] = flex_lanes_inside8(kx - g->pad_w, g->in_w);
    __m256 w[9];
    for (int i = 0; i < 9; i++) w[i] = _mm256_set1_ps(weights[i]);
    for (int64_t y = 0; y < g->out_h; y++) {
        __m256 acc[3];
        for (int i = 0; i < 3; i++) {
            acc[i] = _mm256_setzero_ps();
            const int64_t iy = y * g->stride_h - g->pad_h + i;
            if (iy < 0 || iy >= g->in_h) continue;
            const float *p = input + iy * g->in_w - g->pad_w;
            acc[i] = _mm256_mul_ps(w[3 * i], _mm256_maskload_ps(p, masks[0]));
            acc[i] = _mm256_fmadd_ps(w[3 * i + 1], _mm256_maskload_ps(p + 1, masks[1]), acc[i]);
            acc[i] = _mm256_fmadd_ps(w[3 * i + 2], _mm256_maskload_ps(p + 2, masks[2]), acc[i]);
        }
        const __m256 sum = _mm256_add_ps(_mm256_add_ps(acc[0], acc[1]), acc[2]);
        float *out = output + y * g->out_w;
        if (g->out_w == 8) store8(out, sum, e, bias, lower, upper, y, 0);
        else store_tail8(out, sum, e, bias, lower, upper, g, y, 0);
    }
    return 1;
}

/// A 3x3 (dilation 1, stride 1 or 2) plane computed all in vector code: the input plane is first
/// copied into a zero-padded buffer wide enough for every column's taps, so the border columns need
/// no bounds checks (on small planes, 7x7 or 14x14, the bounds-checked scalar border was most of the
/// work). `bias`, `lower`, `upper`: the epilogue's values broadcast, as `store8` takes them. Returns
/// 0, having done nothing, when the padded plane is over `PADDED_PLANE_FLOATS`.
/// The buffer is the calling thread's own, rows `padded_width` floats apart. Stride 1: a row's column c holds
/// input column c - pad_w. Stride 2: its even padded columns, then from `half` its odd ones (split
/// once per row, instead of shuffling every tap's load; see `split_row`).
FLEX_AVX2 FLEX_NO_MEMCALLS
static int depthwise3x3_padded(const float *input, const float *weights, float *output,
                               const flex_plane_geometry *g, const flex_epilogue *e,
                               __m256 bias, __m256 lower, __m256 upper) {
    const int64_t sw = g->stride_w, sh = g->stride_h;
    const int64_t wide = (g->out_w + 7) & ~(int64_t)7;
    // Stride 1: the last vector starts at column wide - 8 and its taps read 10 floats from there.
    // Stride 2: each half holds wide + 1 columns (the third tap reads one past the second's).
    const int64_t half = wide + 8;
    const int64_t padded_width = sw == 1 ? wide + 8 : 2 * half;
    const int64_t H = (g->out_h - 1) * sh + 3;
    const int64_t needed = H * padded_width;
    if (g->pad_w < 0 || g->pad_h < 0 || g->pad_w >= padded_width || needed > PADDED_PLANE_FLOATS) return 0;
    static _Thread_local float padded[PADDED_PLANE_FLOATS + 8] __attribute__((aligned(32)));
    const int64_t copied = g->pad_w + g->in_w > padded_width ? padded_width - g->pad_w : g->in_w;
    const __m256i tail = flex_first_lanes8(copied % 8);
    for (int64_t r = 0; r < H; r++) {
        const int64_t iy = r - g->pad_h;
        const float *from = iy >= 0 && iy < g->in_h ? input + iy * g->in_w : NULL;
        float *row = padded + r * padded_width;
        if (sw == 1) {
            // Any zeros written past the row land on the next row's start, written after.
            pad_row(from, row, padded_width, g->pad_w, copied, tail);
            continue;
        }
        flex_split_row2(from, row, half, g->pad_w, g->in_w);
    }
    __m256 w[9];
    for (int i = 0; i < 9; i++) w[i] = _mm256_set1_ps(weights[i]);
    for (int64_t y = 0; y < g->out_h; y++) {
        float *out = output + y * g->out_w;
        const float *rows[3];
        for (int i = 0; i < 3; i++) rows[i] = padded + (y * sh + i) * padded_width;
        int64_t x = 0;
        for (; x + 8 <= g->out_w; x += 8) {
            const __m256 acc = sw == 1 ? filter3x3_8(rows, w, 1, x) : filter3x3_8_split(rows, w, half, x);
            store8(out, acc, e, bias, lower, upper, y, x);
        }
        if (x < g->out_w) {
            const __m256 acc = sw == 1 ? filter3x3_8(rows, w, 1, x) : filter3x3_8_split(rows, w, half, x);
            store_tail8(out, acc, e, bias, lower, upper, g, y, x);
        }
    }
    return 1;
}

FLEX_AVX2 FLEX_NO_MEMCALLS
void flex_depthwise_plane_avx2(const float *input, const float *weights, float *output,
                               const flex_plane_geometry *g, const flex_epilogue *e) {
    if (g->stride_w > 2) {
        flex_depthwise_plane_portable(input, weights, output, g, e);
        return;
    }
    const __m256 lower = _mm256_set1_ps(e && e->clamp ? e->lower : 0);
    const __m256 upper = _mm256_set1_ps(e && e->clamp ? e->upper : 0);
    const __m256 bias = _mm256_set1_ps(e && e->bias ? e->bias[0] : 0);
    const int is3x3 = g->kernel_h == 3 && g->kernel_w == 3 && g->dilation_h == 1 && g->dilation_w == 1;
    if (is3x3 && (depthwise3x3_narrow(input, weights, output, g, e, bias, lower, upper)
                  || depthwise3x3_padded(input, weights, output, g, e, bias, lower, upper))) return;
    int64_t low, high;
    interior_columns(g, &low, &high);
    __m256 w[9];
    for (int i = 0; i < 9; i++) w[i] = _mm256_set1_ps(is3x3 ? weights[i] : 0);
    for (int64_t y = 0; y < g->out_h; y++) {
        float *out = output + y * g->out_w;
        for (int64_t x = 0; x < low; x++) out[x] = flex_plane_epilogue_apply(e, depthwise_point(input, weights, g, y, x), y, x);
        const float *rows[3];
        for (int i = 0; i < 3; i++) {
            const int64_t iy = y * g->stride_h - g->pad_h + i;
            rows[i] = is3x3 && iy >= 0 && iy < g->in_h ? input + iy * g->in_w - g->pad_w : NULL;
        }
        int64_t x = low;
        for (; x + 8 <= high; x += 8) {
            const __m256 acc = is3x3 ? filter3x3_8(rows, w, g->stride_w, x) : general8(input, weights, g, y, x);
            store8(out, acc, e, bias, lower, upper, y, x);
        }
        if (x < high && high - low >= 8) {
            // The interior's last columns: one more vector ending at `high`, overlapping finished ones
            // (which it rewrites with the same values).
            x = high - 8;
            const __m256 acc = is3x3 ? filter3x3_8(rows, w, g->stride_w, x) : general8(input, weights, g, y, x);
            store8(out, acc, e, bias, lower, upper, y, x);
            x = high;
        }
        for (; x < g->out_w; x++) out[x] = flex_plane_epilogue_apply(e, depthwise_point(input, weights, g, y, x), y, x);
    }
}

#define AVX512 __attribute__((target("avx512f")))

#include "lane_mask.h"

/// 16 elements `row[start + stride * l]` (zero where outside `[0, width)`) for stride 1 or 2.
AVX512 __attribute__((always_inline))
static inline __m512 load_taps(const float *row, int64_t start, int64_t width, const int stride) {
    if (stride == 1) return _mm512_maskz_loadu_ps(flex_lanes_inside(start, width), row + start);
    const __m512 lo = _mm512_maskz_loadu_ps(flex_lanes_inside(start, width), row + start);
    const __m512 hi = _mm512_maskz_loadu_ps(flex_lanes_inside(start + 16, width), row + start + 16);
    const __m512i evens = _mm512_setr_epi32(0, 2, 4, 6, 8, 10, 12, 14, 16, 18, 20, 22, 24, 26, 28, 30);
    return _mm512_permutex2var_ps(lo, evens, hi);
}

/// The epilogue of 16 outputs at column `x0` of row `y` (`m`: the valid columns), then their store.
AVX512 __attribute__((always_inline))
static inline void store16_plane(float *out, __m512 sum, const flex_epilogue *e, int64_t y, int64_t x0, __mmask16 m) {
    if (e) {
        if (e->bias) sum = _mm512_add_ps(sum, _mm512_set1_ps(e->bias[0]));
        if (e->residual) sum = _mm512_add_ps(sum, _mm512_maskz_loadu_ps(m, e->residual + y * e->residual_stride + x0));
        if (e->clamp) sum = _mm512_min_ps(_mm512_max_ps(sum, _mm512_set1_ps(e->lower)), _mm512_set1_ps(e->upper));
    }
    _mm512_mask_storeu_ps(out + x0, m, sum);
}

/// Any filter size, dilation and row stride, column stride 1 or 2 (a constant after inlining): 16 outputs
/// of a row at a time, every tap a masked load, so padding, edges and narrow planes need no scalar code.
AVX512 __attribute__((always_inline))
static inline void depthwise_general_avx512(const float *input, const float *weights, float *output,
                                            const flex_plane_geometry *g, const flex_epilogue *e, const int stride) {
    for (int64_t y = 0; y < g->out_h; y++) {
        for (int64_t x0 = 0; x0 < g->out_w; x0 += 16) {
            const int64_t first = x0 * stride - g->pad_w;
            __m512 acc = _mm512_setzero_ps();
            for (int64_t ky = 0; ky < g->kernel_h; ky++) {
                const int64_t iy = y * g->stride_h - g->pad_h + ky * g->dilation_h;
                if (iy < 0 || iy >= g->in_h) continue;
                const float *row = input + iy * g->in_w;
                for (int64_t kx = 0; kx < g->kernel_w; kx++) {
                    const __m512 v = load_taps(row, first + kx * g->dilation_w, g->in_w, stride);
                    acc = _mm512_fmadd_ps(_mm512_set1_ps(weights[ky * g->kernel_w + kx]), v, acc);
                }
            }
            const int64_t left = g->out_w - x0;
            store16_plane(output + y * g->out_w, acc, e, y, x0, left >= 16 ? (__mmask16)0xFFFF : (__mmask16)((1u << left) - 1));
        }
    }
}

/// The epilogue of a depthwise plane, resolved once per plane: what to add and clamp with.
typedef struct plane_epilogue {
    __m512 bias, lower, upper;
    const float *residual;
    int64_t residual_stride;
    int has_bias, clamp;
} plane_epilogue;

AVX512 __attribute__((always_inline))
static inline plane_epilogue resolve_epilogue(const flex_epilogue *e) {
    plane_epilogue r;
    r.has_bias = e && e->bias;
    r.clamp = e && e->clamp;
    r.bias = _mm512_set1_ps(r.has_bias ? e->bias[0] : 0);
    r.lower = _mm512_set1_ps(r.clamp ? e->lower : 0);
    r.upper = _mm512_set1_ps(r.clamp ? e->upper : 0);
    r.residual = e ? e->residual : NULL;
    r.residual_stride = e ? e->residual_stride : 0;
    return r;
}

/// The epilogue and store of 16 outputs; `has_bias`, `has_residual` and `clamp` are constants after
/// inlining, so rows run without branches on the epilogue's form.
AVX512 __attribute__((always_inline))
static inline void store_resolved(float *out, __m512 sum, const plane_epilogue *e, int64_t y, int64_t x0, __mmask16 m,
                                  const int has_bias, const int has_residual, const int clamp) {
    if (has_bias) sum = _mm512_add_ps(sum, e->bias);
    if (has_residual) sum = _mm512_add_ps(sum, _mm512_maskz_loadu_ps(m, e->residual + y * e->residual_stride + x0));
    if (clamp) sum = _mm512_min_ps(_mm512_max_ps(sum, e->lower), e->upper);
    if (m == 0xFFFF) _mm512_storeu_ps(out + x0, sum);
    else _mm512_mask_storeu_ps(out + x0, m, sum);
}

/// Tap masks of one 16-column chunk of a 3x3 filter: stride 1, the three taps' windows; stride 2, the
/// 32-element windows at `first` (taps 0 and 1) and `first + 2` (tap 2), low and high halves.
typedef struct chunk_masks {
    __mmask16 m0, m1, m2, h0, h2;
} chunk_masks;

AVX512 __attribute__((always_inline))
static inline chunk_masks masks_at(int64_t first, int64_t width) {
    return (chunk_masks){flex_lanes_inside(first, width), flex_lanes_inside(first + 1, width), flex_lanes_inside(first + 2, width),
                         flex_lanes_inside(first + 16, width), flex_lanes_inside(first + 18, width)};
}

/// One filter row's three taps for 16 outputs starting at `row` (already offset to the chunk's first
/// input column), times the weights `wa`, `wb`, `wc`.
/// A 16-float load at `p`, masked unless `full` (a constant: the whole vector lies inside the row).
AVX512 __attribute__((always_inline))
static inline __m512 tap_load(const float *p, __mmask16 m, const int full) {
    return full ? _mm512_loadu_ps(p) : _mm512_maskz_loadu_ps(m, p);
}

AVX512 __attribute__((always_inline))
static inline __m512 taps3(const float *row, chunk_masks k, __m512 wa, __m512 wb, __m512 wc, const int stride, const int full) {
    if (stride == 1) {
        __m512 acc = _mm512_mul_ps(wa, tap_load(row, k.m0, full));
        acc = _mm512_fmadd_ps(wb, tap_load(row + 1, k.m1, full), acc);
        return _mm512_fmadd_ps(wc, tap_load(row + 2, k.m2, full), acc);
    }
    const __m512i evens = _mm512_setr_epi32(0, 2, 4, 6, 8, 10, 12, 14, 16, 18, 20, 22, 24, 26, 28, 30);
    const __m512i odds = _mm512_setr_epi32(1, 3, 5, 7, 9, 11, 13, 15, 17, 19, 21, 23, 25, 27, 29, 31);
    const __m512 lo = tap_load(row, k.m0, full), hi = tap_load(row + 16, k.h0, full);
    const __m512 lo2 = tap_load(row + 2, k.m2, full), hi2 = tap_load(row + 18, k.h2, full);
    __m512 acc = _mm512_mul_ps(wa, _mm512_permutex2var_ps(lo, evens, hi));
    acc = _mm512_fmadd_ps(wb, _mm512_permutex2var_ps(lo, odds, hi), acc);
    return _mm512_fmadd_ps(wc, _mm512_permutex2var_ps(lo2, evens, hi2), acc);
}

/// One 16-column chunk (`first`: its first input column, masks `k`) of a 3x3 plane down all output rows.
/// Rows whose three input rows are all inside the plane run without checks, walking a row pointer.
/// Output rows `[start, end)` of a 3x3 plane whose three input rows all lie inside the input.
typedef struct inner_rows {
    int64_t start, end;
} inner_rows;

static inline inner_rows inner_rows_of(const flex_plane_geometry *g) {
    const int64_t sh = g->stride_h, last = g->in_h - 3 + g->pad_h;
    inner_rows r = {(g->pad_h + sh - 1) / sh, last < 0 ? 0 : last / sh + 1};
    if (r.end > g->out_h) r.end = g->out_h;
    if (r.start > r.end) r.start = r.end;
    return r;
}

AVX512 __attribute__((always_inline))
static inline void chunk3x3_form(const float *input, float *output, const flex_plane_geometry *g, const plane_epilogue *e,
                                 const __m512 w[9], int64_t x0, int64_t first, chunk_masks k, __mmask16 store,
                                 inner_rows inner, const int stride, const int has_bias, const int has_residual,
                                 const int clamp, const int full) {
    const int64_t width = g->in_w, sh = g->stride_h, out_w = g->out_w, out_h = g->out_h;
    for (int64_t y = 0; y < out_h; y++) {
        if (y == inner.start && inner.end > inner.start) {
            const float *row = input + (y * sh - g->pad_h) * width + first;
            float *out = output + y * out_w;
            const int64_t step = sh * width;
            for (; y < inner.end; y++, row += step, out += out_w) {
                const __m512 a0 = taps3(row, k, w[0], w[1], w[2], stride, full);
                const __m512 a1 = taps3(row + width, k, w[3], w[4], w[5], stride, full);
                const __m512 a2 = taps3(row + 2 * width, k, w[6], w[7], w[8], stride, full);
                store_resolved(out, _mm512_add_ps(_mm512_add_ps(a0, a1), a2), e, y, x0, store, has_bias, has_residual, clamp);
            }
            if (y >= out_h) break;
        }
        const int64_t iy = y * sh - g->pad_h;
        __m512 sum = _mm512_setzero_ps();
        for (int i = 0; i < 3; i++) {
            if (iy + i < 0 || iy + i >= g->in_h) continue;
            sum = _mm512_add_ps(sum, taps3(input + (iy + i) * width + first, k, w[3 * i], w[3 * i + 1], w[3 * i + 2], stride, full));
        }
        store_resolved(output + y * out_w, sum, e, y, x0, store, has_bias, has_residual, clamp);
    }
}

/// One 16-column chunk (`first`: its first input column, masks `k`) of a 3x3 plane down all output rows.
/// Rows whose three input rows are all inside the plane run without checks, walking row pointers, and
/// each epilogue form gets its own branch-free rows.
AVX512 __attribute__((always_inline))
static inline void chunk3x3_masked(const float *input, float *output, const flex_plane_geometry *g, const plane_epilogue *e,
                                   const __m512 w[9], int64_t x0, int64_t first, chunk_masks k, __mmask16 store,
                                   inner_rows inner, const int stride) {
    // A chunk whose taps all lie inside the row loads without masks.
    const int full = k.m0 == 0xFFFF && k.m1 == 0xFFFF && k.m2 == 0xFFFF && (stride == 1 || (k.h0 == 0xFFFF && k.h2 == 0xFFFF));
#define FORM(b, r, c)                                                                                          \
    do {                                                                                                       \
        if (full) chunk3x3_form(input, output, g, e, w, x0, first, k, store, inner, stride, b, r, c, 1);      \
        else chunk3x3_form(input, output, g, e, w, x0, first, k, store, inner, stride, b, r, c, 0);           \
    } while (0)
    if (e->residual) {
        if (e->has_bias && e->clamp) FORM(1, 1, 1);
        else if (e->has_bias) FORM(1, 1, 0);
        else if (e->clamp) FORM(0, 1, 1);
        else FORM(0, 1, 0);
    } else if (e->has_bias && e->clamp) {
        FORM(1, 0, 1);
    } else if (e->has_bias) {
        FORM(1, 0, 0);
    } else if (e->clamp) {
        FORM(0, 0, 1);
    } else {
        FORM(0, 0, 0);
    }
#undef FORM
}

/// `chunk3x3_masked` with the store mask a constant when the chunk is whole.
AVX512 __attribute__((always_inline))
static inline void chunk3x3(const float *input, float *output, const flex_plane_geometry *g, const plane_epilogue *e,
                            const __m512 w[9], int64_t x0, int64_t first, chunk_masks k, __mmask16 store,
                            inner_rows inner, const int stride) {
    if (store == 0xFFFF) chunk3x3_masked(input, output, g, e, w, x0, first, k, 0xFFFF, inner, stride);
    else chunk3x3_masked(input, output, g, e, w, x0, first, k, store, inner, stride);
}

/// 3x3, dilation 1, column stride 1 or 2 (`stride`, a constant): weights in registers, the epilogue
/// resolved once; per 16-column chunk the tap masks are computed once and the chunk is run down all
/// output rows.
AVX512 __attribute__((always_inline))
static inline void depthwise3x3_avx512(const float *input, const float *weights, float *output,
                                       const flex_plane_geometry *g, const flex_epilogue *e, const int stride) {
    __m512 w[9];
    for (int i = 0; i < 9; i++) w[i] = _mm512_set1_ps(weights[i]);
    const plane_epilogue resolved = resolve_epilogue(e);
    const inner_rows inner = inner_rows_of(g);
    for (int64_t x0 = 0; x0 < g->out_w; x0 += 16) {
        const int64_t first = x0 * stride - g->pad_w, left = g->out_w - x0;
        const __mmask16 store = left >= 16 ? (__mmask16)0xFFFF : (__mmask16)((1u << left) - 1);
        chunk3x3(input, output, g, &resolved, w, x0, first, masks_at(first, g->in_w), store, inner, stride);
    }
}

/// Padded pixels of the largest plane `depthwise3x3_interleaved8` takes, by stride.
/// - Stride 1: 30 x 30, a 28x28 plane with its border (28 KiB for 8 channels, within L1). Larger stride-1
///   planes are faster row-vectorised (144 @56: 0.255 vs 0.280 ms).
/// - Stride 2: 58 x 58, room for MobileNet's 56x56 plane with its border (57 x 57; 105 KiB for 8
///   channels, within L2). There the row-vectorised kernel spends its time splitting the input's rows
///   into even and odd columns (144 /2 @56: 0.164 -> 0.127 ms). At 112x112 it is faster again
///   (96 /2 @112: 0.311 vs 0.333 ms).
/// Measured by timing the two kernels alone, in C, on AMD EPYC (AVX2).
enum { INTERLEAVED_PIXELS_STRIDE1 = 30 * 30, INTERLEAVED_PIXELS_STRIDE2 = 58 * 58, INTERLEAVED_STRIDE2_COLUMNS = 58 };
/// Floats of the channel-interleaved, zero-padded input `depthwise3x3_interleaved8` builds per group of 8
/// channels: the larger limit's pixels, 8 channels each.
enum { INTERLEAVED_FLOATS = INTERLEAVED_PIXELS_STRIDE2 * 8 };

/// Padded rows and columns of `depthwise3x3_interleaved8`'s buffer: the top and left padding, the input,
/// then zeros up to what the last output row and column read (a band of a fused layer may have its
/// padding at the top only, or need zero rows below it that the symmetric `pad_h` does not count).
static inline void interleaved8_extent(const flex_plane_geometry *g, int64_t *rows, int64_t *columns) {
    const int64_t read_rows = (g->out_h - 1) * g->stride_h + 3, read_columns = (g->out_w - 1) * g->stride_w + 3;
    *rows = read_rows > g->pad_h + g->in_h ? read_rows : g->pad_h + g->in_h;
    *columns = read_columns > g->pad_w + g->in_w ? read_columns : g->pad_w + g->in_w;
}

/// Whether `depthwise3x3_interleaved8` computes this plane: 3x3, dilation 1, stride 1 or 2 (both
/// directions), and a padded input of at most its stride's `INTERLEAVED_PIXELS_STRIDE*` pixels (at stride
/// 2, of at most `INTERLEAVED_STRIDE2_COLUMNS` columns).
static inline int interleaved8_applies(const flex_plane_geometry *g) {
    if (!(g->kernel_h == 3 && g->kernel_w == 3 && g->dilation_h == 1 && g->dilation_w == 1 && g->stride_h == g->stride_w
          && (g->stride_h == 1 || g->stride_h == 2) && g->pad_h >= 0 && g->pad_w >= 0 && g->out_h > 0 && g->out_w > 0)) {
        return 0;
    }
    int64_t rows, columns;
    interleaved8_extent(g, &rows, &columns);
    if (g->stride_h == 1) return rows * columns <= INTERLEAVED_PIXELS_STRIDE1;
    // Not the last band of a fused 112-wide layer either: wide rows are faster row-vectorised.
    return rows * columns <= INTERLEAVED_PIXELS_STRIDE2 && columns <= INTERLEAVED_STRIDE2_COLUMNS;
}

/// Output channels `o0 ..< o0 + 8` of a small 3x3 plane (MobileNet's 28x28, 14x14 and 7x7, and 56x56 at stride 2), vectorised across
/// the 8 channels instead of along rows, where a 7- or 14-wide row fills one vector badly and each plane's
/// fixed costs dominate: the 8 input planes are transposed (8 x 8 blocks) into `buffer`, pixel-major with
/// the 8 channels of a pixel in one vector and a zero border, so each output pixel is 9 FMAs of whole
/// vectors; every 8 output pixels of a row are transposed back to the 8 planes, and the epilogue (bias
/// per channel, the residual plane, clamp) applied on the way. Arguments as `flex_kernel_table.depthwise_channels`'s,
/// with `multiplier` 1 and `interleaved8_applies(g)`.
FLEX_AVX2
static void depthwise3x3_interleaved8(const float *input, int64_t input_stride, const float *weights, float *output,
                                      int64_t output_stride, int64_t o0, const flex_plane_geometry *g,
                                      const flex_epilogue *e, float *buffer) {
    int64_t ph, pw;
    interleaved8_extent(g, &ph, &pw);
    const int64_t s = g->stride_h, right = pw - g->pad_w - g->in_w;
    const __m256 zero = _mm256_setzero_ps();
    // Zero rows above and below the input, zero columns left and right of it; the input itself is the 8
    // planes transposed, 8 pixels at a time.
    for (int64_t y = 0; y < ph; y++) {
        if (y >= g->pad_h && y < g->pad_h + g->in_h) continue;
        for (int64_t x = 0; x < pw; x++) _mm256_storeu_ps(buffer + (y * pw + x) * 8, zero);
    }
    for (int64_t y = 0; y < g->in_h; y++) {
        float *row = buffer + ((y + g->pad_h) * pw + g->pad_w) * 8;
        for (int64_t x = 1; x <= g->pad_w; x++) _mm256_storeu_ps(row - x * 8, zero);
        for (int64_t x = 0; x < right; x++) _mm256_storeu_ps(row + (g->in_w + x) * 8, zero);
        for (int64_t x = 0; x < g->in_w; x += 8) {
            const int64_t n = g->in_w - x < 8 ? g->in_w - x : 8;
            // A short chunk reads on into the next row, unless the plane ends first (masked loads and
            // stores are slow on AMD cores; the extra lanes are not stored).
            const int whole = y * g->in_w + x + 8 <= g->in_h * g->in_w;
            const __m256i lanes = flex_first_lanes8(n);
            __m256 r[8];
            for (int c = 0; c < 8; c++) {
                const float *from = input + (o0 + c) * input_stride + y * g->in_w + x;
                r[c] = whole ? _mm256_loadu_ps(from) : _mm256_maskload_ps(from, lanes);
            }
            flex_transpose8(r);
            for (int64_t j = 0; j < n; j++) _mm256_storeu_ps(row + (x + j) * 8, r[j]);
        }
    }
    __m256 w[9];
    for (int k = 0; k < 9; k++) {
        w[k] = _mm256_setr_ps(weights[(o0 + 0) * 9 + k], weights[(o0 + 1) * 9 + k], weights[(o0 + 2) * 9 + k],
                              weights[(o0 + 3) * 9 + k], weights[(o0 + 4) * 9 + k], weights[(o0 + 5) * 9 + k],
                              weights[(o0 + 6) * 9 + k], weights[(o0 + 7) * 9 + k]);
    }
    const __m256 bias = e && e->bias ? _mm256_loadu_ps(e->bias + o0) : _mm256_setzero_ps();
    const int clamp = e && e->clamp;
    const __m256 lower = _mm256_set1_ps(clamp ? e->lower : 0), upper = _mm256_set1_ps(clamp ? e->upper : 0);
    const float *residual = e ? e->residual : NULL;
    const int64_t residual_stride = e ? e->residual_stride : 0;
    for (int64_t oy = 0; oy < g->out_h; oy++) {
        const float *top = buffer + oy * s * pw * 8;
        for (int64_t ox = 0; ox < g->out_w; ox += 8) {
            const int64_t n = g->out_w - ox < 8 ? g->out_w - ox : 8;
            // All 8 pixels, also past the row's end (those lanes are never kept; the buffer has room for
            // their reads): one accumulator per filter row, so that 24 chains of 3 FMAs overlap.
            __m256 r[8];
#pragma clang loop unroll(full)
            for (int j = 0; j < 8; j++) {
                const float *at = top + (ox + j) * s * 8;
                __m256 acc[3];
#pragma clang loop unroll(full)
                for (int ky = 0; ky < 3; ky++) {
                    const float *tap = at + ky * pw * 8;
                    acc[ky] = _mm256_mul_ps(w[3 * ky], _mm256_loadu_ps(tap));
                    acc[ky] = _mm256_fmadd_ps(w[3 * ky + 1], _mm256_loadu_ps(tap + 8), acc[ky]);
                    acc[ky] = _mm256_fmadd_ps(w[3 * ky + 2], _mm256_loadu_ps(tap + 16), acc[ky]);
                }
                r[j] = _mm256_add_ps(_mm256_add_ps(bias, acc[0]), _mm256_add_ps(acc[1], acc[2]));
            }
            flex_transpose8(r);
            // A short chunk's extra lanes land on the following rows' first columns, written after this,
            // unless they would pass the plane's end (there lies another channel's plane, or nothing):
            // only then the stores are masked.
            const int whole = n == 8 || oy * g->out_w + ox + 8 <= g->out_h * g->out_w;
            const __m256i lanes = flex_first_lanes8(n);
            for (int c = 0; c < 8; c++) {
                __m256 v = r[c];
                if (residual) {
                    const float *from = residual + (o0 + c) * output_stride + oy * residual_stride + ox;
                    v = _mm256_add_ps(v, n == 8 ? _mm256_loadu_ps(from) : _mm256_maskload_ps(from, lanes));
                }
                if (clamp) v = _mm256_min_ps(_mm256_max_ps(v, lower), upper);
                float *to = output + (o0 + c) * output_stride + oy * g->out_w + ox;
                if (whole) _mm256_storeu_ps(to, v);
                else _mm256_maskstore_ps(to, lanes, v);
            }
        }
    }
}

/// `flex_depthwise_channels_avx2`: groups of 8 channels of a small 3x3 plane channel-interleaved
/// (`depthwise3x3_interleaved8`), the rest plane by plane.
FLEX_AVX2
static void depthwise_channels_avx2(const float *input, int64_t input_stride, int64_t multiplier,
                                    const float *weights, float *output, int64_t output_stride, int64_t first,
                                    int64_t count, const flex_plane_geometry *g, const flex_epilogue *e) {
    int64_t o = first;
    if (multiplier == 1 && count >= 8 && interleaved8_applies(g)) {
        // Room past the plane for the reads of a last row's 8 pixels (up to 14 pixels beyond it at stride 2).
        static _Thread_local float buffer[INTERLEAVED_FLOATS + 16 * 8] __attribute__((aligned(64)));
        for (; o + 8 <= first + count; o += 8) {
            depthwise3x3_interleaved8(input, input_stride, weights, output, output_stride, o, g, e, buffer);
        }
    }
    depthwise_channels_each(flex_depthwise_plane_avx2, input, input_stride, multiplier, weights, output, output_stride,
                            o, first + count - o, g, e);
}

AVX512 void flex_depthwise_plane_avx512(const float *input, const float *weights, float *output,
                                        const flex_plane_geometry *g, const flex_epilogue *e) {
    const int is3x3 = g->kernel_h == 3 && g->kernel_w == 3 && g->dilation_h == 1 && g->dilation_w == 1;
    if (g->stride_w == 1) {
        if (is3x3) depthwise3x3_avx512(input, weights, output, g, e, 1);
        else depthwise_general_avx512(input, weights, output, g, e, 1);
    } else if (g->stride_w == 2) {
        if (is3x3) depthwise3x3_avx512(input, weights, output, g, e, 2);
        else depthwise_general_avx512(input, weights, output, g, e, 2);
    } else {
        flex_depthwise_plane_portable(input, weights, output, g, e);
    }
}

/// 3x3 (dilation 1, column stride `stride`, a constant) over many channels: the rows needing no checks
/// and the chunks' tap masks are worked out once for all of them (planes up to 1024 outputs wide).
AVX512 __attribute__((always_inline))
static inline void depthwise3x3_channels(const float *input, int64_t input_stride, int64_t multiplier,
                                         const float *weights, float *output, int64_t output_stride, int64_t first,
                                         int64_t count, const flex_plane_geometry *g, const flex_epilogue *e,
                                         const int stride) {
    enum { MAX_CHUNKS = 64 };
    const int64_t chunks = (g->out_w + 15) / 16;
    chunk_masks masks[MAX_CHUNKS];
    for (int64_t c = 0; c < chunks; c++) masks[c] = masks_at(c * 16 * stride - g->pad_w, g->in_w);
    const int64_t left = g->out_w - (chunks - 1) * 16;
    const __mmask16 last_store = left >= 16 ? (__mmask16)0xFFFF : (__mmask16)((1u << left) - 1);
    const inner_rows inner = inner_rows_of(g);
    for (int64_t o = first; o < first + count; o++) {
        __m512 w[9];
        for (int i = 0; i < 9; i++) w[i] = _mm512_set1_ps(weights[o * 9 + i]);
        flex_epilogue tile;
        if (e) {
            tile = *e;
            if (tile.bias) tile.bias += o;
            if (tile.residual) tile.residual += o * output_stride;
        }
        const plane_epilogue resolved = resolve_epilogue(e ? &tile : NULL);
        const float *plane = input + o / multiplier * input_stride;
        float *out = output + o * output_stride;
        for (int64_t c = 0; c < chunks; c++) {
            chunk3x3(plane, out, g, &resolved, w, c * 16, c * 16 * stride - g->pad_w, masks[c],
                     c == chunks - 1 ? last_store : (__mmask16)0xFFFF, inner, stride);
        }
    }
}

/// 3x3 stride-1 planes (dilation 1) by input rows: per 16-column chunk, each input row's taps are loaded
/// once (its 16 columns from the chunk's first tap column, and the next 16 unless `narrow`: chunks of at
/// most 14 outputs, whose taps and padding fit one vector) and shifted by 0, 1 and 2 lanes; their products
/// with the three filter rows go to the three output rows the input row feeds (two running partial sums
/// carried down the plane). Measured against 16-column chunks each loading its 9 taps: 32@112 0.083 ->
/// 0.054 ms, 384@14 0.019 -> 0.010 ms, 960@7 0.027 -> 0.016 ms.
AVX512 __attribute__((always_inline))
static inline void rows3x3_chunk(const float *plane, float *out, const float *residual, const flex_plane_geometry *g,
                                 const __m512 w[9], __m512 bias, __m512 lower, __m512 upper, int64_t first,
                                 __mmask16 load_lo, __mmask16 load_hi, __mmask16 store, const flex_epilogue *e,
                                 const int narrow) {
    const int64_t width = g->in_w, ph = g->pad_h, out_w = g->out_w, out_h = g->out_h;
    const __m512i zero = _mm512_setzero_si512();
    // Before input row q: `upper2` holds output row q + ph - 2's sum over filter rows 0 and 1, `upper1`
    // output row q + ph - 1's over filter row 0.
    __m512 upper2 = _mm512_setzero_ps(), upper1 = _mm512_setzero_ps();
    for (int64_t q = -ph; q <= out_h - 1 - ph + 2; q++) {
        __m512i lo = zero, hi = zero;
        if (q >= 0 && q < g->in_h) {
            lo = _mm512_castps_si512(_mm512_maskz_loadu_ps(load_lo, plane + q * width + first));
            if (!narrow) hi = _mm512_castps_si512(_mm512_maskz_loadu_ps(load_hi, plane + q * width + first + 16));
        }
        const __m512 v0 = _mm512_castsi512_ps(lo);
        const __m512 v1 = _mm512_castsi512_ps(_mm512_alignr_epi32(hi, lo, 1));
        const __m512 v2 = _mm512_castsi512_ps(_mm512_alignr_epi32(hi, lo, 2));
        const __m512 a0 = _mm512_fmadd_ps(w[2], v2, _mm512_fmadd_ps(w[1], v1, _mm512_mul_ps(w[0], v0)));
        const __m512 a1 = _mm512_fmadd_ps(w[5], v2, _mm512_fmadd_ps(w[4], v1, _mm512_mul_ps(w[3], v0)));
        const __m512 a2 = _mm512_fmadd_ps(w[8], v2, _mm512_fmadd_ps(w[7], v1, _mm512_mul_ps(w[6], v0)));
        const int64_t y = q + ph - 2;
        if (y >= 0) {
            __m512 sum = _mm512_add_ps(upper2, a2);
            if (e && e->bias) sum = _mm512_add_ps(sum, bias);
            if (residual) sum = _mm512_add_ps(sum, _mm512_maskz_loadu_ps(store, residual + y * e->residual_stride));
            if (e && e->clamp) sum = _mm512_min_ps(_mm512_max_ps(sum, lower), upper);
            _mm512_mask_storeu_ps(out + y * out_w, store, sum);
        }
        upper2 = _mm512_add_ps(upper1, a1);
        upper1 = a0;
    }
}

static inline int rows3x3_applies(const flex_plane_geometry *g) {
    return g->kernel_h == 3 && g->kernel_w == 3 && g->dilation_h == 1 && g->dilation_w == 1 && g->stride_h == 1 &&
           g->stride_w == 1;
}

/// Output channel `o` of a 3x3 depthwise layer walked by rows: its nine taps and bias broadcast, its
/// input plane (channel `o / multiplier`), residual plane (NULL for none) and output plane.
typedef struct {
    __m512 w[9];
    __m512 bias;
    const float *plane;
    const float *residual;
    float *out;
} rows3x3_channel;

AVX512 static inline rows3x3_channel rows3x3_channel_at(const float *input, int64_t input_stride, int64_t multiplier,
                                                        const float *weights, float *output, int64_t output_stride,
                                                        int64_t o, const flex_epilogue *e) {
    rows3x3_channel ch;
    for (int i = 0; i < 9; i++) ch.w[i] = _mm512_set1_ps(weights[o * 9 + i]);
    ch.bias = _mm512_set1_ps(e && e->bias ? e->bias[o] : 0);
    ch.plane = input + o / multiplier * input_stride;
    ch.residual = e && e->residual ? e->residual + o * output_stride : NULL;
    ch.out = output + o * output_stride;
    return ch;
}

AVX512 static void depthwise3x3_rows_channels(const float *input, int64_t input_stride, int64_t multiplier,
                                              const float *weights, float *output, int64_t output_stride, int64_t first,
                                              int64_t count, const flex_plane_geometry *g, const flex_epilogue *e) {
    const int clamp = e && e->clamp;
    const __m512 lower = _mm512_set1_ps(clamp ? e->lower : 0), upper = _mm512_set1_ps(clamp ? e->upper : 0);
    for (int64_t o = first; o < first + count; o++) {
        const rows3x3_channel ch = rows3x3_channel_at(input, input_stride, multiplier, weights, output, output_stride, o, e);
        const __m512 *w = ch.w, bias = ch.bias;
        const float *plane = ch.plane, *residual = ch.residual;
        float *out = ch.out;
        for (int64_t x0 = 0; x0 < g->out_w; x0 += 16) {
            const int64_t columns = g->out_w - x0 < 16 ? g->out_w - x0 : 16, start = x0 - g->pad_w;
            const __mmask16 lo = flex_lanes_inside(start, g->in_w), hi = flex_lanes_inside(start + 16, g->in_w);
            const __mmask16 store = (__mmask16)((1u << columns) - 1);
            const float *r = residual ? residual + x0 : NULL;
            if (columns <= 14) rows3x3_chunk(plane, out + x0, r, g, w, bias, lower, upper, start, lo, hi, store, e, 1);
            else rows3x3_chunk(plane, out + x0, r, g, w, bias, lower, upper, start, lo, hi, store, e, 0);
        }
    }
}

/// One 16-column chunk of a 3x3 plane of stride 2 (both ways, dilation 1) by input rows: each input row's
/// 33 columns from the chunk's first tap column are loaded once and split into the three taps (even
/// columns, odd columns, even columns one further); an input row feeds filter row 1 of one output row, or
/// filter row 2 of one and filter row 0 of the next, so one running partial sum is carried down the plane.
AVX512 __attribute__((always_inline))
static inline void rows3x3_stride2_chunk(const float *plane, float *out, const float *residual, const flex_plane_geometry *g,
                                         const __m512 w[9], __m512 bias, __m512 lower, __m512 upper, int64_t first,
                                         __mmask16 load_lo, __mmask16 load_hi, __mmask16 load_last, __mmask16 store,
                                         const flex_epilogue *e) {
    const int64_t width = g->in_w, ph = g->pad_h, out_w = g->out_w, out_h = g->out_h;
    const __m512i evens = _mm512_setr_epi32(0, 2, 4, 6, 8, 10, 12, 14, 16, 18, 20, 22, 24, 26, 28, 30);
    const __m512i odds = _mm512_setr_epi32(1, 3, 5, 7, 9, 11, 13, 15, 17, 19, 21, 23, 25, 27, 29, 31);
    // Output row (q + ph) / 2's sum so far (filter rows 0 and, after an odd row, 1).
    __m512 partial = _mm512_setzero_ps();
    for (int64_t q = -ph; q <= 2 * (out_h - 1) - ph + 2; q++) {
        __m512 lo = _mm512_setzero_ps(), hi = lo, last = lo;
        if (q >= 0 && q < g->in_h) {
            const float *row = plane + q * width + first;
            lo = _mm512_maskz_loadu_ps(load_lo, row);
            hi = _mm512_maskz_loadu_ps(load_hi, row + 16);
            last = _mm512_maskz_loadu_ps(load_last, row + 32);
        }
        const __m512 v0 = _mm512_permutex2var_ps(lo, evens, hi), v1 = _mm512_permutex2var_ps(lo, odds, hi);
        const __m512 v2 = _mm512_castsi512_ps(_mm512_alignr_epi32(_mm512_castps_si512(last), _mm512_castps_si512(v0), 1));
        const int64_t r = q + ph;
        if (r & 1) {
            partial = _mm512_fmadd_ps(w[5], v2, _mm512_fmadd_ps(w[4], v1, _mm512_fmadd_ps(w[3], v0, partial)));
            continue;
        }
        if (r >= 2) {
            const int64_t y = r / 2 - 1;
            __m512 sum = _mm512_fmadd_ps(w[8], v2, _mm512_fmadd_ps(w[7], v1, _mm512_fmadd_ps(w[6], v0, partial)));
            if (e && e->bias) sum = _mm512_add_ps(sum, bias);
            if (residual) sum = _mm512_add_ps(sum, _mm512_maskz_loadu_ps(store, residual + y * e->residual_stride));
            if (e && e->clamp) sum = _mm512_min_ps(_mm512_max_ps(sum, lower), upper);
            _mm512_mask_storeu_ps(out + y * out_w, store, sum);
        }
        partial = _mm512_fmadd_ps(w[2], v2, _mm512_fmadd_ps(w[1], v1, _mm512_mul_ps(w[0], v0)));
    }
}

AVX512 static void depthwise3x3_stride2_channels(const float *input, int64_t input_stride, int64_t multiplier,
                                                 const float *weights, float *output, int64_t output_stride, int64_t first,
                                                 int64_t count, const flex_plane_geometry *g, const flex_epilogue *e) {
    const int clamp = e && e->clamp;
    const __m512 lower = _mm512_set1_ps(clamp ? e->lower : 0), upper = _mm512_set1_ps(clamp ? e->upper : 0);
    for (int64_t o = first; o < first + count; o++) {
        const rows3x3_channel ch = rows3x3_channel_at(input, input_stride, multiplier, weights, output, output_stride, o, e);
        const __m512 *w = ch.w, bias = ch.bias;
        const float *plane = ch.plane, *residual = ch.residual;
        float *out = ch.out;
        for (int64_t x0 = 0; x0 < g->out_w; x0 += 16) {
            const int64_t columns = g->out_w - x0 < 16 ? g->out_w - x0 : 16, start = 2 * x0 - g->pad_w;
            const __mmask16 lo = flex_lanes_inside(start, g->in_w), hi = flex_lanes_inside(start + 16, g->in_w);
            const __mmask16 last = flex_lanes_inside(start + 32, g->in_w) & 1;
            const __mmask16 store = (__mmask16)((1u << columns) - 1);
            rows3x3_stride2_chunk(plane, out + x0, residual ? residual + x0 : NULL, g, w, bias, lower, upper, start, lo, hi,
                                  last, store, e);
        }
    }
}

// Aligned to a cache line: its inlined row loops ran 1.2-1.3x slower (MobileNetV2's depthwise layers in
// flexeg-kernel-bench) when linking moved the function 32 bytes within its line, with identical code.
AVX512 __attribute__((aligned(64))) void flex_depthwise_channels_avx512(const float *input, int64_t input_stride, int64_t multiplier,
                                           const float *weights, float *output, int64_t output_stride, int64_t first,
                                           int64_t count, const flex_plane_geometry *g, const flex_epilogue *e) {
    const int is3x3 = g->kernel_h == 3 && g->kernel_w == 3 && g->dilation_h == 1 && g->dilation_w == 1;
    if (rows3x3_applies(g)) {
        depthwise3x3_rows_channels(input, input_stride, multiplier, weights, output, output_stride, first, count, g, e);
        return;
    }
    if (is3x3 && g->out_w <= 1024 && g->stride_w == 1) {
        depthwise3x3_channels(input, input_stride, multiplier, weights, output, output_stride, first, count, g, e, 1);
        return;
    }
    if (is3x3 && g->stride_h == 2 && g->stride_w == 2) {
        depthwise3x3_stride2_channels(input, input_stride, multiplier, weights, output, output_stride, first, count, g, e);
        return;
    }
    if (is3x3 && g->out_w <= 1024 && g->stride_w == 2) {
        depthwise3x3_channels(input, input_stride, multiplier, weights, output, output_stride, first, count, g, e, 2);
        return;
    }
    depthwise_channels_each(flex_depthwise_plane_avx512, input, input_stride, multiplier, weights, output, output_stride,
                            first, count, g, e);
}

#else

void flex_depthwise_plane_avx512(const float *input, const float *weights, float *output,
                                 const flex_plane_geometry *geometry, const flex_epilogue *epilogue) {
    flex_depthwise_plane_portable(input, weights, output, geometry, epilogue);
}

void flex_depthwise_channels_avx512(const float *input, int64_t input_stride, int64_t multiplier,
                                    const float *weights, float *output, int64_t output_stride, int64_t first,
                                    int64_t count, const flex_plane_geometry *g, const flex_epilogue *e) {
    depthwise_channels_each(flex_depthwise_plane_portable, input, input_stride, multiplier, weights, output, output_stride,
                            first, count, g, e);
}

void flex_depthwise_plane_avx2(const float *input, const float *weights, float *output,
                               const flex_plane_geometry *geometry, const flex_epilogue *epilogue) {
    flex_depthwise_plane_portable(input, weights, output, geometry, epilogue);
}

#endif

// The lower families run one plane at a time (defined last, so the AVX-512 kernels keep their code layout).

void flex_depthwise_channels_portable(const float *input, int64_t input_stride, int64_t multiplier,
                                      const float *weights, float *output, int64_t output_stride, int64_t first,
                                      int64_t count, const flex_plane_geometry *g, const flex_epilogue *e) {
    depthwise_channels_each(flex_depthwise_plane_portable, input, input_stride, multiplier, weights, output, output_stride,
                            first, count, g, e);
}

void flex_depthwise_channels_avx2(const float *input, int64_t input_stride, int64_t multiplier,
                                  const float *weights, float *output, int64_t output_stride, int64_t first,
                                  int64_t count, const flex_plane_geometry *g, const flex_epilogue *e) {
#if defined(__x86_64__)
    depthwise_channels_avx2(input, input_stride, multiplier, weights, output, output_stride, first, count, g, e);
#else
    depthwise_channels_each(flex_depthwise_plane_avx2, input, input_stride, multiplier, weights, output, output_stride,
                            first, count, g, e);
#endif
}
