#include <math.h>
#include "CFlexKernels.h"

void flex_layer_norm_row_portable(const float *in, const float *gamma, const float *beta, float *out,
                                  int64_t count, float epsilon) {
    float sum = 0;
    for (int64_t i = 0; i < count; i++) sum += in[i];
    const float mean = sum / (float)count;
    float squares = 0;
    for (int64_t i = 0; i < count; i++) squares += (in[i] - mean) * (in[i] - mean);
    const float scale = 1.0f / sqrtf(squares / (float)count + epsilon);
    for (int64_t i = 0; i < count; i++) out[i] = (in[i] - mean) * scale * gamma[i] + beta[i];
}

#if defined(__x86_64__)
#include "avx2_helpers.h"

FLEX_AVX2 void flex_layer_norm_row_avx2(const float *in, const float *gamma, const float *beta, float *out,
                                   int64_t count, float epsilon) {
    __m256 vsum = _mm256_setzero_ps();
    int64_t i = 0;
    for (; i + 8 <= count; i += 8) vsum = _mm256_add_ps(vsum, _mm256_loadu_ps(in + i));
    float sum = flex_sum8(vsum);
    for (; i < count; i++) sum += in[i];
    const float mean = sum / (float)count;

    const __m256 vmean = _mm256_set1_ps(mean);
    __m256 vsquares = _mm256_setzero_ps();
    for (i = 0; i + 8 <= count; i += 8) {
        const __m256 d = _mm256_sub_ps(_mm256_loadu_ps(in + i), vmean);
        vsquares = _mm256_fmadd_ps(d, d, vsquares);
    }
    float squares = flex_sum8(vsquares);
    for (; i < count; i++) squares += (in[i] - mean) * (in[i] - mean);
    const float scale = 1.0f / sqrtf(squares / (float)count + epsilon);

    const __m256 vscale = _mm256_set1_ps(scale);
    for (i = 0; i + 8 <= count; i += 8) {
        const __m256 normalized = _mm256_mul_ps(_mm256_sub_ps(_mm256_loadu_ps(in + i), vmean), vscale);
        _mm256_storeu_ps(out + i, _mm256_fmadd_ps(normalized, _mm256_loadu_ps(gamma + i), _mm256_loadu_ps(beta + i)));
    }
    for (; i < count; i++) out[i] = (in[i] - mean) * scale * gamma[i] + beta[i];
}

#else

void flex_layer_norm_row_avx2(const float *in, const float *gamma, const float *beta, float *out, int64_t count,
                              float epsilon) {
    flex_layer_norm_row_portable(in, gamma, beta, out, count, epsilon);
}

#endif
