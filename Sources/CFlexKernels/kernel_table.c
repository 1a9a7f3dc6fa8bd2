#include <stddef.h>
#include "kernels.h"

// Adapters giving every family's kernel its slot's signature (the extra arguments are hints the
// lower families' kernels have no use for).

static void winograd43_input_avx2(const float *input, const flex_winograd_chunk *chunk, float *v, int64_t matrix_stride,
                                  int64_t panel_stride, float *scratch, const float *next_input) {
    (void)next_input;
    flex_winograd43_input_avx2(input, chunk, v, matrix_stride, panel_stride, scratch);
}

static void winograd43_input_portable(const float *input, const flex_winograd_chunk *chunk, float *v,
                                      int64_t matrix_stride, int64_t panel_stride, float *scratch,
                                      const float *next_input) {
    (void)next_input;
    flex_winograd43_input_portable(input, chunk, v, matrix_stride, panel_stride, scratch);
}

static void winograd43_output_avx2(const float *m, int64_t matrix_stride, const flex_winograd_chunk *chunk,
                                   float *output, const flex_epilogue *epilogue, int64_t next_plane) {
    (void)next_plane;
    flex_winograd43_output_avx2(m, matrix_stride, chunk, output, epilogue);
}

static void winograd43_output_portable(const float *m, int64_t matrix_stride, const flex_winograd_chunk *chunk,
                                       float *output, const flex_epilogue *epilogue, int64_t next_plane) {
    (void)next_plane;
    flex_winograd43_output_portable(m, matrix_stride, chunk, output, epilogue);
}

static void winograd22_input_portable(const float *input, const flex_winograd_chunk *chunk, const void *table, float *v,
                                      int64_t matrix_stride, int64_t panel_stride) {
    (void)table;
    flex_winograd22_input_portable(input, chunk, v, matrix_stride, panel_stride);
}

static void winograd22_output_portable(const float *m, int64_t matrix_stride, const flex_winograd_chunk *chunk,
                                       float *output, const flex_epilogue *epilogue, int64_t next_plane) {
    (void)next_plane;
    flex_winograd22_output_portable(m, matrix_stride, chunk, output, epilogue);
}

/// AVX-512 has its own kernel for max pooling only.
static void pool_plane_avx512(const float *input, float *output, const flex_plane_geometry *geometry, int32_t kind) {
    if (kind == FLEX_POOL_MAX) {
        flex_max_pool_plane_avx512(input, output, geometry);
    } else {
        flex_pool_plane_avx2(input, output, geometry, kind);
    }
}

static const flex_kernel_table portable = {
    .isa = FLEX_ISA_PORTABLE,
    .fma_peak_loop = flex_fma_peak_loop_portable,
    .fma_peak_lanes = 1,
    .sgemm_kernel = flex_sgemm_kernel_portable,
    .sgemm_macro = NULL,
    .im2col_panel = NULL,
    .im2col_pixel_panels = flex_im2col_pixel_panels,
    .subsample_planes = flex_subsample_planes,
    .transpose_epilogue = flex_transpose_epilogue_portable,
    .depthwise_channels = flex_depthwise_channels_portable,
    .direct_conv = flex_direct_conv_portable,
    .winograd43_input = winograd43_input_portable,
    .winograd43_output = winograd43_output_portable,
    .winograd_gemm16 = NULL,
    .winograd22_uses_table = 0,
    .winograd22_input = winograd22_input_portable,
    .winograd22_output = winograd22_output_portable,
    .add = flex_add_portable,
    .clamp = flex_clamp_portable,
    .pool_plane = flex_pool_plane_portable,
    .global_pool = flex_global_pool_portable,
    .softmax_rows = flex_softmax_rows_portable,
    .layer_norm_rows = flex_layer_norm_rows_portable,
    .gelu = flex_gelu_portable,
    .adaptive_avg_pool = flex_adaptive_avg_pool_portable,
    .bilinear_resize = flex_bilinear_resize_portable,
    .group_norm = flex_group_norm_portable,
};

static const flex_kernel_table avx2 = {
    .isa = FLEX_ISA_AVX2,
    .fma_peak_loop = flex_fma_peak_loop_avx2,
    .fma_peak_lanes = 8,
    .sgemm_kernel = NULL,
    .sgemm_macro = flex_sgemm_macro_avx2,
    .im2col_panel = flex_im2col_panel_avx2,
    .im2col_pixel_panels = flex_im2col_pixel_panels,
    .subsample_planes = flex_subsample_planes,
    .transpose_epilogue = flex_transpose_epilogue_avx2,
    .depthwise_channels = flex_depthwise_channels_avx2,
    .direct_conv = flex_direct_conv_avx2,
    .winograd43_input = winograd43_input_avx2,
    .winograd43_output = winograd43_output_avx2,
    .winograd_gemm16 = NULL,
    .winograd22_uses_table = 0,
    .winograd22_input = winograd22_input_portable,
    .winograd22_output = winograd22_output_portable,
    .add = flex_add_avx2,
    .clamp = flex_clamp_avx2,
    .pool_plane = flex_pool_plane_avx2,
    .global_pool = flex_global_pool_avx2,
    .softmax_rows = flex_softmax_rows_avx2,
    .layer_norm_rows = flex_layer_norm_rows_avx2,
    .gelu = flex_gelu_avx2,
    .adaptive_avg_pool = flex_adaptive_avg_pool_avx2,
    .bilinear_resize = flex_bilinear_resize_avx2,
    .group_norm = flex_group_norm_avx2,
};

static const flex_kernel_table avx512 = {
    .isa = FLEX_ISA_AVX512,
    .fma_peak_loop = flex_fma_peak_loop_avx512,
    .fma_peak_lanes = 16,
    .sgemm_kernel = NULL,
    .sgemm_macro = flex_sgemm_macro_avx512,
    .im2col_panel = flex_im2col_panel_avx512,
    .im2col_pixel_panels = flex_im2col_pixel_panels_avx512,
    .subsample_planes = flex_subsample_planes_avx512,
    .transpose_epilogue = flex_transpose_epilogue_avx512,
    .depthwise_channels = flex_depthwise_channels_avx512,
    .direct_conv = flex_direct_conv_avx512,
    .winograd43_input = flex_winograd43_input_avx512,
    .winograd43_output = flex_winograd43_output_avx512,
    .winograd_gemm16 = flex_winograd43_gemm16_avx512,
    .winograd22_uses_table = 1,
    .winograd22_input = flex_winograd22_input_avx512,
    .winograd22_output = flex_winograd22_output_avx512,
    .add = flex_add_avx2,
    .clamp = flex_clamp_avx2,
    .pool_plane = pool_plane_avx512,
    .global_pool = flex_global_pool_avx2,
    .softmax_rows = flex_softmax_rows_avx512,
    .layer_norm_rows = flex_layer_norm_rows_avx512,
    .gelu = flex_gelu_avx512,
    .adaptive_avg_pool = flex_adaptive_avg_pool_avx2,
    .bilinear_resize = flex_bilinear_resize_avx2,
    .group_norm = flex_group_norm_avx2,
};

const flex_kernel_table *flex_kernels_for(int32_t isa) {
    switch (isa) {
    case FLEX_ISA_PORTABLE: return &portable;
    case FLEX_ISA_AVX2: return &avx2;
    case FLEX_ISA_AVX512: return &avx512;
    default: return NULL;
    }
}
