#include "kernels.h"

/// Steps the im2col row index (channel, ky, kx) to the next row `k`.
static inline void next_row(int64_t *channel, int64_t *ky, int64_t *kx, int64_t kernel_h, int64_t kernel_w) {
    if (++*kx == kernel_w) {
        *kx = 0;
        if (++*ky == kernel_h) {
            *ky = 0;
            ++*channel;
        }
    }
}

/// One im2col panel row (see `im2col_panel`) element by element: lanes `< columns` at their offsets,
/// the rest of `width` zero.
static inline void panel_row_scalar(const float *source, const int32_t *offsets, int64_t columns, int64_t width,
                                    float *row) {
    for (int64_t l = 0; l < width; l++) row[l] = l < columns ? source[offsets[l]] : 0;
}

#if defined(__x86_64__)
#include <immintrin.h>
#include "avx2_helpers.h"

#define AVX512 __attribute__((target("avx512f")))

/// Whether a panel's `columns` lanes (all `width` of them) read the input at one step of 1 or 2 (the
/// pixels of one output row), that step in `*step`.
static inline int uniform_lanes(const int32_t *offsets, int64_t columns, int64_t width, int32_t *step) {
    *step = columns > 1 ? offsets[1] - offsets[0] : 1;
    int uniform = columns == width && (*step == 1 || *step == 2);
    for (int64_t l = 2; uniform && l < columns; l++) uniform = offsets[l] - offsets[l - 1] == *step;
    return uniform;
}

FLEX_AVX2 void flex_im2col_panel_avx2(const float *input, int64_t plane, int64_t row_step, int64_t column_step,
                                      int64_t kernel_h, int64_t kernel_w, int64_t k_start, int64_t k_count,
                                      const int32_t *offsets, int64_t columns, int64_t width, float *destination) {
    int32_t step;
    // 16 lanes at step 1 or 2 are two vectors a row; anything else (a panel across output rows, the
    // transposed GEMM's 6-wide panels) goes element by element: gathers are slow on AMD cores.
    const int vector = width == 16 && uniform_lanes(offsets, columns, width, &step);
    int64_t channel = k_start / (kernel_h * kernel_w);
    int64_t ky = k_start / kernel_w % kernel_h, kx = k_start % kernel_w;
    for (int64_t p = 0; p < k_count; p++) {
        const float *source = input + channel * plane + ky * row_step + kx * column_step;
        float *row = destination + p * width;
        if (!vector) {
            panel_row_scalar(source, offsets, columns, width, row);
        } else if (step == 1) {
            _mm256_storeu_ps(row, _mm256_loadu_ps(source + offsets[0]));
            _mm256_storeu_ps(row + 8, _mm256_loadu_ps(source + offsets[0] + 8));
        } else {
            // Elements offsets[0] + 2l for l < 16: the loads read up to the 31st, the last one needed.
            _mm256_storeu_ps(row, flex_load_even8(source + offsets[0]));
            _mm256_storeu_ps(row + 8, flex_load_even8(source + offsets[0] + 16));
        }
        next_row(&channel, &ky, &kx, kernel_h, kernel_w);
    }
}

AVX512 void flex_im2col_panel_avx512(const float *input, int64_t plane, int64_t row_step, int64_t column_step,
                                     int64_t kernel_h, int64_t kernel_w, int64_t k_start, int64_t k_count,
                                     const int32_t *offsets, int64_t columns, int64_t width, float *destination) {
    const __mmask16 valid = columns >= 16 ? (__mmask16)0xFFFF : (__mmask16)((1u << columns) - 1);
    const __mmask16 row_mask = width >= 16 ? (__mmask16)0xFFFF : (__mmask16)((1u << width) - 1);
    // Columns along one output row read the input at a fixed step: 1 (a copy) or 2 (every other element).
    int32_t step;
    const int uniform = uniform_lanes(offsets, columns, width, &step);
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
        next_row(&channel, &ky, &kx, kernel_h, kernel_w);
    }
}

#else

// Other architectures never choose the x86 kernels; this keeps their symbols correct anyway.
void flex_im2col_panel_avx512(const float *input, int64_t plane, int64_t row_step, int64_t column_step,
                              int64_t kernel_h, int64_t kernel_w, int64_t k_start, int64_t k_count,
                              const int32_t *offsets, int64_t columns, int64_t width, float *destination) {
    int64_t channel = k_start / (kernel_h * kernel_w);
    int64_t ky = k_start / kernel_w % kernel_h, kx = k_start % kernel_w;
    for (int64_t p = 0; p < k_count; p++) {
        panel_row_scalar(input + channel * plane + ky * row_step + kx * column_step, offsets, columns, width,
                         destination + p * width);
        next_row(&channel, &ky, &kx, kernel_h, kernel_w);
    }
}

void flex_im2col_panel_avx2(const float *input, int64_t plane, int64_t row_step, int64_t column_step,
                            int64_t kernel_h, int64_t kernel_w, int64_t k_start, int64_t k_count,
                            const int32_t *offsets, int64_t columns, int64_t width, float *destination) {
    flex_im2col_panel_avx512(input, plane, row_step, column_step, kernel_h, kernel_w, k_start, k_count, offsets,
                             columns, width, destination);
}

#endif

void flex_im2col_pixel_panels(const float *input, int64_t plane, int64_t row_step, int64_t column_step,
                              int64_t kernel_h, int64_t kernel_w, int64_t k_count, const int32_t *offsets,
                              int64_t rows, float *destination, int64_t panel_stride) {
    // Blocks of 16 rows: each panel's part of a block is 16 * MR consecutive floats (whole cache lines
    // written at once; panels lie a multiple of 4 KiB apart, which one row at a time would thrash through a
    // single L1 set), and 16 input planes are read side by side.
    enum { MR = FLEX_GEMM_MR, KB = 16 };
    const int64_t panels = (rows + MR - 1) / MR;
    int64_t channel = 0, ky = 0, kx = 0;
    for (int64_t k0 = 0; k0 < k_count; k0 += KB) {
        const int64_t block = k_count - k0 < KB ? k_count - k0 : KB;
        const float *sources[KB];
        for (int64_t p = 0; p < block; p++) {
            sources[p] = input + channel * plane + ky * row_step + kx * column_step;
            next_row(&channel, &ky, &kx, kernel_h, kernel_w);
        }
        for (int64_t panel = 0; panel < panels; panel++) {
            const int32_t *lane = offsets + panel * MR;
            const int64_t lanes = rows - panel * MR < MR ? rows - panel * MR : MR;
            float *to = destination + panel * panel_stride + k0 * MR;
            for (int64_t p = 0; p < block; p++) {
                for (int l = 0; l < MR; l++) to[p * MR + l] = l < lanes ? sources[p][lane[l]] : 0;
            }
        }
    }
}

#if defined(__x86_64__)

AVX512 void flex_im2col_pixel_panels_avx512(const float *input, int64_t plane, int64_t row_step, int64_t column_step,
                                            int64_t kernel_h, int64_t kernel_w, int64_t k_count, const int32_t *offsets,
                                            int64_t rows, float *destination, int64_t panel_stride) {
    // A panel's part of a block of 16 rows is 16 * MR consecutive floats, MR vectors of 16: element e is
    // row e / MR, lane e % MR, gathered at that row's shift from the block's first row plus the lane's offset.
    enum { MR = FLEX_GEMM_MR, KB = 16 };
    int32_t lane_of[MR * KB], shift_of[MR * KB];
    __m512i lane_index[MR];
    for (int e = 0; e < MR * KB; e++) lane_of[e] = e % MR;
    for (int j = 0; j < MR; j++) lane_index[j] = _mm512_loadu_si512(lane_of + 16 * j);
    const int64_t panels = (rows + MR - 1) / MR;
    int64_t channel = 0, ky = 0, kx = 0;
    for (int64_t k0 = 0; k0 < k_count; k0 += KB) {
        const int64_t block = k_count - k0 < KB ? k_count - k0 : KB;
        const float *base = input + channel * plane + ky * row_step + kx * column_step;
        for (int64_t p = 0; p < block; p++) {
            const int32_t shift = (int32_t)(channel * plane + ky * row_step + kx * column_step - (base - input));
            for (int l = 0; l < MR; l++) shift_of[p * MR + l] = shift;
            next_row(&channel, &ky, &kx, kernel_h, kernel_w);
        }
        __m512i shifts[MR];
        __mmask16 stored[MR];
        for (int j = 0; j < MR; j++) {
            const int64_t valid = block * MR - 16 * j;
            stored[j] = valid >= 16 ? (__mmask16)0xFFFF : valid <= 0 ? 0 : (__mmask16)((1u << valid) - 1);
            shifts[j] = _mm512_maskz_loadu_epi32(stored[j], shift_of + 16 * j);
        }
        for (int64_t panel = 0; panel < panels; panel++) {
            const int64_t lanes = rows - panel * MR < MR ? rows - panel * MR : MR;
            const __m512i lane_offsets = _mm512_maskz_loadu_epi32((__mmask16)((1u << lanes) - 1), offsets + panel * MR);
            // Lanes past `rows` read nothing and store zero.
            const __m512i lane_valid = _mm512_set1_epi32((int32_t)lanes);
            float *to = destination + panel * panel_stride + k0 * MR;
            for (int j = 0; j < MR; j++) {
                if (!stored[j]) break;
                const __mmask16 read = stored[j] & _mm512_cmplt_epi32_mask(lane_index[j], lane_valid);
                const __m512i index = _mm512_add_epi32(shifts[j], _mm512_permutexvar_epi32(lane_index[j], lane_offsets));
                const __m512 v = _mm512_mask_i32gather_ps(_mm512_setzero_ps(), read, index, base, 4);
                if (stored[j] == (__mmask16)0xFFFF) _mm512_storeu_ps(to + 16 * j, v);
                else _mm512_mask_storeu_ps(to + 16 * j, stored[j], v);
            }
        }
    }
}

#else

void flex_im2col_pixel_panels_avx512(const float *input, int64_t plane, int64_t row_step, int64_t column_step,
                                     int64_t kernel_h, int64_t kernel_w, int64_t k_count, const int32_t *offsets,
                                     int64_t rows, float *destination, int64_t panel_stride) {
    flex_im2col_pixel_panels(input, plane, row_step, column_step, kernel_h, kernel_w, k_count, offsets, rows,
                             destination, panel_stride);
}

#endif

void flex_subsample_planes(const float *input, int64_t planes, int64_t height, int64_t width, int64_t stride_h,
                           int64_t stride_w, int64_t out_h, int64_t out_w, float *output) {
    for (int64_t c = 0; c < planes; c++) {
        for (int64_t y = 0; y < out_h; y++) {
            const float *from = input + (c * height + y * stride_h) * width;
            float *to = output + (c * out_h + y) * out_w;
            for (int64_t x = 0; x < out_w; x++) to[x] = from[x * stride_w];
        }
    }
}

#if defined(__x86_64__)

AVX512 void flex_subsample_planes_avx512(const float *input, int64_t planes, int64_t height, int64_t width,
                                         int64_t stride_h, int64_t stride_w, int64_t out_h, int64_t out_w, float *output) {
    if (stride_w != 2) {
        flex_subsample_planes(input, planes, height, width, stride_h, stride_w, out_h, out_w, output);
        return;
    }
    const __m512i evens = _mm512_setr_epi32(0, 2, 4, 6, 8, 10, 12, 14, 16, 18, 20, 22, 24, 26, 28, 30);
    for (int64_t c = 0; c < planes; c++) {
        for (int64_t y = 0; y < out_h; y++) {
            const float *from = input + (c * height + y * stride_h) * width;
            float *to = output + (c * out_h + y) * out_w;
            int64_t x = 0;
            // Outputs x ... x + 15 are inputs 2x ... 2x + 30: the loads stop at the last one needed.
            for (; x + 16 <= out_w; x += 16) {
                const float *first = from + 2 * x;
                _mm512_storeu_ps(to + x, _mm512_permutex2var_ps(_mm512_loadu_ps(first), evens,
                                                                _mm512_maskz_loadu_ps(0x7FFF, first + 16)));
            }
            if (x < out_w) {
                const int64_t rest = out_w - x;
                const __mmask32 needed = (__mmask32)((1ull << (2 * rest - 1)) - 1);
                const float *first = from + 2 * x;
                const __m512 row = _mm512_permutex2var_ps(_mm512_maskz_loadu_ps((__mmask16)needed, first), evens,
                                                          _mm512_maskz_loadu_ps((__mmask16)(needed >> 16), first + 16));
                _mm512_mask_storeu_ps(to + x, (__mmask16)((1u << rest) - 1), row);
            }
        }
    }
}

#else

void flex_subsample_planes_avx512(const float *input, int64_t planes, int64_t height, int64_t width,
                                  int64_t stride_h, int64_t stride_w, int64_t out_h, int64_t out_w, float *output) {
    flex_subsample_planes(input, planes, height, width, stride_h, stride_w, out_h, out_w, output);
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

/// Bias, residual and clamp of the first `lanes` (1...8) of 8 pixels `p ...` of output row `o`, then the store.
FLEX_AVX2 static inline void store_transposed8(__m256 v, const flex_epilogue *e, float *output, int64_t o, int64_t p,
                                               int64_t plane, int64_t lanes) {
    const int full = lanes == 8;
    const __m256i mask = flex_first_lanes8(lanes);
    if (e) {
        if (e->bias) v = _mm256_add_ps(v, _mm256_broadcast_ss(e->bias + o));
        if (e->residual) {
            const float *residual = e->residual + o * plane + p;
            v = _mm256_add_ps(v, full ? _mm256_loadu_ps(residual) : _mm256_maskload_ps(residual, mask));
        }
        if (e->clamp) v = _mm256_min_ps(_mm256_max_ps(v, _mm256_set1_ps(e->lower)), _mm256_set1_ps(e->upper));
    }
    if (full) _mm256_storeu_ps(output + o * plane + p, v);
    else _mm256_maskstore_ps(output + o * plane + p, mask, v);
}

FLEX_AVX2 void flex_transpose_epilogue_avx2(const float *d, int64_t ldd, int64_t pixels, int64_t first, int64_t count,
                                           float *output, int64_t plane, const flex_epilogue *e) {
    for (int64_t o = first; o < first + count; o += 8) {
        const int64_t channels = first + count - o < 8 ? first + count - o : 8;
        const __m256i columns = flex_first_lanes8(channels);
        // Blocks of 8 pixels (the last one 1...8): 8 rows of D (8 channels each, zero past the pixels)
        // transposed in registers.
        for (int64_t p = 0; p < pixels; p += 8) {
            const int64_t rows = pixels - p < 8 ? pixels - p : 8;
            __m256 r[8];
            const float *block = d + p * ldd + o;
            for (int i = 0; i < 8; i++) {
                r[i] = i >= rows ? _mm256_setzero_ps()
                     : channels == 8 ? _mm256_loadu_ps(block + i * ldd) : _mm256_maskload_ps(block + i * ldd, columns);
            }
            flex_transpose8(r);
            for (int64_t j = 0; j < channels; j++) store_transposed8(r[j], e, output, o + j, p, plane, rows);
        }
    }
}

/// Transposes the 16 x 16 block `r` (rows in registers) in place: afterwards `r[j]` holds column j.
AVX512 static inline void transpose16(__m512 r[16]) {
    __m512 t[16];
    for (int i = 0; i < 8; i++) {
        t[2 * i] = _mm512_unpacklo_ps(r[2 * i], r[2 * i + 1]);
        t[2 * i + 1] = _mm512_unpackhi_ps(r[2 * i], r[2 * i + 1]);
    }
    // r[4i + j], 128-bit lane L: rows 4i ... 4i + 3 of column 4L + j.
    for (int i = 0; i < 4; i++) {
        r[4 * i] = _mm512_shuffle_ps(t[4 * i], t[4 * i + 2], 0x44);
        r[4 * i + 1] = _mm512_shuffle_ps(t[4 * i], t[4 * i + 2], 0xEE);
        r[4 * i + 2] = _mm512_shuffle_ps(t[4 * i + 1], t[4 * i + 3], 0x44);
        r[4 * i + 3] = _mm512_shuffle_ps(t[4 * i + 1], t[4 * i + 3], 0xEE);
    }
    for (int j = 0; j < 4; j++) {
        const __m512 u0 = _mm512_shuffle_f32x4(r[j], r[4 + j], 0x88), u1 = _mm512_shuffle_f32x4(r[j], r[4 + j], 0xDD);
        const __m512 u2 = _mm512_shuffle_f32x4(r[8 + j], r[12 + j], 0x88), u3 = _mm512_shuffle_f32x4(r[8 + j], r[12 + j], 0xDD);
        t[j] = _mm512_shuffle_f32x4(u0, u2, 0x88);
        t[8 + j] = _mm512_shuffle_f32x4(u0, u2, 0xDD);
        t[4 + j] = _mm512_shuffle_f32x4(u1, u3, 0x88);
        t[12 + j] = _mm512_shuffle_f32x4(u1, u3, 0xDD);
    }
    for (int j = 0; j < 16; j++) r[j] = t[j];
}

/// Bias, residual and clamp of 16 pixels `p ...` of output row `o` (`m`: the valid ones), then the store.
AVX512 static inline void store_transposed(__m512 v, const flex_epilogue *e, float *output, int64_t o, int64_t p,
                                           int64_t plane, __mmask16 m) {
    const int full = m == (__mmask16)0xFFFF;
    if (e) {
        if (e->bias) v = _mm512_add_ps(v, _mm512_set1_ps(e->bias[o]));
        if (e->residual) {
            const float *residual = e->residual + o * plane + p;
            v = _mm512_add_ps(v, full ? _mm512_loadu_ps(residual) : _mm512_maskz_loadu_ps(m, residual));
        }
        if (e->clamp) v = _mm512_min_ps(_mm512_max_ps(v, _mm512_set1_ps(e->lower)), _mm512_set1_ps(e->upper));
    }
    if (full) _mm512_storeu_ps(output + o * plane + p, v);
    else _mm512_mask_storeu_ps(output + o * plane + p, m, v);
}

AVX512 void flex_transpose_epilogue_avx512(const float *d, int64_t ldd, int64_t pixels, int64_t first, int64_t count,
                                           float *output, int64_t plane, const flex_epilogue *e) {
    const __m512i rows = _mm512_mullo_epi32(_mm512_setr_epi32(0, 1, 2, 3, 4, 5, 6, 7, 8, 9, 10, 11, 12, 13, 14, 15),
                                            _mm512_set1_epi32((int)ldd));
    const int64_t blocks = pixels / 16 * 16;
    for (int64_t o = first; o < first + count; o += 16) {
        const int64_t channels = first + count - o < 16 ? first + count - o : 16;
        const __mmask16 columns = channels == 16 ? (__mmask16)0xFFFF : (__mmask16)((1u << channels) - 1);
        // Whole blocks of 16 pixels: 16 rows of D (16 channels each) transposed in registers.
        for (int64_t p = 0; p < blocks; p += 16) {
            __m512 r[16];
            const float *block = d + p * ldd + o;
            if (channels == 16) {
                for (int i = 0; i < 16; i++) r[i] = _mm512_loadu_ps(block + i * ldd);
            } else {
                for (int i = 0; i < 16; i++) r[i] = _mm512_maskz_loadu_ps(columns, block + i * ldd);
            }
            transpose16(r);
            for (int64_t j = 0; j < channels; j++) store_transposed(r[j], e, output, o + j, p, plane, 0xFFFF);
        }
        // The last 1 ... 15 pixels: gathered per channel.
        if (blocks < pixels) {
            const __mmask16 m = (__mmask16)((1u << (pixels - blocks)) - 1);
            for (int64_t j = 0; j < channels; j++) {
                const __m512 v = _mm512_mask_i32gather_ps(_mm512_setzero_ps(), m, rows, d + blocks * ldd + o + j, 4);
                store_transposed(v, e, output, o + j, blocks, plane, m);
            }
        }
    }
}

#else

void flex_transpose_epilogue_avx2(const float *d, int64_t ldd, int64_t pixels, int64_t first, int64_t count,
                                  float *output, int64_t plane, const flex_epilogue *epilogue) {
    flex_transpose_epilogue_portable(d, ldd, pixels, first, count, output, plane, epilogue);
}

void flex_transpose_epilogue_avx512(const float *d, int64_t ldd, int64_t pixels, int64_t first, int64_t count,
                                    float *output, int64_t plane, const flex_epilogue *epilogue) {
    flex_transpose_epilogue_portable(d, ldd, pixels, first, count, output, plane, epilogue);
}

#endif
