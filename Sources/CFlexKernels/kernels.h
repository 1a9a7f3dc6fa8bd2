#ifndef FLEX_KERNELS_INTERNAL_H
#define FLEX_KERNELS_INTERNAL_H
// The per-family kernels behind `flex_kernel_table` (kernel_table.c), private to CFlexKernels: Swift sees
// only the table. Each does what its table slot (include/CFlexKernels.h) says. `_avx512` kernels need
// AVX-512F, `_avx2` ones AVX2 and FMA; on other architectures both are portable code under the same name.

#include "CFlexKernels.h"

float flex_fma_peak_loop_avx512(int64_t iterations);
float flex_fma_peak_loop_avx2(int64_t iterations);
float flex_fma_peak_loop_portable(int64_t iterations);

void flex_sgemm_kernel_portable(int64_t k, const float *a, const float *b, float *c, int64_t ldc,
                                int64_t rows, int64_t cols, int32_t accumulate, const flex_epilogue *epilogue);
void flex_sgemm_macro_avx512(int64_t m, int64_t n, int64_t k, const float *a, int64_t a_stride,
                             const float *b, int64_t b_stride, int64_t b_row_stride, float *c, int64_t ldc,
                             int32_t accumulate, const flex_epilogue *epilogue, const float *a_after);
void flex_sgemm_macro_avx2(int64_t m, int64_t n, int64_t k, const float *a, int64_t a_stride,
                           const float *b, int64_t b_stride, int64_t b_row_stride, float *c, int64_t ldc,
                           int32_t accumulate, const flex_epilogue *epilogue, const float *a_after);

void flex_im2col_panel_avx512(const float *input, int64_t plane, int64_t row_step, int64_t column_step,
                              int64_t kernel_h, int64_t kernel_w, int64_t k_start, int64_t k_count,
                              const int32_t *offsets, int64_t columns, int64_t width, float *destination);
void flex_im2col_panel_avx2(const float *input, int64_t plane, int64_t row_step, int64_t column_step,
                            int64_t kernel_h, int64_t kernel_w, int64_t k_start, int64_t k_count,
                            const int32_t *offsets, int64_t columns, int64_t width, float *destination);
void flex_im2col_pixel_panels(const float *input, int64_t plane, int64_t row_step, int64_t column_step,
                              int64_t kernel_h, int64_t kernel_w, int64_t k_count, const int32_t *offsets,
                              int64_t rows, float *destination, int64_t panel_stride);
void flex_im2col_pixel_panels_avx512(const float *input, int64_t plane, int64_t row_step, int64_t column_step,
                                     int64_t kernel_h, int64_t kernel_w, int64_t k_count, const int32_t *offsets,
                                     int64_t rows, float *destination, int64_t panel_stride);
void flex_subsample_planes(const float *input, int64_t planes, int64_t height, int64_t width, int64_t stride_h,
                           int64_t stride_w, int64_t out_h, int64_t out_w, float *output);
void flex_subsample_planes_avx512(const float *input, int64_t planes, int64_t height, int64_t width,
                                  int64_t stride_h, int64_t stride_w, int64_t out_h, int64_t out_w, float *output);
void flex_transpose_epilogue_avx2(const float *d, int64_t ldd, int64_t pixels, int64_t first, int64_t count,
                                  float *output, int64_t plane, const flex_epilogue *epilogue);
void flex_transpose_epilogue_avx512(const float *d, int64_t ldd, int64_t pixels, int64_t first, int64_t count,
                                    float *output, int64_t plane, const flex_epilogue *epilogue);
void flex_transpose_epilogue_portable(const float *d, int64_t ldd, int64_t pixels, int64_t first, int64_t count,
                                      float *output, int64_t plane, const flex_epilogue *epilogue);

/// One output plane of a depthwise convolution (one channel of the table's `depthwise_channels`, with the
/// epilogue's `bias[0]` and `residual` already the plane's).
void flex_depthwise_plane_avx512(const float *input, const float *weights, float *output,
                                 const flex_plane_geometry *geometry, const flex_epilogue *epilogue);
void flex_depthwise_plane_avx2(const float *input, const float *weights, float *output,
                               const flex_plane_geometry *geometry, const flex_epilogue *epilogue);
void flex_depthwise_plane_portable(const float *input, const float *weights, float *output,
                                   const flex_plane_geometry *geometry, const flex_epilogue *epilogue);
void flex_depthwise_channels_avx2(const float *input, int64_t input_stride, int64_t multiplier,
                                  const float *weights, float *output, int64_t output_stride, int64_t first,
                                  int64_t count, const flex_plane_geometry *geometry, const flex_epilogue *epilogue);
void flex_depthwise_channels_portable(const float *input, int64_t input_stride, int64_t multiplier,
                                      const float *weights, float *output, int64_t output_stride, int64_t first,
                                      int64_t count, const flex_plane_geometry *geometry, const flex_epilogue *epilogue);
void flex_depthwise_channels_avx512(const float *input, int64_t input_stride, int64_t multiplier,
                                    const float *weights, float *output, int64_t output_stride, int64_t first,
                                    int64_t count, const flex_plane_geometry *geometry, const flex_epilogue *epilogue);

void flex_direct_conv_avx512(const float *input, int64_t channels, int64_t out_channels,
                             const flex_plane_geometry *geometry, const float *weights, float *output,
                             int64_t row_start, int64_t row_count, const flex_epilogue *epilogue, float *scratch);
void flex_direct_conv_avx2(const float *input, int64_t channels, int64_t out_channels,
                           const flex_plane_geometry *geometry, const float *weights, float *output,
                           int64_t row_start, int64_t row_count, const flex_epilogue *epilogue, float *scratch);
void flex_direct_conv_portable(const float *input, int64_t channels, int64_t out_channels,
                               const flex_plane_geometry *geometry, const float *weights, float *output,
                               int64_t row_start, int64_t row_count, const flex_epilogue *epilogue, float *scratch);

void flex_winograd43_input_avx512(const float *input, const flex_winograd_chunk *chunk, float *v,
                                  int64_t matrix_stride, int64_t panel_stride, float *scratch,
                                  const float *next_input);
void flex_winograd43_input_avx2(const float *input, const flex_winograd_chunk *chunk, float *v,
                                int64_t matrix_stride, int64_t panel_stride, float *scratch);
void flex_winograd43_input_portable(const float *input, const flex_winograd_chunk *chunk, float *v,
                                    int64_t matrix_stride, int64_t panel_stride, float *scratch);
void flex_winograd43_output_avx512(const float *m, int64_t matrix_stride, const flex_winograd_chunk *chunk,
                                   float *output, const flex_epilogue *epilogue, int64_t next_plane);
void flex_winograd43_output_avx2(const float *m, int64_t matrix_stride, const flex_winograd_chunk *chunk,
                                 float *output, const flex_epilogue *epilogue);
void flex_winograd43_output_portable(const float *m, int64_t matrix_stride, const flex_winograd_chunk *chunk,
                                     float *output, const flex_epilogue *epilogue);
void flex_winograd43_gemm16_avx512(int64_t m, int64_t n, int64_t k, const float *a, int64_t a_stride,
                                   const float *b, float *c, int64_t ldc);

void flex_winograd22_input_avx512(const float *input, const flex_winograd_chunk *chunk, const void *table,
                                  float *v, int64_t matrix_stride, int64_t panel_stride);
void flex_winograd22_input_portable(const float *input, const flex_winograd_chunk *chunk, float *v,
                                    int64_t matrix_stride, int64_t panel_stride);
void flex_winograd22_output_avx512(const float *m, int64_t matrix_stride, const flex_winograd_chunk *chunk,
                                   float *output, const flex_epilogue *epilogue, int64_t next_plane);
void flex_winograd22_output_portable(const float *m, int64_t matrix_stride, const flex_winograd_chunk *chunk,
                                     float *output, const flex_epilogue *epilogue);

void flex_add_avx2(const float *a, const float *b, float *out, int64_t count);
void flex_add_portable(const float *a, const float *b, float *out, int64_t count);
void flex_clamp_avx2(const float *in, float *out, int64_t count, float lower, float upper);
void flex_clamp_portable(const float *in, float *out, int64_t count, float lower, float upper);

void flex_pool_plane_avx2(const float *input, float *output, const flex_plane_geometry *geometry, int32_t kind);
void flex_pool_plane_portable(const float *input, float *output, const flex_plane_geometry *geometry, int32_t kind);
/// `FLEX_POOL_MAX` only.
void flex_max_pool_plane_avx512(const float *input, float *output, const flex_plane_geometry *geometry);
void flex_global_pool_avx2(const float *input, float *output, int64_t planes, int64_t count, int32_t kind);
void flex_global_pool_portable(const float *input, float *output, int64_t planes, int64_t count, int32_t kind);

void flex_softmax_rows_avx512(const float *in, float *out, int64_t rows, int64_t n, const int32_t *valid, float temperature);
void flex_softmax_rows_avx2(const float *in, float *out, int64_t rows, int64_t n, const int32_t *valid, float temperature);
void flex_softmax_rows_portable(const float *in, float *out, int64_t rows, int64_t n, const int32_t *valid, float temperature);
void flex_layer_norm_rows_avx512(const float *in, float *out, int64_t rows, int64_t n, const float *gamma, const float *beta,
                                 float epsilon);
void flex_layer_norm_rows_avx2(const float *in, float *out, int64_t rows, int64_t n, const float *gamma, const float *beta,
                               float epsilon);
void flex_layer_norm_rows_portable(const float *in, float *out, int64_t rows, int64_t n, const float *gamma, const float *beta,
                                   float epsilon);
void flex_gelu_avx512(const float *in, float *out, int64_t count);
void flex_gelu_avx2(const float *in, float *out, int64_t count);
void flex_gelu_portable(const float *in, float *out, int64_t count);

void flex_adaptive_avg_pool_avx2(const float *in, float *out, int64_t planes, int64_t h, int64_t w, int64_t oh,
                                 int64_t ow, float *row_sums);
void flex_adaptive_avg_pool_portable(const float *in, float *out, int64_t planes, int64_t h, int64_t w, int64_t oh,
                                     int64_t ow, float *row_sums);
void flex_bilinear_resize_avx2(const float *in, float *out, int64_t planes, int64_t h, int64_t w, int64_t oh,
                               int64_t ow, int32_t align_corners, float *scratch);
void flex_bilinear_resize_portable(const float *in, float *out, int64_t planes, int64_t h, int64_t w, int64_t oh,
                                   int64_t ow, int32_t align_corners, float *scratch);
void flex_group_norm_avx2(const float *in, float *out, int64_t count, int64_t size, int64_t groups,
                          const float *gamma, const float *beta, float epsilon, float *means, float *stds);
void flex_group_norm_portable(const float *in, float *out, int64_t count, int64_t size, int64_t groups,
                              const float *gamma, const float *beta, float epsilon, float *means, float *stds);

#endif
