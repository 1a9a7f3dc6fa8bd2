#include <string.h>
#include "CFlexKernels.h"
#include "epilogue_scalar.h"

void flex_move_floats(float *destination, const float *source, int64_t count) {
    memmove(destination, source, (size_t)count * sizeof(float));
}

void flex_add_portable(const float *a, const float *b, float *out, int64_t count) {
    for (int64_t i = 0; i < count; i++) out[i] = a[i] + b[i];
}

void flex_mul_portable(const float *a, const float *b, float *out, int64_t count) {
    for (int64_t i = 0; i < count; i++) out[i] = a[i] * b[i];
}

void flex_clamp_portable(const float *in, float *out, int64_t count, float lower, float upper) {
    for (int64_t i = 0; i < count; i++) out[i] = flex_clamp_scalar(in[i], lower, upper);
}

void flex_channel_bias_portable(const float *in, const float *bias, float *out, int64_t channels, int64_t inner,
                                int32_t clamp, float lower, float upper) {
    for (int64_t c = 0; c < channels; c++) {
        for (int64_t i = 0; i < inner; i++) {
            const float value = in[c * inner + i] + bias[c];
            out[c * inner + i] = clamp ? flex_clamp_scalar(value, lower, upper) : value;
        }
    }
}

#if defined(__x86_64__)
#include "avx2_helpers.h"

FLEX_AVX2 void flex_add_avx2(const float *a, const float *b, float *out, int64_t count) {
    int64_t i = 0;
    for (; i + 8 <= count; i += 8) _mm256_storeu_ps(out + i, _mm256_add_ps(_mm256_loadu_ps(a + i), _mm256_loadu_ps(b + i)));
    for (; i < count; i++) out[i] = a[i] + b[i];
}

FLEX_AVX2 void flex_mul_avx2(const float *a, const float *b, float *out, int64_t count) {
    int64_t i = 0;
    for (; i + 8 <= count; i += 8) _mm256_storeu_ps(out + i, _mm256_mul_ps(_mm256_loadu_ps(a + i), _mm256_loadu_ps(b + i)));
    for (; i < count; i++) out[i] = a[i] * b[i];
}

FLEX_AVX2 void flex_clamp_avx2(const float *in, float *out, int64_t count, float lower, float upper) {
    const __m256 lo = _mm256_set1_ps(lower), hi = _mm256_set1_ps(upper);
    int64_t i = 0;
    for (; i + 8 <= count; i += 8) _mm256_storeu_ps(out + i, _mm256_min_ps(_mm256_max_ps(_mm256_loadu_ps(in + i), lo), hi));
    for (; i < count; i++) out[i] = flex_clamp_scalar(in[i], lower, upper);
}

FLEX_AVX2 void flex_channel_bias_avx2(const float *in, const float *bias, float *out, int64_t channels, int64_t inner,
                                 int32_t clamp, float lower, float upper) {
    const __m256 lo = _mm256_set1_ps(lower), hi = _mm256_set1_ps(upper);
    for (int64_t c = 0; c < channels; c++) {
        const float *source = in + c * inner;
        float *destination = out + c * inner;
        const __m256 b = _mm256_set1_ps(bias[c]);
        int64_t i = 0;
        for (; i + 8 <= inner; i += 8) {
            __m256 value = _mm256_add_ps(_mm256_loadu_ps(source + i), b);
            if (clamp) value = _mm256_min_ps(_mm256_max_ps(value, lo), hi);
            _mm256_storeu_ps(destination + i, value);
        }
        for (; i < inner; i++) {
            const float value = source[i] + bias[c];
            destination[i] = clamp ? flex_clamp_scalar(value, lower, upper) : value;
        }
    }
}

#else

void flex_add_avx2(const float *a, const float *b, float *out, int64_t count) { flex_add_portable(a, b, out, count); }
void flex_mul_avx2(const float *a, const float *b, float *out, int64_t count) { flex_mul_portable(a, b, out, count); }
void flex_clamp_avx2(const float *in, float *out, int64_t count, float lower, float upper) {
    flex_clamp_portable(in, out, count, lower, upper);
}
void flex_channel_bias_avx2(const float *in, const float *bias, float *out, int64_t channels, int64_t inner,
                            int32_t clamp, float lower, float upper) {
    flex_channel_bias_portable(in, bias, out, channels, inner, clamp, lower, upper);
}

#endif
