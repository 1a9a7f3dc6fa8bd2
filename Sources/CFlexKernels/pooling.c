#include <float.h>
#include "CFlexKernels.h"

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
        for (; y1 > y0 && x + 8 <= high; x += 8) {
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
        }
        for (; x < g->out_w; x++) out[x] = pool_point(input, g, kind, y, x);
    }
}

#else

void flex_global_pool_avx2(const float *input, float *output, int64_t planes, int64_t count, int32_t kind) {
    flex_global_pool_portable(input, output, planes, count, kind);
}

void flex_pool_plane_avx2(const float *input, float *output, const flex_plane_geometry *g, int32_t kind) {
    flex_pool_plane_portable(input, output, g, kind);
}

#endif
