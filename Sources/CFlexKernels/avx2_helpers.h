#ifndef FLEX_AVX2_HELPERS_H
#define FLEX_AVX2_HELPERS_H
// Small AVX2 building blocks shared by several kernels (x86-64 only).
#if defined(__x86_64__)
#include <immintrin.h>

#define FLEX_AVX2 __attribute__((target("avx2,fma")))

/// Eight stride-2 elements `p[0], p[2], ..., p[14]`, reading nothing past `p[14]`.
FLEX_AVX2 static inline __m256 flex_load_even8(const float *p) {
    const __m256 lo = _mm256_loadu_ps(p), hi = _mm256_loadu_ps(p + 7);
    // [p0 p2 p8 p10 | p4 p6 p12 p14], then the middle 64-bit lanes swapped.
    const __m256 evens = _mm256_shuffle_ps(lo, hi, _MM_SHUFFLE(3, 1, 2, 0));
    return _mm256_castpd_ps(_mm256_permute4x64_pd(_mm256_castps_pd(evens), _MM_SHUFFLE(3, 1, 2, 0)));
}

/// A mask of the first `n` (0...8) of 8 lanes, for `_mm256_maskload_ps` / `_mm256_maskstore_ps`.
FLEX_AVX2 static inline __m256i flex_first_lanes8(int64_t n) {
    return _mm256_cmpgt_epi32(_mm256_set1_epi32((int)n), _mm256_setr_epi32(0, 1, 2, 3, 4, 5, 6, 7));
}

/// Lanes `l` of 8 with `0 <= start + l < width` (an 8-float load at `start` of a `width`-float row), as
/// a mask for `_mm256_maskload_ps` (the AVX-512 kernels' `flex_lanes_inside`).
FLEX_AVX2 static inline __m256i flex_lanes_inside8(int64_t start, int64_t width) {
    const __m256i at = _mm256_add_epi32(_mm256_set1_epi32((int)start), _mm256_setr_epi32(0, 1, 2, 3, 4, 5, 6, 7));
    return _mm256_and_si256(_mm256_cmpgt_epi32(at, _mm256_set1_epi32(-1)), _mm256_cmpgt_epi32(_mm256_set1_epi32((int)width), at));
}

/// Transposes the 8 x 8 block `r` (rows in registers) in place: afterwards `r[j]` holds column j.
FLEX_AVX2 static inline void flex_transpose8(__m256 r[8]) {
    __m256 t[8];
    for (int i = 0; i < 4; i++) {
        t[2 * i] = _mm256_unpacklo_ps(r[2 * i], r[2 * i + 1]);
        t[2 * i + 1] = _mm256_unpackhi_ps(r[2 * i], r[2 * i + 1]);
    }
    // r[4i + j], 128-bit lane L: rows 4i ... 4i + 3 of column 4L + j.
    for (int i = 0; i < 2; i++) {
        r[4 * i] = _mm256_shuffle_ps(t[4 * i], t[4 * i + 2], 0x44);
        r[4 * i + 1] = _mm256_shuffle_ps(t[4 * i], t[4 * i + 2], 0xEE);
        r[4 * i + 2] = _mm256_shuffle_ps(t[4 * i + 1], t[4 * i + 3], 0x44);
        r[4 * i + 3] = _mm256_shuffle_ps(t[4 * i + 1], t[4 * i + 3], 0xEE);
    }
    for (int j = 0; j < 4; j++) {
        t[j] = _mm256_permute2f128_ps(r[j], r[4 + j], 0x20);
        t[4 + j] = _mm256_permute2f128_ps(r[j], r[4 + j], 0x31);
    }
    for (int j = 0; j < 8; j++) r[j] = t[j];
}

/// One padded row for stride 2, split (the depthwise and direct kernels' column phases): its even padded columns to `row[0 ..< half]`, its odd ones to
/// `row[half ..< 2 * half]` (`half` a multiple of 8), straight from the `width` floats of `from` (NULL:
/// a padding row, all zeros); padded column c holds input column c - pad. Loads that reach past either
/// end of the input are masked (no scratch row: its unaligned stores, read back at once, stalled store
/// forwarding on every load).
FLEX_AVX2 __attribute__((always_inline))
static inline void flex_split_row2(const float *from, float *row, int64_t half, int64_t pad, int64_t width) {
    for (int64_t c = 0; c < half; c += 8) {
        __m256 lo = _mm256_setzero_ps(), hi = _mm256_setzero_ps();
        if (from) {
            // Padded columns 2c ..< 2c + 16 are input columns from 2c - pad.
            const int64_t start = 2 * c - pad;
            if (start >= 0 && start + 16 <= width) {
                lo = _mm256_loadu_ps(from + start);
                hi = _mm256_loadu_ps(from + start + 8);
            } else {
                lo = _mm256_maskload_ps(from + start, flex_lanes_inside8(start, width));
                hi = _mm256_maskload_ps(from + start + 8, flex_lanes_inside8(start + 8, width));
            }
        }
        const __m256 evens = _mm256_shuffle_ps(lo, hi, _MM_SHUFFLE(2, 0, 2, 0));
        const __m256 odds = _mm256_shuffle_ps(lo, hi, _MM_SHUFFLE(3, 1, 3, 1));
        // [l0 l2 h0 h2 | l4 l6 h4 h6] -> [l0 l2 l4 l6 h0 h2 h4 h6]
        _mm256_storeu_ps(row + c, _mm256_castpd_ps(_mm256_permute4x64_pd(_mm256_castps_pd(evens), _MM_SHUFFLE(3, 1, 2, 0))));
        _mm256_storeu_ps(row + half + c, _mm256_castpd_ps(_mm256_permute4x64_pd(_mm256_castps_pd(odds), _MM_SHUFFLE(3, 1, 2, 0))));
    }
}

/// Sum of the 8 lanes.
FLEX_AVX2 static inline float flex_sum8(__m256 v) {
    __m128 s = _mm_add_ps(_mm256_castps256_ps128(v), _mm256_extractf128_ps(v, 1));
    s = _mm_add_ps(s, _mm_movehl_ps(s, s));
    s = _mm_add_ss(s, _mm_shuffle_ps(s, s, 1));
    return _mm_cvtss_f32(s);
}

/// Largest of the 8 lanes.
FLEX_AVX2 static inline float flex_max8(__m256 v) {
    __m128 m = _mm_max_ps(_mm256_castps256_ps128(v), _mm256_extractf128_ps(v, 1));
    m = _mm_max_ps(m, _mm_movehl_ps(m, m));
    m = _mm_max_ss(m, _mm_shuffle_ps(m, m, 1));
    return _mm_cvtss_f32(m);
}

#endif
#endif
