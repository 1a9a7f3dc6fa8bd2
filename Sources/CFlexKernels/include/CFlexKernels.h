#ifndef CFLEXKERNELS_H
#define CFLEXKERNELS_H
// ISA-specific micro-kernels, each a small C function with a per-function target attribute. Swift reaches
// them through one table per instruction-set family (`flex_kernels_for`), resolved once per process for
// the family it runs; everything else (packing, blocking, choosing an algorithm) is Swift.
//
// The families are portable C (any CPU), AVX2+FMA and AVX-512F (which uses the AVX2 kernels where it has
// none of its own). A family without a kernel for some job has NULL in that slot, or the next family down's
// kernel: each slot's comment says which. All pointers are float32 arrays; strides and counts are in elements.

#include <stdint.h>

#ifdef __cplusplus
extern "C" {
#endif

// MARK: - CPU detection

enum {
    FLEX_CPU_AVX2 = 1 << 0,
    FLEX_CPU_FMA = 1 << 1,
    FLEX_CPU_AVX512F = 1 << 2,
};

/// Bit set of `FLEX_CPU_*` features the running CPU (and OS) supports; 0 on non-x86 hosts.
uint32_t flex_cpu_features(void);

// MARK: - Shared types

/// GEMM micro-tile shape: a micro-kernel computes a `FLEX_GEMM_MR` x `FLEX_GEMM_NR` block of C.
#define FLEX_GEMM_MR 6
#define FLEX_GEMM_NR 16

/// What to do with a finished tile, with every pointer already offset to the tile's first element.
/// `out = clamp(acc + bias + residual, lower, upper)`; absent parts are skipped.
typedef struct flex_epilogue {
    /// Bias per row (`bias[r]`) or, if `bias_per_column`, per column (`bias[c]`); NULL for none.
    const float *bias;
    /// Residual tile with row stride `residual_stride`; NULL for none. Must not alias C.
    const float *residual;
    int64_t residual_stride;
    float lower;
    float upper;
    int32_t bias_per_column;
    /// Nonzero to clamp to [lower, upper] (ReLU is [0, +inf]).
    int32_t clamp;
} flex_epilogue;

/// Geometry of one 2-D convolution plane: an `in_h` x `in_w` input plane, a `kernel_h` x `kernel_w`
/// filter applied with stride, zero padding (same on both sides) and dilation, an `out_h` x `out_w` output.
typedef struct flex_plane_geometry {
    int64_t in_h, in_w, out_h, out_w;
    int64_t kernel_h, kernel_w, stride_h, stride_w, pad_h, pad_w, dilation_h, dilation_w;
} flex_plane_geometry;

/// Where the Winograd tiles of one chunk live. The chunk is tile rows `tile_row_start ..< tile_row_start +
/// tile_rows` of the batch's rows numbered image by image: row `R` is tile row `ty = R % rows_per_image` of
/// image `R / rows_per_image`, whose plane starts `image_stride` floats after the previous image's. Tiles are
/// numbered `t = (R - tile_row_start) * tiles_per_row + tx`. For F(4x4, 3x3) tile (ty, tx) covers output
/// rows `4ty ..< 4ty + 4` and columns `4tx ..< 4tx + 4`, and input rows `4ty - pad_h ..< 4ty - pad_h + 6`
/// (likewise columns); for F(2x2, 3x3) output rows `2ty ..< 2ty + 2` and input rows `2ty - pad_h ..< 2ty -
/// pad_h + 4`.
typedef struct flex_winograd_chunk {
    int64_t height, width;          // input plane (for the input transform) or output plane (output transform)
    int64_t pad_h, pad_w;           // input transform only
    int64_t tile_row_start, tile_rows, tiles_per_row;
    int64_t rows_per_image, image_stride;
} flex_winograd_chunk;

enum {
    FLEX_POOL_MAX = 0,
    /// Average dividing by the window clipped to the padded input (MXNet `count_include_pad=True`).
    FLEX_POOL_AVG_INCLUDE_PAD = 1,
    /// Average dividing by the number of input elements in the window.
    FLEX_POOL_AVG_EXCLUDE_PAD = 2,
};

// MARK: - Kernels that do not depend on the instruction set

/// `memmove` of `count` floats: the regions may overlap.
void flex_move_floats(float *destination, const float *source, int64_t count);

/// Winograd filter transform `U_p[o][c] = (G g_oc G^T)[p / a][p % a]`, in double: `weights` `[O, C, 3, 3]`,
/// `g` the row-major a x 3 matrix G, `out` the a² matrices `[O, C]` one after another (a² * O * C floats).
void flex_winograd_transform_weights(const float *weights, int64_t output_channels, int64_t input_channels,
                                     const double *g, int64_t a, float *out);

/// Floats of scratch the table's `direct_conv` needs per call for `channels` input channels.
int64_t flex_direct_conv_scratch_count(int64_t channels, const flex_plane_geometry *geometry);

/// The gather table of one F(2x2, 3x3) chunk for the table's `winograd22_input` (see there): `16 * P` int32
/// offsets of the tiles' top-left input element from the plane of the chunk's first image (0 past the
/// tiles), then `16 * P` uint16 lane masks, mask `16 p + i * 4 + j` holding the tiles of panel p whose
/// element (i, j) lies in the plane, for the chunk's P = ceil(tiles / 16) panels of 16 tiles. `table` holds
/// `16 * P * 6` bytes.
void flex_winograd22_table(const flex_winograd_chunk *chunk, void *table);

// MARK: - The dispatch table

/// Instruction-set families, in order: a family's kernels run on every CPU that runs a higher one.
enum {
    FLEX_ISA_PORTABLE = 0,
    FLEX_ISA_AVX2 = 1,
    FLEX_ISA_AVX512 = 2,
};

/// One family's micro-kernels. Slots marked "NULL below AVX-512" are jobs only the AVX-512F family has a
/// kernel for; the Swift caller then does the job another way (says each slot).
typedef struct flex_kernel_table {
    /// `FLEX_ISA_*` of this family.
    int32_t isa;

    /// Runs `iterations` rounds of 12 independent multiply-add chains of `fma_peak_lanes` lanes (2 flops a
    /// lane a chain) and returns a value derived from the results so the work cannot be optimised away.
    /// Used to measure one core's FMA peak.
    float (*fma_peak_loop)(int64_t iterations);
    int32_t fma_peak_lanes;

    /// `C[rows x cols] (+)= A_panel . B_panel`, then the epilogue if `epilogue` is non-NULL.
    ///
    /// `a` is a packed A micro-panel: `k` groups of `FLEX_GEMM_MR` floats (`a[p * MR + r]` = A[r][p]).
    /// `b` is a packed B micro-panel: `k` groups of `FLEX_GEMM_NR` floats (`b[p * NR + c]` = B[p][c]).
    /// `c` is row-major with row stride `ldc`; only the top-left `rows` x `cols` (<= MR x NR) is written.
    /// `accumulate` nonzero adds to the existing C instead of overwriting it. `k` may be 0.
    /// Portable family only: NULL in the families with an `sgemm_macro`.
    void (*sgemm_kernel)(int64_t k, const float *a, const float *b, float *c, int64_t ldc, int64_t rows,
                         int64_t cols, int32_t accumulate, const flex_epilogue *epilogue);

    /// A block of C from whole micro-panels: `C[m x n] (+)= A . B`, then the epilogue per tile (`epilogue`
    /// describes the block's top-left element; NULL for none). NULL in the portable family (Swift then
    /// calls `sgemm_kernel` per 6 x 16 tile, and packs B instead of reading it in place).
    ///
    /// `a` is the block's first packed A panel (`k` groups of `FLEX_GEMM_MR` floats), the next panels
    /// `a_stride` floats apart. B's columns `16q ..< 16q + 16` start at `b + q * b_stride`, their row `p` at
    /// `+ p * b_row_stride`: packed panels have `b_row_stride == FLEX_GEMM_NR` (and zero padding past the last
    /// column); any other row stride reads B in place, a row-major matrix with `b_stride == 16`, whose last
    /// row is read only up to column `n`. Tiles are 6 x 32 with AVX-512 (6 x 16 for a final 1...16
    /// columns), 6 x 16 with AVX2, with exact row counts. C is row-major with row stride `ldc`. While the first column tile runs, the next A panel
    /// is prefetched, and after the last one `a_after` (`k` groups of 6 floats: the next block's first panel;
    /// NULL for none).
    void (*sgemm_macro)(int64_t m, int64_t n, int64_t k, const float *a, int64_t a_stride, const float *b,
                        int64_t b_stride, int64_t b_row_stride, float *c, int64_t ldc, int32_t accumulate,
                        const flex_epilogue *epilogue, const float *a_after);

    /// Rows `k_start ..< k_start + k_count` of one panel of `width` (16 for GEMM B panels, 6 for A panels of
    /// the transposed matrix) columns of a convolution's implicit im2col matrix, into `destination` (`k_count`
    /// groups of `width` floats). Row `k = (c * kernel_h + ky) * kernel_w + kx` of column lane `l` (< `columns`
    /// <= `width`; later lanes are zero) is `input[c * plane + ky * row_step + kx * column_step + offsets[l]]`
    /// (`offsets`: int32, read up to `columns`). Lanes at a constant step of 1 or 2 are loaded as vectors,
    /// others gathered (AVX-512) or read one by one (AVX2, 16-wide panels only vectorised). NULL in the
    /// portable family (Swift packs the panel itself).
    void (*im2col_panel)(const float *input, int64_t plane, int64_t row_step, int64_t column_step,
                         int64_t kernel_h, int64_t kernel_w, int64_t k_start, int64_t k_count,
                         const int32_t *offsets, int64_t columns, int64_t width, float *destination);

    /// Rows `0 ..< k_count` of `rows` columns of a convolution's implicit im2col matrix as the A panels of the
    /// transposed GEMM: column `i` goes to lane `i % FLEX_GEMM_MR` of panel `i / FLEX_GEMM_MR`, which starts at
    /// `destination + (i / FLEX_GEMM_MR) * panel_stride` and holds `k_count` groups of `FLEX_GEMM_MR` floats
    /// (lanes past `rows` are zero). Row `k = (c * kernel_h + ky) * kernel_w + kx` of column `i` is
    /// `input[c * plane + ky * row_step + kx * column_step + offsets[i]]` (int32 offsets; 16 rows' shifts must
    /// fit int32 too). Works through 16 rows at a time, writing each panel's part of them whole. The AVX-512
    /// kernel gathers; the others are the portable one.
    void (*im2col_pixel_panels)(const float *input, int64_t plane, int64_t row_step, int64_t column_step,
                                int64_t kernel_h, int64_t kernel_w, int64_t k_count, const int32_t *offsets,
                                int64_t rows, float *destination, int64_t panel_stride);

    /// `output[c][y][x] = input[c][y * stride_h][x * stride_w]` for `planes` planes of `height` x `width` in and
    /// `out_h` x `out_w` out (a strided 1x1 convolution's input, sampled once). The AVX-512 kernel vectorises
    /// `stride_w == 2`; the others are the portable one.
    void (*subsample_planes)(const float *input, int64_t planes, int64_t height, int64_t width, int64_t stride_h,
                             int64_t stride_w, int64_t out_h, int64_t out_w, float *output);

    /// Output rows `first ..< first + count` of a convolution computed transposed: `d` is `[pixels, O]` with
    /// row stride `ldd` (pixel-major); `output[o * plane + p] = clamp(d[p * ldd + o] + bias[o] + residual[o *
    /// plane + p])` for `p < pixels`, with `epilogue` (NULL for none; `bias` per output row, `residual` in the
    /// output's layout; its `residual_stride` and `bias_per_column` are ignored). The AVX-512 kernel transposes
    /// 16 x 16 blocks in registers, the AVX2 one 8 x 8 blocks; the portable one goes element by element.
    void (*transpose_epilogue)(const float *d, int64_t ldd, int64_t pixels, int64_t first, int64_t count,
                               float *output, int64_t plane, const flex_epilogue *epilogue);

    /// Output channels `first ..< first + count` of a depthwise convolution: channel `o` reads input plane
    /// `input + (o / multiplier) * input_stride` and filter `weights + o * kernel_h * kernel_w`, and writes
    /// `out[y][x] = sum_{ky,kx} w[ky * kernel_w + kx] * in[y*sh - ph + ky*dh][x*sw - pw + kx*dw]` to the
    /// `out_h` x `out_w` plane `output + o * output_stride`, then the epilogue with `bias[o]` as the plane's
    /// bias and `residual + o * output_stride` as its residual plane of row stride `residual_stride`
    /// (`bias_per_column` is ignored). Planes are dense row-major; the output must not alias the input.
    /// AVX2 and AVX-512 vectorise along output rows (AVX-512 with masked loads at every edge, column strides
    /// 1 and 2; other strides run the portable code).
    void (*depthwise_channels)(const float *input, int64_t input_stride, int64_t multiplier, const float *weights,
                               float *output, int64_t output_stride, int64_t first, int64_t count,
                               const flex_plane_geometry *geometry, const flex_epilogue *epilogue);

    /// Output rows `row_start ..< row_start + row_count` of one image of a single-group convolution computed
    /// directly: `input` is `[channels, in_h, in_w]`, `output` `[out_channels, out_h, out_w]` (dense, not
    /// aliasing); `weights` are the weights `[O, channels * kh * kw]` packed as 16-column GEMM B panels (panel
    /// `q` at `q * taps * 16`, tap `t` of channel `16q + j` at `+ t * 16 + j`, zero past `out_channels`). The
    /// epilogue treats the output as the matrix `[out_channels, out_h * out_w]` (`bias` per row, `residual`
    /// with row stride `residual_stride`). The AVX-512F kernel splits bands of 8 output rows' input into
    /// column phases in `scratch` (`flex_direct_conv_scratch_count` floats) and computes 8 channels x 48
    /// columns (3 vectors) per register tile; the AVX2 kernel splits the same bands and computes 4 channels
    /// x 24 columns. The portable one is scalar (and ignores `scratch`): correct, but no algorithm choice for
    /// that family picks it.
    void (*direct_conv)(const float *input, int64_t channels, int64_t out_channels,
                        const flex_plane_geometry *geometry, const float *weights, float *output,
                        int64_t row_start, int64_t row_count, const flex_epilogue *epilogue, float *scratch);

    /// Winograd F(4x4, 3x3) input transform of one channel plane's 6x6 input tiles, `V = B^T d B`, for every
    /// tile `t` of the chunk (`input` is the channel's plane in the first image). Element (i, j) of tile t's
    /// transform goes to `v[(i * 6 + j) * matrix_stride + (t / 16) * panel_stride + t % 16]` (each of the 36
    /// matrices is laid out as GEMM B panels of 16 tiles). Tiles `t` from `tile_rows * tiles_per_row` up to
    /// the next multiple of 16 are written as zeros. `scratch` holds `6 * (64 * ceil(tiles_per_row / 16) +
    /// 32)` floats (AVX-512), `tile_rows * 6 * (4 * tiles_per_row + 8)` (AVX2) or none (portable). The
    /// AVX-512 version prefetches the same rows of `next_input` (the next channel's plane in the first
    /// image; NULL for none); the others ignore it.
    void (*winograd43_input)(const float *input, const flex_winograd_chunk *chunk, float *v, int64_t matrix_stride,
                             int64_t panel_stride, float *scratch, const float *next_input);

    /// F(4x4, 3x3) inverse transform for one output channel: tile t's 6x6 product is `m[(i * 6 + j) *
    /// matrix_stride + t]`; `Y = A^T m A` goes to the output plane `output` (the channel's plane in the first
    /// image, `height` x `width`, tiles clipped at its edges) through the epilogue (`bias[0]` is the channel's
    /// bias, `residual` the channel's plane in the first image with row stride `residual_stride`, later images
    /// `image_stride` apart). The AVX-512 version reads each `m` row up to 15 floats past the chunk's last
    /// tile, and prefetches the output (and residual) rows `next_plane` floats further (the next channel's;
    /// 0 for none); the others ignore `next_plane`.
    void (*winograd43_output)(const float *m, int64_t matrix_stride, const flex_winograd_chunk *chunk,
                              float *output, const flex_epilogue *epilogue, int64_t next_plane);

    /// `C[m x n] = A . B` for n <= 16 (one Winograd position's GEMM over at most 16 tiles): A is packed in
    /// 6-row panels (`k` groups of 6 floats, `a_stride` floats apart; a `.left` `PackedMatrix`), B is one
    /// 16-column panel (`k` groups of 16 floats), C row-major with row stride `ldc` (columns `n ..< 16` are
    /// not written). A is streamed with the next panel prefetched. NULL below AVX-512 (Swift then runs the
    /// GEMM driver).
    void (*winograd_gemm16)(int64_t m, int64_t n, int64_t k, const float *a, int64_t a_stride, const float *b,
                            float *c, int64_t ldc);

    /// Nonzero if `winograd22_input` reads the chunk's `flex_winograd22_table` (which the caller then builds
    /// once per chunk); zero if it ignores `table`.
    int32_t winograd22_uses_table;

    /// Winograd F(2x2, 3x3) input transform of one channel plane's 4x4 input tiles, `V = B^T d B`, for every
    /// tile `t` of the chunk (`input` is the channel's plane in the batch's first image). Element (i, j) of
    /// tile t's transform goes to `v[(i * 4 + j) * matrix_stride + (t / 16) * panel_stride + t % 16]` (16
    /// matrices laid out as GEMM B panels of 16 tiles); tiles from `tile_rows * tiles_per_row` up to the next
    /// multiple of 16 are written as zeros. The AVX-512 version gathers each panel's tiles with the chunk's
    /// `flex_winograd22_table`; the others (portable) ignore `table`.
    void (*winograd22_input)(const float *input, const flex_winograd_chunk *chunk, const void *table, float *v,
                             int64_t matrix_stride, int64_t panel_stride);

    /// F(2x2, 3x3) inverse transform for one output channel: tile t's 4x4 product is `m[(i * 4 + j) *
    /// matrix_stride + t]`; `Y = A^T m A` (2x2) goes to the output plane through the epilogue, as
    /// `winograd43_output`'s (the AVX-512 version reads `m` rows up to 15 floats past the chunk's last tile and
    /// prefetches `next_plane` floats further; the portable one, which the AVX2 family uses, ignores it).
    void (*winograd22_output)(const float *m, int64_t matrix_stride, const flex_winograd_chunk *chunk,
                              float *output, const flex_epilogue *epilogue, int64_t next_plane);

    /// `out[i] = a[i] + b[i]` for `count` elements; `out` may alias `a` or `b`. (AVX-512: the AVX2 kernel.)
    void (*add)(const float *a, const float *b, float *out, int64_t count);
    /// `out[i] = min(max(in[i], lower), upper)` (ReLU is [0, +inf]); `out` may alias `in`. (AVX-512: AVX2's.)
    void (*clamp)(const float *in, float *out, int64_t count, float lower, float upper);

    /// One output plane of 2-D pooling (`kind` a `FLEX_POOL_*`) with MXNet's (Caffe's) window rules: window
    /// (y, x) spans input rows `y*sh - ph ..< min(y*sh - ph + kh, in_h + ph)`, clipped to the input for summing
    /// or taking the max; padding never wins a max. `dilation_*` must be 1. A window with no input element
    /// gives -FLT_MAX (max) or 0 (average). AVX-512 runs max pooling with 16-wide vectors and masked loads at
    /// every edge (column strides 1 and 2), averages with the AVX2 kernel.
    void (*pool_plane)(const float *input, float *output, const flex_plane_geometry *geometry, int32_t kind);

    /// Global pooling: `output[p]` = the max (`FLEX_POOL_MAX`) or mean (either average kind) of the `count` > 0
    /// contiguous floats of plane `p` (`input + p * count`), for `planes` planes. (AVX-512: the AVX2 kernel.)
    void (*global_pool)(const float *input, float *output, int64_t planes, int64_t count, int32_t kind);

    /// Softmax of each of `rows` contiguous rows of `n` floats: row `r` normalizes its first `valid[r]`
    /// elements (clamped to 0...n; all `n` when `valid` is NULL) as `exp((x - max) / temperature) / sum`
    /// and sets the rest to 0. `out` may alias `in`.
    void (*softmax_rows)(const float *in, float *out, int64_t rows, int64_t n, const int32_t *valid, float temperature);
    /// Layer normalization of each of `rows` contiguous rows of `n` floats:
    /// `(x - mean) / sqrt(variance + epsilon) * gamma[j] + beta[j]` (biased variance). `out` may alias `in`.
    void (*layer_norm_rows)(const float *in, float *out, int64_t rows, int64_t n, const float *gamma, const float *beta,
                            float epsilon);
    /// `out[i] = 0.5 x (1 + erf(x / sqrt 2))` (exact GELU; erf polynomial, within 1e-7 absolute) for `count`
    /// elements. `out` may alias `in`.
    void (*gelu)(const float *in, float *out, int64_t count);

    /// MXNet's `_contrib_AdaptiveAvgPooling2D` of `planes` contiguous `h`x`w` planes to `oh`x`ow`: output
    /// (i, j) is the mean of input rows `floor(i*h/oh) ..< ceil((i+1)*h/oh)` and the matching columns (float32
    /// divisions). `row_sums` holds `w` floats. (AVX-512: the AVX2 kernel.)
    void (*adaptive_avg_pool)(const float *in, float *out, int64_t planes, int64_t h, int64_t w, int64_t oh, int64_t ow,
                              float *row_sums);
    /// MXNet's `_contrib_BilinearResize2D` of `planes` contiguous `h`x`w` planes to `oh`x`ow`: source coordinate
    /// `y * (h-1)/(oh-1)` with `align_corners`, else `max((y + 0.5) * h/oh - 0.5, 0)` (scale 0 when the output
    /// is 1 sample); the same size is a copy. `scratch` holds `5 * ow` floats. (AVX-512: the AVX2 kernel.)
    void (*bilinear_resize)(const float *in, float *out, int64_t planes, int64_t h, int64_t w, int64_t oh, int64_t ow,
                            int32_t align_corners, float *scratch);
    /// Group normalization of `count` contiguous groups of `size` floats: group `g` becomes
    /// `(x - mean) / sqrt(variance + epsilon) * gamma[g % groups] + beta[g % groups]` (biased variance). When
    /// non-NULL, `means[g]` and `stds[g]` receive the mean and `sqrt(variance + epsilon)`. `out` may alias `in`.
    /// (AVX-512: the AVX2 kernel.)
    void (*group_norm)(const float *in, float *out, int64_t count, int64_t size, int64_t groups, const float *gamma,
                       const float *beta, float epsilon, float *means, float *stds);
} flex_kernel_table;

/// The kernels of family `isa` (a `FLEX_ISA_*`), or NULL for an unknown value. The table exists for every
/// family on every CPU; calling a family's kernels on a CPU without its instructions is undefined (the Swift
/// side checks support before it hands a table out).
const flex_kernel_table *flex_kernels_for(int32_t isa);

#ifdef __cplusplus
}
#endif
#endif
