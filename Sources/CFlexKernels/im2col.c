#include "CFlexKernels.h"

#if defined(__x86_64__)
#include <immintrin.h>

#define AVX512 __attribute__((target("avx512f")))

AVX512 void flex_im2col_panel_avx512(const float *input, int64_t plane, int64_t row_step, int64_t column_step,
                                     int64_t kernel_h, int64_t kernel_w, int64_t k_start, int64_t k_count,
                                     const int32_t *offsets, int64_t columns, float *destination) {
    const __mmask16 valid = columns >= 16 ? (__mmask16)0xFFFF : (__mmask16)((1u << columns) - 1);
    // Columns along one output row read the input at a fixed step: 1 (a copy) or 2 (every other element).
    const int32_t step = offsets[1] - offsets[0];
    int uniform = columns == 16 && (step == 1 || step == 2);
    for (int l = 2; uniform && l < 16; l++) uniform = offsets[l] - offsets[l - 1] == step;
    const __m512i lanes = _mm512_maskz_loadu_epi32(valid, offsets);
    const __m512i evens = _mm512_setr_epi32(0, 2, 4, 6, 8, 10, 12, 14, 16, 18, 20, 22, 24, 26, 28, 30);
    int64_t channel = k_start / (kernel_h * kernel_w);
    int64_t ky = k_start / kernel_w % kernel_h, kx = k_start % kernel_w;
    for (int64_t p = 0; p < k_count; p++) {
        const float *source = input + channel * plane + ky * row_step + kx * column_step;
        __m512 row;
        if (uniform && step == 1) {
            row = _mm512_loadu_ps(source + offsets[0]);
        } else if (uniform) {
            // 31 elements from offsets[0]: the second load stops one short of the 32nd, which is not needed.
            const float *first = source + offsets[0];
            row = _mm512_permutex2var_ps(_mm512_loadu_ps(first), evens, _mm512_maskz_loadu_ps(0x7FFF, first + 16));
        } else {
            row = _mm512_mask_i32gather_ps(_mm512_setzero_ps(), valid, lanes, source, 4);
        }
        _mm512_storeu_ps(destination + p * 16, row);
        if (++kx == kernel_w) {
            kx = 0;
            if (++ky == kernel_h) {
                ky = 0;
                channel++;
            }
        }
    }
}

#else

// Other architectures never choose the AVX-512 kernels; this keeps the symbol correct anyway.
void flex_im2col_panel_avx512(const float *input, int64_t plane, int64_t row_step, int64_t column_step,
                              int64_t kernel_h, int64_t kernel_w, int64_t k_start, int64_t k_count,
                              const int32_t *offsets, int64_t columns, float *destination) {
    int64_t channel = k_start / (kernel_h * kernel_w);
    int64_t ky = k_start / kernel_w % kernel_h, kx = k_start % kernel_w;
    for (int64_t p = 0; p < k_count; p++) {
        const float *source = input + channel * plane + ky * row_step + kx * column_step;
        for (int64_t l = 0; l < 16; l++) destination[p * 16 + l] = l < columns ? source[offsets[l]] : 0;
        if (++kx == kernel_w) {
            kx = 0;
            if (++ky == kernel_h) {
                ky = 0;
                channel++;
            }
        }
    }
}

#endif
