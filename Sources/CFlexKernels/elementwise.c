#include <string.h>
#include "kernels.h"
#include "epilogue_scalar.h"

void flex_move_floats(float *destination, const float *source, int64_t count) {
    memmove(destination, source, (size_t)count * sizeof(float));
}

void flex_add_portable(const float *a, const float *b, float *out, int64_t count) {
    for (int64_t i = 0; i < count; i++) out[i] = a[i] + b[i];
}

void flex_clamp_portable(const float *in, float *out, int64_t count, float lower, float upper) {
    for (int64_t i = 0; i < count; i++) out[i] = flex_clamp_scalar(in[i], lower, upper);
}

#if defined(__x86_64__)
#include "avx2_helpers.h"

FLEX_AVX2 void flex_add_avx2(const float *a, const float *b, float *out, int64_t count) {
    int64_t i = 0;
    for (; i + 8 <= count; i += 8) _mm256_storeu_ps(out + i, _mm256_add_ps(_mm256_loadu_ps(a + i), _mm256_loadu_ps(b + i)));
    for (; i < count; i++) out[i] = a[i] + b[i];
}

FLEX_AVX2 void flex_clamp_avx2(const float *in, float *out, int64_t count, float lower, float upper) {
    const __m256 lo = _mm256_set1_ps(lower), hi = _mm256_set1_ps(upper);
    int64_t i = 0;
    for (; i + 8 <= count; i += 8) _mm256_storeu_ps(out + i, _mm256_min_ps(_mm256_max_ps(_mm256_loadu_ps(in + i), lo), hi));
    for (; i < count; i++) out[i] = flex_clamp_scalar(in[i], lower, upper);
}

#else

void flex_add_avx2(const float *a, const float *b, float *out, int64_t count) { flex_add_portable(a, b, out, count); }
void flex_clamp_avx2(const float *in, float *out, int64_t count, float lower, float upper) {
    flex_clamp_portable(in, out, count, lower, upper);
}

#endif
