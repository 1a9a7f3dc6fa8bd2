#include <math.h>
#include "CFlexKernels.h"

void flex_softmax_row_portable(const float *in, float *out, int64_t count) {
    float max = in[0];
    for (int64_t i = 1; i < count; i++) max = in[i] > max ? in[i] : max;
    float sum = 0;
    for (int64_t i = 0; i < count; i++) {
        out[i] = expf(in[i] - max);
        sum += out[i];
    }
    const float scale = 1.0f / sum;
    for (int64_t i = 0; i < count; i++) out[i] *= scale;
}

#if defined(__x86_64__)
#include "avx2_helpers.h"

/// e^x for x <= 0 (inputs below -87 give about 1e-38), relative error about 2e-7: x = n ln2 + r with
/// |r| <= ln2 / 2, e^r by a degree-6 polynomial, 2^n built in the exponent bits.
FLEX_AVX2 static inline __m256 exp_nonpositive(__m256 x) {
    x = _mm256_max_ps(x, _mm256_set1_ps(-87.0f));
    const __m256 n = _mm256_round_ps(_mm256_mul_ps(x, _mm256_set1_ps(1.44269504088896341f)),
                                     _MM_FROUND_TO_NEAREST_INT | _MM_FROUND_NO_EXC);
    __m256 r = _mm256_fnmadd_ps(n, _mm256_set1_ps(0.693359375f), x);   // ln2 split for an exact product
    r = _mm256_fnmadd_ps(n, _mm256_set1_ps(-2.12194440e-4f), r);
    __m256 p = _mm256_set1_ps(1.0f / 720);
    p = _mm256_fmadd_ps(p, r, _mm256_set1_ps(1.0f / 120));
    p = _mm256_fmadd_ps(p, r, _mm256_set1_ps(1.0f / 24));
    p = _mm256_fmadd_ps(p, r, _mm256_set1_ps(1.0f / 6));
    p = _mm256_fmadd_ps(p, r, _mm256_set1_ps(0.5f));
    p = _mm256_fmadd_ps(p, r, _mm256_set1_ps(1.0f));
    p = _mm256_fmadd_ps(p, r, _mm256_set1_ps(1.0f));
    const __m256i exponent = _mm256_slli_epi32(_mm256_add_epi32(_mm256_cvtps_epi32(n), _mm256_set1_epi32(127)), 23);
    return _mm256_mul_ps(p, _mm256_castsi256_ps(exponent));
}

FLEX_AVX2 void flex_softmax_row_avx2(const float *in, float *out, int64_t count) {
    int64_t i = 0;
    __m256 vmax = _mm256_set1_ps(in[0]);
    for (; i + 8 <= count; i += 8) vmax = _mm256_max_ps(vmax, _mm256_loadu_ps(in + i));
    float max = flex_max8(vmax);
    for (; i < count; i++) max = in[i] > max ? in[i] : max;

    const __m256 shift = _mm256_set1_ps(max);
    __m256 vsum = _mm256_setzero_ps();
    for (i = 0; i + 8 <= count; i += 8) {
        const __m256 e = exp_nonpositive(_mm256_sub_ps(_mm256_loadu_ps(in + i), shift));
        _mm256_storeu_ps(out + i, e);
        vsum = _mm256_add_ps(vsum, e);
    }
    float sum = flex_sum8(vsum);
    if (i < count) {
        float lanes[8] = {0};
        for (int64_t j = i; j < count; j++) lanes[j - i] = in[j] - max;
        _mm256_storeu_ps(lanes, exp_nonpositive(_mm256_loadu_ps(lanes)));
        for (int64_t j = i; j < count; j++) {
            out[j] = lanes[j - i];
            sum += lanes[j - i];
        }
    }
    const __m256 scale = _mm256_set1_ps(1.0f / sum);
    for (i = 0; i + 8 <= count; i += 8) _mm256_storeu_ps(out + i, _mm256_mul_ps(_mm256_loadu_ps(out + i), scale));
    for (; i < count; i++) out[i] *= 1.0f / sum;
}

#else

void flex_softmax_row_avx2(const float *in, float *out, int64_t count) { flex_softmax_row_portable(in, out, count); }

#endif
