#ifndef FLEX_EPILOGUE_SCALAR_H
#define FLEX_EPILOGUE_SCALAR_H
#include "CFlexKernels.h"

/// The epilogue of one element at (row, col) of a tile: bias, residual, clamp.
static inline float flex_epilogue_apply(const flex_epilogue *e, float value, int64_t row, int64_t col) {
    if (e->bias) value += e->bias_per_column ? e->bias[col] : e->bias[row];
    if (e->residual) value += e->residual[row * e->residual_stride + col];
    if (e->clamp) {
        value = value < e->lower ? e->lower : value;
        value = value > e->upper ? e->upper : value;
    }
    return value;
}

#endif
