#include "kernels.h"

#if defined(__x86_64__)
#include "avx2_helpers.h"

uint32_t flex_cpu_features(void) {
    __builtin_cpu_init();
    uint32_t features = 0;
    if (__builtin_cpu_supports("avx2")) features |= FLEX_CPU_AVX2;
    if (__builtin_cpu_supports("fma")) features |= FLEX_CPU_FMA;
    if (__builtin_cpu_supports("avx512f")) features |= FLEX_CPU_AVX512F;
    return features;
}

FLEX_AVX2
float flex_fma_peak_loop_avx2(int64_t iterations) {
    // 12 independent chains cover the FMA latency (4-5 cycles) times the number of FMA ports (2).
    const __m256 m = _mm256_set1_ps(0.999999f);
    const __m256 a = _mm256_set1_ps(1e-7f);
    __m256 x0 = _mm256_set1_ps(1.0f), x1 = _mm256_set1_ps(1.1f), x2 = _mm256_set1_ps(1.2f);
    __m256 x3 = _mm256_set1_ps(1.3f), x4 = _mm256_set1_ps(1.4f), x5 = _mm256_set1_ps(1.5f);
    __m256 x6 = _mm256_set1_ps(1.6f), x7 = _mm256_set1_ps(1.7f), x8 = _mm256_set1_ps(1.8f);
    __m256 x9 = _mm256_set1_ps(1.9f), x10 = _mm256_set1_ps(2.0f), x11 = _mm256_set1_ps(2.1f);
    for (int64_t i = 0; i < iterations; i++) {
        x0 = _mm256_fmadd_ps(x0, m, a); x1 = _mm256_fmadd_ps(x1, m, a);
        x2 = _mm256_fmadd_ps(x2, m, a); x3 = _mm256_fmadd_ps(x3, m, a);
        x4 = _mm256_fmadd_ps(x4, m, a); x5 = _mm256_fmadd_ps(x5, m, a);
        x6 = _mm256_fmadd_ps(x6, m, a); x7 = _mm256_fmadd_ps(x7, m, a);
        x8 = _mm256_fmadd_ps(x8, m, a); x9 = _mm256_fmadd_ps(x9, m, a);
        x10 = _mm256_fmadd_ps(x10, m, a); x11 = _mm256_fmadd_ps(x11, m, a);
    }
    __m256 s = _mm256_add_ps(_mm256_add_ps(_mm256_add_ps(x0, x1), _mm256_add_ps(x2, x3)),
                             _mm256_add_ps(_mm256_add_ps(x4, x5), _mm256_add_ps(x6, x7)));
    s = _mm256_add_ps(s, _mm256_add_ps(_mm256_add_ps(x8, x9), _mm256_add_ps(x10, x11)));
    float lanes[8];
    _mm256_storeu_ps(lanes, s);
    return lanes[0] + lanes[1] + lanes[2] + lanes[3] + lanes[4] + lanes[5] + lanes[6] + lanes[7];
}

__attribute__((target("avx512f")))
float flex_fma_peak_loop_avx512(int64_t iterations) {
    const __m512 m = _mm512_set1_ps(0.999999f);
    const __m512 a = _mm512_set1_ps(1e-7f);
    __m512 x0 = _mm512_set1_ps(1.0f), x1 = _mm512_set1_ps(1.1f), x2 = _mm512_set1_ps(1.2f);
    __m512 x3 = _mm512_set1_ps(1.3f), x4 = _mm512_set1_ps(1.4f), x5 = _mm512_set1_ps(1.5f);
    __m512 x6 = _mm512_set1_ps(1.6f), x7 = _mm512_set1_ps(1.7f), x8 = _mm512_set1_ps(1.8f);
    __m512 x9 = _mm512_set1_ps(1.9f), x10 = _mm512_set1_ps(2.0f), x11 = _mm512_set1_ps(2.1f);
    for (int64_t i = 0; i < iterations; i++) {
        x0 = _mm512_fmadd_ps(x0, m, a); x1 = _mm512_fmadd_ps(x1, m, a);
        x2 = _mm512_fmadd_ps(x2, m, a); x3 = _mm512_fmadd_ps(x3, m, a);
        x4 = _mm512_fmadd_ps(x4, m, a); x5 = _mm512_fmadd_ps(x5, m, a);
        x6 = _mm512_fmadd_ps(x6, m, a); x7 = _mm512_fmadd_ps(x7, m, a);
        x8 = _mm512_fmadd_ps(x8, m, a); x9 = _mm512_fmadd_ps(x9, m, a);
        x10 = _mm512_fmadd_ps(x10, m, a); x11 = _mm512_fmadd_ps(x11, m, a);
    }
    __m512 s = _mm512_add_ps(_mm512_add_ps(_mm512_add_ps(x0, x1), _mm512_add_ps(x2, x3)),
                             _mm512_add_ps(_mm512_add_ps(x4, x5), _mm512_add_ps(x6, x7)));
    s = _mm512_add_ps(s, _mm512_add_ps(_mm512_add_ps(x8, x9), _mm512_add_ps(x10, x11)));
    return _mm512_reduce_add_ps(s);
}

#else

uint32_t flex_cpu_features(void) { return 0; }

float flex_fma_peak_loop_avx512(int64_t iterations) { return flex_fma_peak_loop_portable(iterations); }

float flex_fma_peak_loop_avx2(int64_t iterations) { return flex_fma_peak_loop_portable(iterations); }

#endif

float flex_fma_peak_loop_portable(int64_t iterations) {
    float x[12];
    for (int j = 0; j < 12; j++) x[j] = 1.0f + 0.1f * (float)j;
    for (int64_t i = 0; i < iterations; i++) {
        for (int j = 0; j < 12; j++) x[j] = x[j] * 0.999999f + 1e-7f;
    }
    float s = 0;
    for (int j = 0; j < 12; j++) s += x[j];
    return s;
}
