#include "CFlexKernels.h"

#if defined(__x86_64__)
#include <immintrin.h>

#define AVX512 __attribute__((target("avx512f")))

AVX512 void flex_im2col_panel_avx512(const float *input, int64_t plane, int64_t row_step, int64_t column_step,
                                     int64_t kernel_h, int64_t kernel_w, int64_t k_start, int64_t k_count,
                                     const int32_t *offsets, int64_t columns, int64_t width, float *destination) {
    const __mmask16 valid = columns >= 16 ? (__mmask16)0xFFFF : (__mmask16)((1u << columns) - 1);
    const __mmask16 row_mask = width >= 16 ? (__mmask16)0xFFFF : (__mmask16)((1u << width) - 1);
    // Columns along one output row read the input at a fixed step: 1 (a copy) or 2 (every other element).
    const int32_t step = columns > 1 ? offsets[1] - offsets[0] : 1;
    int uniform = columns == width && (step == 1 || step == 2);
    for (int l = 2; uniform && l < columns; l++) uniform = offsets[l] - offsets[l - 1] == step;
    const __m512i lanes = _mm512_maskz_loadu_epi32(valid, offsets);
    const __m512i evens = _mm512_setr_epi32(0, 2, 4, 6, 8, 10, 12, 14, 16, 18, 20, 22, 24, 26, 28, 30);
    int64_t channel = k_start / (kernel_h * kernel_w);
    int64_t ky = k_start / kernel_w % kernel_h, kx = k_start % kernel_w;
    for (int64_t p = 0; p < k_count; p++) {
        const float *source = input + channel * plane + ky * row_step + kx * column_step;
        __m512 row;
        if (uniform && step == 1) {
            // Masked loads and stores are slow here: whole 16-wide rows go without.
            row = width == 16 ? _mm512_loadu_ps(source + offsets[0]) : _mm512_maskz_loadu_ps(row_mask, source + offsets[0]);
        } else if (uniform && width == 16) {
            // Elements offsets[0] + 2l for l < 16: the second load stops one short of the 32nd, not needed.
            const float *first = source + offsets[0];
            row = _mm512_permutex2var_ps(_mm512_loadu_ps(first), evens, _mm512_maskz_loadu_ps(0x7FFF, first + 16));
        } else if (uniform) {
            // Elements offsets[0] + 2l for l < width: the loads stop at the last one needed.
            const float *first = source + offsets[0];
            const __mmask32 needed = (__mmask32)((1ull << (2 * width - 1)) - 1);
            row = _mm512_permutex2var_ps(_mm512_maskz_loadu_ps((__mmask16)needed, first), evens,
                                         _mm512_maskz_loadu_ps((__mmask16)(needed >> 16), first + 16));
        } else {
            row = _mm512_mask_i32gather_ps(_mm512_setzero_ps(), valid, lanes, source, 4);
        }
        if (width == 16) _mm512_storeu_ps(destination + p * 16, row);
        else _mm512_mask_storeu_ps(destination + p * width, row_mask, row);
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
                              const int32_t *offsets, int64_t columns, int64_t width, float *destination) {
    int64_t channel = k_start / (kernel_h * kernel_w);
    int64_t ky = k_start / kernel_w % kernel_h, kx = k_start % kernel_w;
    for (int64_t p = 0; p < k_count; p++) {
        const float *source = input + channel * plane + ky * row_step + kx * column_step;
        for (int64_t l = 0; l < width; l++) destination[p * width + l] = l < columns ? source[offsets[l]] : 0;
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

/// The epilogue of one element of output row `o`, column `p` (see `flex_transpose_epilogue_portable`).
static inline float transposed_epilogue(const flex_epilogue *e, float value, int64_t o, int64_t p, int64_t plane) {
    if (!e) return value;
    if (e->bias) value += e->bias[o];
    if (e->residual) value += e->residual[o * plane + p];
    if (e->clamp) value = value < e->lower ? e->lower : (value > e->upper ? e->upper : value);
    return value;
}

void flex_transpose_epilogue_portable(const float *d, int64_t ldd, int64_t pixels, int64_t first, int64_t count,
                                      float *output, int64_t plane, const flex_epilogue *epilogue) {
    for (int64_t o = first; o < first + count; o++) {
        for (int64_t p = 0; p < pixels; p++) output[o * plane + p] = transposed_epilogue(epilogue, d[p * ldd + o], o, p, plane);
    }
}

#if defined(__x86_64__)

AVX512 void flex_transpose_epilogue_avx512(const float *d, int64_t ldd, int64_t pixels, int64_t first, int64_t count,
                                           float *output, int64_t plane, const flex_epilogue *e) {
    const __m512i rows = _mm512_mullo_epi32(_mm512_setr_epi32(0, 1, 2, 3, 4, 5, 6, 7, 8, 9, 10, 11, 12, 13, 14, 15),
                                            _mm512_set1_epi32((int)ldd));
    for (int64_t o = first; o < first + count; o++) {
        const __m512 bias = _mm512_set1_ps(e && e->bias ? e->bias[o] : 0);
        for (int64_t p = 0; p < pixels; p += 16) {
            const int64_t left = pixels - p;
            const __mmask16 m = left >= 16 ? (__mmask16)0xFFFF : (__mmask16)((1u << left) - 1);
            __m512 v = _mm512_mask_i32gather_ps(_mm512_setzero_ps(), m, rows, d + p * ldd + o, 4);
            if (e) {
                if (e->bias) v = _mm512_add_ps(v, bias);
                if (e->residual) v = _mm512_add_ps(v, _mm512_maskz_loadu_ps(m, e->residual + o * plane + p));
                if (e->clamp) v = _mm512_min_ps(_mm512_max_ps(v, _mm512_set1_ps(e->lower)), _mm512_set1_ps(e->upper));
            }
            _mm512_mask_storeu_ps(output + o * plane + p, m, v);
        }
    }
}

#else

void flex_transpose_epilogue_avx512(const float *d, int64_t ldd, int64_t pixels, int64_t first, int64_t count,
                                    float *output, int64_t plane, const flex_epilogue *epilogue) {
    flex_transpose_epilogue_portable(d, ldd, pixels, first, count, output, plane, epilogue);
}

#endif
