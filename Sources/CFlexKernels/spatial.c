// Whole-plane kernels of segmentation and detection heads: adaptive average pooling, bilinear
// resizing and group normalization, over contiguous float32 planes. Each has a portable version and
// an AVX2 one (they are bound by memory; AVX-512 runs the AVX2 kernels). The window, coordinate and
// rounding rules are MXNet 1.9.1's, as `Reference.adaptiveAveragePool`, `Reference.bilinearResize`
// and `Reference.groupNorm` state them.
#include <math.h>
#include <string.h>
#include "kernels.h"

/// First input row (or column) of adaptive window `a` of `out` over `in`: floor(a * in / out) in float32.
static inline int64_t adaptive_start(int64_t a, int64_t out, int64_t in) {
    return (int64_t)floorf((float)(a * in) / (float)out);
}

/// One past the window's last input row: ceil((a + 1) * in / out) in float32.
static inline int64_t adaptive_end(int64_t a, int64_t out, int64_t in) {
    return (int64_t)ceilf((float)((a + 1) * in) / (float)out);
}

/// The source coordinate scale of a resize from `in` to `out` samples (0 for a single output sample).
static inline float resize_scale(int64_t in, int64_t out, int32_t align_corners) {
    if (out <= 1) return 0.0f;
    return align_corners ? (float)(in - 1) / (float)(out - 1) : (float)in / (float)out;
}

/// The source coordinate of output sample `index`: corners aligned, or pixel centres (clamped at 0).
static inline float resize_source(float scale, int64_t index, int32_t align_corners) {
    if (align_corners) return scale * (float)index;
    const float s = scale * ((float)index + 0.5f) - 0.5f;
    return s > 0.0f ? s : 0.0f;
}

/// The column tables of a resize, in `scratch`: `left[x]` and `right[x]` the two source columns of output
/// column `x` (equal at the last column), `weight[x]` the right one's weight.
typedef struct {
    int32_t *left;
    int32_t *right;
    float *weight;
} resize_columns;

static resize_columns resize_column_tables(int64_t w, int64_t ow, int32_t align_corners, float *scratch) {
    resize_columns t = {(int32_t *)scratch, (int32_t *)(scratch + ow), scratch + 2 * ow};
    const float scale = resize_scale(w, ow, align_corners);
    for (int64_t x = 0; x < ow; x++) {
        const float source = resize_source(scale, x, align_corners);
        const int64_t x0 = (int64_t)source;
        t.left[x] = (int32_t)x0;
        t.right[x] = (int32_t)(x0 < w - 1 ? x0 + 1 : x0);
        t.weight[x] = source - (float)x0;
    }
    return t;
}

/// The two source rows of output row `y` and the lower one's weight.
static inline void resize_rows(int64_t y, int64_t h, float scale, int32_t align_corners, int64_t *top, int64_t *bottom,
                               float *weight) {
    const float source = resize_source(scale, y, align_corners);
    const int64_t y0 = (int64_t)source;
    *top = y0;
    *bottom = y0 < h - 1 ? y0 + 1 : y0;
    *weight = source - (float)y0;
}

// MARK: portable

void flex_adaptive_avg_pool_portable(const float *in, float *out, int64_t planes, int64_t h, int64_t w, int64_t oh,
                                     int64_t ow, float *row_sums) {
    for (int64_t p = 0; p < planes; p++) {
        const float *source = in + p * h * w;
        float *destination = out + p * oh * ow;
        for (int64_t i = 0; i < oh; i++) {
            const int64_t h0 = adaptive_start(i, oh, h), h1 = adaptive_end(i, oh, h);
            memcpy(row_sums, source + h0 * w, (size_t)w * sizeof(float));
            for (int64_t r = h0 + 1; r < h1; r++) {
                for (int64_t x = 0; x < w; x++) row_sums[x] += source[r * w + x];
            }
            for (int64_t j = 0; j < ow; j++) {
                const int64_t w0 = adaptive_start(j, ow, w), w1 = adaptive_end(j, ow, w);
                float sum = 0;
                for (int64_t x = w0; x < w1; x++) sum += row_sums[x];
                destination[i * ow + j] = sum / (float)((h1 - h0) * (w1 - w0));
            }
        }
    }
}

/// `out[x] = (1 - weight[x]) * row[left[x]] + weight[x] * row[right[x]]`.
static void resize_row_portable(const float *row, const resize_columns *t, int64_t ow, float *out) {
    for (int64_t x = 0; x < ow; x++) {
        const float w1 = t->weight[x];
        out[x] = (1.0f - w1) * row[t->left[x]] + w1 * row[t->right[x]];
    }
}

/// Output rows of one plane: each source row is resized horizontally once into one of two row buffers
/// (kept while consecutive output rows read it), then pairs are blended vertically by `blend`. Resizing
/// to the same size is a copy (every source position lands on a pixel exactly).
#define FLEX_RESIZE_PLANES(resize_row, blend)                                                                   \
    do {                                                                                                      \
        if (h == oh && w == ow) {                                                                             \
            memcpy(out, in, (size_t)(planes * h * w) * sizeof(float));                                        \
            break;                                                                                            \
        }                                                                                                     \
        const resize_columns t = resize_column_tables(w, ow, align_corners, scratch);                         \
        const float height_scale = resize_scale(h, oh, align_corners);                                        \
        for (int64_t p = 0; p < planes; p++) {                                                                \
            const float *source = in + p * h * w;                                                             \
            float *destination = out + p * oh * ow;                                                           \
            float *upper = scratch + 3 * ow, *lower = scratch + 4 * ow;                                       \
            int64_t upper_row = -1, lower_row = -1;                                                           \
            for (int64_t y = 0; y < oh; y++) {                                                                \
                int64_t top, bottom;                                                                          \
                float weight;                                                                                 \
                resize_rows(y, h, height_scale, align_corners, &top, &bottom, &weight);                       \
                if (top != upper_row) {                                                                       \
                    if (top == lower_row) {                                                                   \
                        float *swap = upper;                                                                  \
                        upper = lower;                                                                        \
                        lower = swap;                                                                         \
                        upper_row = top;                                                                      \
                        lower_row = -1;                                                                       \
                    } else {                                                                                  \
                        resize_row(source + top * w, &t, ow, upper);                                          \
                        upper_row = top;                                                                      \
                    }                                                                                         \
                }                                                                                             \
                if (bottom != lower_row) {                                                                    \
                    resize_row(source + bottom * w, &t, ow, lower);                                           \
                    lower_row = bottom;                                                                       \
                }                                                                                             \
                blend(upper, lower, 1.0f - weight, weight, destination + y * ow, ow);                         \
            }                                                                                                 \
        }                                                                                                     \
    } while (0)

static void blend_rows_portable(const float *upper, const float *lower, float upper_weight, float lower_weight,
                                float *out, int64_t count) {
    for (int64_t x = 0; x < count; x++) out[x] = upper_weight * upper[x] + lower_weight * lower[x];
}

void flex_bilinear_resize_portable(const float *in, float *out, int64_t planes, int64_t h, int64_t w, int64_t oh,
                                   int64_t ow, int32_t align_corners, float *scratch) {
    FLEX_RESIZE_PLANES(resize_row_portable, blend_rows_portable);
}

/// Mean and standard deviation (biased, epsilon inside the root) of `count` floats, two passes.
static void moments_portable(const float *x, int64_t count, float epsilon, float *mean, float *std) {
    float sum = 0;
    for (int64_t i = 0; i < count; i++) sum += x[i];
    const float m = sum / (float)count;
    float squares = 0;
    for (int64_t i = 0; i < count; i++) squares += (x[i] - m) * (x[i] - m);
    *mean = m;
    *std = sqrtf(squares / (float)count + epsilon);
}

void flex_group_norm_portable(const float *in, float *out, int64_t count, int64_t size, int64_t groups,
                              const float *gamma, const float *beta, float epsilon, float *means, float *stds) {
    for (int64_t g = 0; g < count; g++) {
        const float *x = in + g * size;
        float *y = out + g * size;
        float mean, std;
        moments_portable(x, size, epsilon, &mean, &std);
        const float scale = gamma[g % groups] / std, shift = beta[g % groups];
        for (int64_t i = 0; i < size; i++) y[i] = (x[i] - mean) * scale + shift;
        if (means) means[g] = mean;
        if (stds) stds[g] = std;
    }
}

#if defined(__x86_64__)
#include "avx2_helpers.h"

// MARK: AVX2

/// Sum of `count` floats, four 8-lane accumulators.
FLEX_AVX2 static float sum_avx2(const float *x, int64_t count) {
    __m256 s0 = _mm256_setzero_ps(), s1 = _mm256_setzero_ps(), s2 = _mm256_setzero_ps(), s3 = _mm256_setzero_ps();
    int64_t i = 0;
    for (; i + 32 <= count; i += 32) {
        s0 = _mm256_add_ps(s0, _mm256_loadu_ps(x + i));
        s1 = _mm256_add_ps(s1, _mm256_loadu_ps(x + i + 8));
        s2 = _mm256_add_ps(s2, _mm256_loadu_ps(x + i + 16));
        s3 = _mm256_add_ps(s3, _mm256_loadu_ps(x + i + 24));
    }
    for (; i + 8 <= count; i += 8) s0 = _mm256_add_ps(s0, _mm256_loadu_ps(x + i));
    float sum = flex_sum8(_mm256_add_ps(_mm256_add_ps(s0, s1), _mm256_add_ps(s2, s3)));
    for (; i < count; i++) sum += x[i];
    return sum;
}

FLEX_AVX2 void flex_adaptive_avg_pool_avx2(const float *in, float *out, int64_t planes, int64_t h, int64_t w,
                                           int64_t oh, int64_t ow, float *row_sums) {
    for (int64_t p = 0; p < planes; p++) {
        const float *source = in + p * h * w;
        float *destination = out + p * oh * ow;
        for (int64_t i = 0; i < oh; i++) {
            const int64_t h0 = adaptive_start(i, oh, h), h1 = adaptive_end(i, oh, h);
            int64_t x = 0;
            // Column sums of the window's rows: 32 columns at a time (four independent sums), then 8.
            for (; x + 32 <= w; x += 32) {
                const float *column = source + h0 * w + x;
                __m256 s0 = _mm256_loadu_ps(column), s1 = _mm256_loadu_ps(column + 8);
                __m256 s2 = _mm256_loadu_ps(column + 16), s3 = _mm256_loadu_ps(column + 24);
                for (int64_t r = h0 + 1; r < h1; r++) {
                    column += w;
                    s0 = _mm256_add_ps(s0, _mm256_loadu_ps(column));
                    s1 = _mm256_add_ps(s1, _mm256_loadu_ps(column + 8));
                    s2 = _mm256_add_ps(s2, _mm256_loadu_ps(column + 16));
                    s3 = _mm256_add_ps(s3, _mm256_loadu_ps(column + 24));
                }
                _mm256_storeu_ps(row_sums + x, s0);
                _mm256_storeu_ps(row_sums + x + 8, s1);
                _mm256_storeu_ps(row_sums + x + 16, s2);
                _mm256_storeu_ps(row_sums + x + 24, s3);
            }
            for (; x + 8 <= w; x += 8) {
                __m256 s = _mm256_loadu_ps(source + h0 * w + x);
                for (int64_t r = h0 + 1; r < h1; r++) s = _mm256_add_ps(s, _mm256_loadu_ps(source + r * w + x));
                _mm256_storeu_ps(row_sums + x, s);
            }
            for (; x < w; x++) {
                float s = source[h0 * w + x];
                for (int64_t r = h0 + 1; r < h1; r++) s += source[r * w + x];
                row_sums[x] = s;
            }
            for (int64_t j = 0; j < ow; j++) {
                const int64_t w0 = adaptive_start(j, ow, w), w1 = adaptive_end(j, ow, w);
                destination[i * ow + j] = sum_avx2(row_sums + w0, w1 - w0) / (float)((h1 - h0) * (w1 - w0));
            }
        }
    }
}

FLEX_AVX2 static void resize_row_avx2(const float *row, const resize_columns *t, int64_t ow, float *out) {
    int64_t x = 0;
    for (; x + 8 <= ow; x += 8) {
        const __m256 w1 = _mm256_loadu_ps(t->weight + x);
        const __m256 left = _mm256_i32gather_ps(row, _mm256_loadu_si256((const __m256i *)(t->left + x)), 4);
        const __m256 right = _mm256_i32gather_ps(row, _mm256_loadu_si256((const __m256i *)(t->right + x)), 4);
        _mm256_storeu_ps(out + x, _mm256_fmadd_ps(w1, right, _mm256_mul_ps(_mm256_sub_ps(_mm256_set1_ps(1.0f), w1), left)));
    }
    for (; x < ow; x++) {
        const float w1 = t->weight[x];
        out[x] = (1.0f - w1) * row[t->left[x]] + w1 * row[t->right[x]];
    }
}

FLEX_AVX2 static void blend_rows_avx2(const float *upper, const float *lower, float upper_weight, float lower_weight,
                                      float *out, int64_t count) {
    const __m256 a = _mm256_set1_ps(upper_weight), b = _mm256_set1_ps(lower_weight);
    int64_t x = 0;
    for (; x + 8 <= count; x += 8) {
        _mm256_storeu_ps(out + x, _mm256_fmadd_ps(b, _mm256_loadu_ps(lower + x), _mm256_mul_ps(a, _mm256_loadu_ps(upper + x))));
    }
    for (; x < count; x++) out[x] = upper_weight * upper[x] + lower_weight * lower[x];
}

FLEX_AVX2 void flex_bilinear_resize_avx2(const float *in, float *out, int64_t planes, int64_t h, int64_t w, int64_t oh,
                                         int64_t ow, int32_t align_corners, float *scratch) {
    FLEX_RESIZE_PLANES(resize_row_avx2, blend_rows_avx2);
}

FLEX_AVX2 void flex_group_norm_avx2(const float *in, float *out, int64_t count, int64_t size, int64_t groups,
                                    const float *gamma, const float *beta, float epsilon, float *means, float *stds) {
    for (int64_t g = 0; g < count; g++) {
        const float *x = in + g * size;
        float *y = out + g * size;
        const float mean = sum_avx2(x, size) / (float)size;
        const __m256 m = _mm256_set1_ps(mean);
        __m256 q0 = _mm256_setzero_ps(), q1 = _mm256_setzero_ps();
        int64_t i = 0;
        for (; i + 16 <= size; i += 16) {
            const __m256 d0 = _mm256_sub_ps(_mm256_loadu_ps(x + i), m), d1 = _mm256_sub_ps(_mm256_loadu_ps(x + i + 8), m);
            q0 = _mm256_fmadd_ps(d0, d0, q0);
            q1 = _mm256_fmadd_ps(d1, d1, q1);
        }
        for (; i + 8 <= size; i += 8) {
            const __m256 d = _mm256_sub_ps(_mm256_loadu_ps(x + i), m);
            q0 = _mm256_fmadd_ps(d, d, q0);
        }
        float squares = flex_sum8(_mm256_add_ps(q0, q1));
        for (; i < size; i++) squares += (x[i] - mean) * (x[i] - mean);
        const float std = sqrtf(squares / (float)size + epsilon);
        const float scale = gamma[g % groups] / std, shift = beta[g % groups];
        const __m256 s = _mm256_set1_ps(scale), b = _mm256_set1_ps(shift);
        i = 0;
        for (; i + 8 <= size; i += 8) _mm256_storeu_ps(y + i, _mm256_fmadd_ps(_mm256_sub_ps(_mm256_loadu_ps(x + i), m), s, b));
        for (; i < size; i++) y[i] = (x[i] - mean) * scale + shift;
        if (means) means[g] = mean;
        if (stds) stds[g] = std;
    }
}

#else

void flex_adaptive_avg_pool_avx2(const float *in, float *out, int64_t planes, int64_t h, int64_t w, int64_t oh,
                                 int64_t ow, float *row_sums) {
    flex_adaptive_avg_pool_portable(in, out, planes, h, w, oh, ow, row_sums);
}
void flex_bilinear_resize_avx2(const float *in, float *out, int64_t planes, int64_t h, int64_t w, int64_t oh,
                               int64_t ow, int32_t align_corners, float *scratch) {
    flex_bilinear_resize_portable(in, out, planes, h, w, oh, ow, align_corners, scratch);
}
void flex_group_norm_avx2(const float *in, float *out, int64_t count, int64_t size, int64_t groups,
                          const float *gamma, const float *beta, float epsilon, float *means, float *stds) {
    flex_group_norm_portable(in, out, count, size, groups, gamma, beta, epsilon, means, stds);
}

#endif
