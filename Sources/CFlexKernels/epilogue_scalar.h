#ifndef FLEX_EPILOGUE_SCALAR_H
#define FLEX_EPILOGUE_SCALAR_H
#include "kernels.h"

/// `value` limited to [lower, upper].
static inline float flex_clamp_scalar(float value, float lower, float upper) {
    value = value < lower ? lower : value;
    return value > upper ? upper : value;
}

/// The epilogue of one element at (row, col) of a GEMM tile: bias, residual, clamp.
static inline float flex_epilogue_apply(const flex_epilogue *e, float value, int64_t row, int64_t col) {
    if (e->bias) value += e->bias_per_column ? e->bias[col] : e->bias[row];
    if (e->residual) value += e->residual[row * e->residual_stride + col];
    return e->clamp ? flex_clamp_scalar(value, e->lower, e->upper) : value;
}

/// The epilogue of the element at (y, x) of one output channel's plane, whose bias is `bias[0]`;
/// `e` NULL means none.
static inline float flex_plane_epilogue_apply(const flex_epilogue *e, float value, int64_t y, int64_t x) {
    if (!e) return value;
    if (e->bias) value += e->bias[0];
    if (e->residual) value += e->residual[y * e->residual_stride + x];
    return e->clamp ? flex_clamp_scalar(value, e->lower, e->upper) : value;
}

#endif
