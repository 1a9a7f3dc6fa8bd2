#include <float.h>
#include "kernels.h"

/// Window rows (or columns) of output index `o`: the input range [*start, *end) it reads, and the
/// divisor extent that counts padding (clipped to the padded input).
static inline void window(int64_t o, int64_t stride, int64_t pad, int64_t kernel, int64_t size,
                          int64_t *start, int64_t *end, int64_t *padded_extent) {
    int64_t s = o * stride - pad;
    int64_t e = s + kernel;
    if (e > size + pad) e = size + pad;
    *padded_extent = e - s;
    *start = s < 0 ? 0 : s;
    *end = e > size ? size : e;
}

static inline float pool_point(const float *input, const flex_plane_geometry *g, int32_t kind, int64_t y, int64_t x) {
    int64_t y0, y1, ph, x0, x1, pw;
    window(y, g->stride_h, g->pad_h, g->kernel_h, g->in_h, &y0, &y1, &ph);
    window(x, g->stride_w, g->pad_w, g->kernel_w, g->in_w, &x0, &x1, &pw);
    if (kind == FLEX_POOL_MAX) {
        float best = -FLT_MAX;
        for (int64_t iy = y0; iy < y1; iy++)
            for (int64_t ix = x0; ix < x1; ix++) best = input[iy * g->in_w + ix] > best ? input[iy * g->in_w + ix] : best;
        return best;
    }
    float sum = 0;
    for (int64_t iy = y0; iy < y1; iy++)
        for (int64_t ix = x0; ix < x1; ix++) sum += input[iy * g->in_w + ix];
    const int64_t divisor = kind == FLEX_POOL_AVG_INCLUDE_PAD ? ph * pw : (y1 - y0) * (x1 - x0);
    return divisor > 0 ? sum / (float)divisor : 0;
}

void flex_pool_plane_portable(const float *input, float *output, const flex_plane_geometry *g, int32_t kind) {
    for (int64_t y = 0; y < g->out_h; y++)
        for (int64_t x = 0; x < g->out_w; x++) output[y * g->out_w + x] = pool_point(input, g, kind, y, x);
}

void flex_global_pool_portable(const float *input, float *output, int64_t planes, int64_t count, int32_t kind) {
    for (int64_t p = 0; p < planes; p++) {
        const float *plane = input + p * count;
        if (kind == FLEX_POOL_MAX) {
            float best = -FLT_MAX;
            for (int64_t i = 0; i < count; i++) best = plane[i] > best ? plane[i] : best;
            output[p] = best;
        } else {
            float sum = 0;
            for (int64_t i = 0; i < count; i++) sum += plane[i];
            output[p] = sum / (float)count;
        }
    }
}

#if defined(__x86_64__)
#include "avx2_helpers.h"

FLEX_AVX2 void flex_global_pool_avx2(const float *input, float *output, int64_t planes, int64_t count, int32_t kind) {
    for (int64_t p = 0; p < planes; p++) {
        const float *plane = input + p * count;
        int64_t i = 0;
        if (kind == FLEX_POOL_MAX) {
            __m256 a = _mm256_set1_ps(-FLT_MAX), b = a;
            for (; i + 16 <= count; i += 16) {
                a = _mm256_max_ps(a, _mm256_loadu_ps(plane + i));
                b = _mm256_max_ps(b, _mm256_loadu_ps(plane + i + 8));
            }
            float best = flex_max8(_mm256_max_ps(a, b));
            for (; i < count; i++) best = plane[i] > best ? plane[i] : best;
            output[p] = best;
        } else {
            __m256 a = _mm256_setzero_ps(), b = a;
            for (; i + 16 <= count; i += 16) {
                a = _mm256_add_ps(a, _mm256_loadu_ps(plane + i));
                b = _mm256_add_ps(b, _mm256_loadu_ps(plane + i + 8));
            }
            float sum = flex_sum8(_mm256_add_ps(a, b));
            for (; i < count; i++) sum += plane[i];
            output[p] = sum / (float)count;
        }
    }
}

FLEX_AVX2 void flex_pool_plane_avx2(const float *input, float *output, const flex_plane_geometry *g, int32_t kind) {
    if (g->stride_w > 2) {
        flex_pool_plane_portable(input, output, g, kind);
        return;
    }
    // Columns whose window lies inside the input row: there the padded width equals the kernel width.
    int64_t low = (g->pad_w + g->stride_w - 1) / g->stride_w;
    const int64_t last = g->in_w - g->kernel_w + g->pad_w;
    int64_t high = last < 0 ? 0 : last / g->stride_w + 1;
    if (high > g->out_w) high = g->out_w;
    if (low > high) low = high;
    for (int64_t y = 0; y < g->out_h; y++) {
        float *out = output + y * g->out_w;
        int64_t y0, y1, ph;
        window(y, g->stride_h, g->pad_h, g->kernel_h, g->in_h, &y0, &y1, &ph);
        for (int64_t x = 0; x < low; x++) out[x] = pool_point(input, g, kind, y, x);
        const int64_t divisor = kind == FLEX_POOL_AVG_INCLUDE_PAD ? ph * g->kernel_w : (y1 - y0) * g->kernel_w;
        const __m256 count = _mm256_set1_ps((float)divisor);
        int64_t x = low;
        // Rows whose window holds no input element take the scalar path for every column.
        if (y1 > y0 && high - low >= 8) {
            for (;; x += 8) {
                // The last 8 columns inside end the row, overlapping the ones before (recomputed alike):
                // a plane 56 wide would otherwise leave 7 of its columns to the scalar path.
                if (x + 8 > high) x = high - 8;
                __m256 acc = kind == FLEX_POOL_MAX ? _mm256_set1_ps(-FLT_MAX) : _mm256_setzero_ps();
                for (int64_t iy = y0; iy < y1; iy++) {
                    const float *row = input + iy * g->in_w + x * g->stride_w - g->pad_w;
                    for (int64_t kx = 0; kx < g->kernel_w; kx++) {
                        const __m256 v = g->stride_w == 1 ? _mm256_loadu_ps(row + kx) : flex_load_even8(row + kx);
                        acc = kind == FLEX_POOL_MAX ? _mm256_max_ps(acc, v) : _mm256_add_ps(acc, v);
                    }
                }
                if (kind != FLEX_POOL_MAX) acc = _mm256_div_ps(acc, count);
                _mm256_storeu_ps(out + x, acc);
                if (x + 8 >= high) break;
            }
            x = high;
        }
        for (; x < g->out_w; x++) out[x] = pool_point(input, g, kind, y, x);
    }
}

#define AVX512 __attribute__((target("avx512f")))

#include "lane_mask.h"

/// Max pooling of one plane with column stride `stride` (1 or 2, a constant after inlining): 16 outputs
/// of a row at a time; taps outside the input are masked to -FLT_MAX, so they never win.
AVX512 __attribute__((always_inline))
static inline void max_pool_plane_avx512(const float *input, float *output, const flex_plane_geometry *g, const int stride) {
    const __m512 lowest = _mm512_set1_ps(-FLT_MAX);
    const __m512i evens = _mm512_setr_epi32(0, 2, 4, 6, 8, 10, 12, 14, 16, 18, 20, 22, 24, 26, 28, 30);
    for (int64_t x0 = 0; x0 < g->out_w; x0 += 16) {
        const int64_t first = x0 * stride - g->pad_w, left = g->out_w - x0;
        const __mmask16 store = left >= 16 ? (__mmask16)0xFFFF : (__mmask16)((1u << left) - 1);
        for (int64_t y = 0; y < g->out_h; y++) {
            __m512 best = lowest;
            for (int64_t ky = 0; ky < g->kernel_h; ky++) {
                const int64_t iy = y * g->stride_h - g->pad_h + ky;
                if (iy < 0 || iy >= g->in_h) continue;
                const float *row = input + iy * g->in_w;
                for (int64_t kx = 0; kx < g->kernel_w; kx++) {
                    const int64_t start = first + kx;
                    __m512 v;
                    if (stride == 1) {
                        v = _mm512_mask_loadu_ps(lowest, flex_lanes_inside(start, g->in_w), row + start);
                    } else {
                        const __m512 lo = _mm512_mask_loadu_ps(lowest, flex_lanes_inside(start, g->in_w), row + start);
                        const __m512 hi = _mm512_mask_loadu_ps(lowest, flex_lanes_inside(start + 16, g->in_w), row + start + 16);
                        v = _mm512_permutex2var_ps(lo, evens, hi);
                    }
                    best = _mm512_max_ps(best, v);
                }
            }
            _mm512_mask_storeu_ps(output + y * g->out_w + x0, store, best);
        }
    }
}

/// A 16-float load at `p`: the lanes in `m` (-FLT_MAX elsewhere), or all of them when `full` (a constant).
AVX512 __attribute__((always_inline))
static inline __m512 pool_load(const float *p, __mmask16 m, __m512 lowest, const int full) {
    return full ? _mm512_loadu_ps(p) : _mm512_mask_loadu_ps(lowest, m, p);
}

/// One 16-column chunk of 3x3 max pooling down all output rows; `full` (a constant) when all its taps lie
/// inside the row, so it loads and stores without masks (slow here).
AVX512 __attribute__((always_inline))
static inline void max_pool3x3_chunk(const float *input, float *output, const flex_plane_geometry *g, int64_t x0, int64_t first,
                                     __mmask16 m0, __mmask16 m1, __mmask16 m2, __mmask16 h0, __mmask16 h2, __mmask16 store,
                                     const int stride, const int full) {
    const __m512 lowest = _mm512_set1_ps(-FLT_MAX);
    const __m512i evens = _mm512_setr_epi32(0, 2, 4, 6, 8, 10, 12, 14, 16, 18, 20, 22, 24, 26, 28, 30);
    const __m512i odds = _mm512_setr_epi32(1, 3, 5, 7, 9, 11, 13, 15, 17, 19, 21, 23, 25, 27, 29, 31);
    const int64_t width = g->in_w;
    for (int64_t y = 0; y < g->out_h; y++) {
        __m512 best = lowest;
        for (int64_t ky = 0; ky < 3; ky++) {
            const int64_t iy = y * g->stride_h - g->pad_h + ky;
            if (iy < 0 || iy >= g->in_h) continue;
            const float *row = input + iy * width + first;
            if (stride == 1) {
                best = _mm512_max_ps(best, pool_load(row, m0, lowest, full));
                best = _mm512_max_ps(best, pool_load(row + 1, m1, lowest, full));
                best = _mm512_max_ps(best, pool_load(row + 2, m2, lowest, full));
            } else {
                const __m512 lo = pool_load(row, m0, lowest, full), hi = pool_load(row + 16, h0, lowest, full);
                const __m512 lo2 = pool_load(row + 2, m2, lowest, full), hi2 = pool_load(row + 18, h2, lowest, full);
                best = _mm512_max_ps(best, _mm512_permutex2var_ps(lo, evens, hi));
                best = _mm512_max_ps(best, _mm512_permutex2var_ps(lo, odds, hi));
                best = _mm512_max_ps(best, _mm512_permutex2var_ps(lo2, evens, hi2));
            }
        }
        if (full) _mm512_storeu_ps(output + y * g->out_w + x0, best);
        else _mm512_mask_storeu_ps(output + y * g->out_w + x0, store, best);
    }
}

/// 3x3 max pooling with column stride `stride` (1 or 2, a constant): per 16-column chunk the tap masks
/// are computed once and the chunk is run down all output rows.
AVX512 __attribute__((always_inline))
static inline void max_pool3x3_plane_avx512(const float *input, float *output, const flex_plane_geometry *g, const int stride) {
    const int64_t width = g->in_w;
    for (int64_t x0 = 0; x0 < g->out_w; x0 += 16) {
        const int64_t first = x0 * stride - g->pad_w, left = g->out_w - x0;
        const __mmask16 store = left >= 16 ? (__mmask16)0xFFFF : (__mmask16)((1u << left) - 1);
        const __mmask16 m0 = flex_lanes_inside(first, width), m1 = flex_lanes_inside(first + 1, width);
        const __mmask16 m2 = flex_lanes_inside(first + 2, width);
        const __mmask16 h0 = flex_lanes_inside(first + 16, width), h2 = flex_lanes_inside(first + 18, width);
        const int full = store == 0xFFFF && m0 == 0xFFFF && m1 == 0xFFFF && m2 == 0xFFFF
            && (stride == 1 || (h0 == 0xFFFF && h2 == 0xFFFF));
        if (full) max_pool3x3_chunk(input, output, g, x0, first, m0, m1, m2, h0, h2, store, stride, 1);
        else max_pool3x3_chunk(input, output, g, x0, first, m0, m1, m2, h0, h2, store, stride, 0);
    }
}

AVX512 void flex_max_pool_plane_avx512(const float *input, float *output, const flex_plane_geometry *g) {
    const int is3x3 = g->kernel_h == 3 && g->kernel_w == 3;
    if (g->stride_w == 1) {
        if (is3x3) max_pool3x3_plane_avx512(input, output, g, 1);
        else max_pool_plane_avx512(input, output, g, 1);
    } else if (g->stride_w == 2) {
        if (is3x3) max_pool3x3_plane_avx512(input, output, g, 2);
        else max_pool_plane_avx512(input, output, g, 2);
    } else {
        flex_pool_plane_portable(input, output, g, FLEX_POOL_MAX);
    }
}

#else

void flex_max_pool_plane_avx512(const float *input, float *output, const flex_plane_geometry *g) {
    flex_pool_plane_portable(input, output, g, FLEX_POOL_MAX);
}

void flex_global_pool_avx2(const float *input, float *output, int64_t planes, int64_t count, int32_t kind) {
    flex_global_pool_portable(input, output, planes, count, kind);
}

void flex_pool_plane_avx2(const float *input, float *output, const flex_plane_geometry *g, int32_t kind) {
    flex_pool_plane_portable(input, output, g, kind);
}

#endif
