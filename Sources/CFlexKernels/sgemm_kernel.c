#include "kernels.h"
#include "epilogue_scalar.h"

enum { MR = FLEX_GEMM_MR, NR = FLEX_GEMM_NR };

/// Writes the raw MR x NR tile `tile` into C's top-left rows x cols, accumulating and applying the
/// epilogue as requested.
static inline void store_tile_scalar(const float *tile, float *c, int64_t ldc, int64_t rows, int64_t cols,
                                     int32_t accumulate, const flex_epilogue *epilogue) {
    for (int64_t r = 0; r < rows; r++) {
        for (int64_t j = 0; j < cols; j++) {
            float value = tile[r * NR + j];
            if (accumulate) value += c[r * ldc + j];
            if (epilogue) value = flex_epilogue_apply(epilogue, value, r, j);
            c[r * ldc + j] = value;
        }
    }
}

void flex_sgemm_kernel_portable(int64_t k, const float *a, const float *b, float *c, int64_t ldc,
                                int64_t rows, int64_t cols, int32_t accumulate, const flex_epilogue *epilogue) {
    float tile[MR * NR] = {0};
    for (int64_t p = 0; p < k; p++) {
        for (int r = 0; r < MR; r++) {
            const float av = a[p * MR + r];
            for (int j = 0; j < NR; j++) tile[r * NR + j] += av * b[p * NR + j];
        }
    }
    store_tile_scalar(tile, c, ldc, rows, cols, accumulate, epilogue);
}
