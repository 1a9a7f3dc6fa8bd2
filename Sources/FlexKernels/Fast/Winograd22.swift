extension Fast {
    /// Winograd F(2x2, 3x3): each 2x2 output tile is `A^T [(G g G^T) ⊙ (B^T d B)] A` for its 4x4 input
    /// tile `d`, which turns the 16 products per tile into 16 GEMMs `M_p[O, tiles] = U_p[O, C] . V_p[C,
    /// tiles]` (2.25x fewer multiplies than direct 3x3 convolution, against F(4x4, 3x3)'s 4x, but 16
    /// transformed weight matrices instead of 36 and tiles a quarter the size).
    ///
    /// It is for small planes at batch 1, where F(4x4) has too few tiles (a 7x7 plane: 4 tiles of an 8x8
    /// cover against F(2x2)'s 16) and must stream 36 matrices of weights for them. The structure is
    /// `Fast.Winograd`'s: chunks of whole tile rows of the batch (spanning images), V laid out as GEMM B
    /// panels, M as `[O, tiles]`, both at padded strides, and the F(4x4) single-panel GEMM kernel
    /// for chunks of at most 16 tiles. The AVX-512 input transform gathers whole 16-tile panels (a 7x7
    /// plane's 4 tile rows of 4 tiles in one vector) with a table of tile offsets built once per chunk;
    /// going row by row through a padded copy, as F(4x4) does, took twice as long (53 against 27 us for
    /// 512 channels at 7x7).
    ///
    /// At batch 1 the 16 GEMMs (0.63 ms of the 0.7 at 512 channels) stream U's 16.8 MB at about 27 GB/s,
    /// as fast as the weights come from memory in a model: computing them transposed, with the channels
    /// along the vectors (8 tiles x 48 channels a register block, fewer loads per FMA), took 0.58 ms with
    /// U in L3 but no less than 0.64 from memory, so the F(4x4) single-panel kernel stays.
    enum Winograd22 {
        /// Output tiles per chunk the chunking aims for (the N of the 16 GEMMs). 64 above 128 x 128 channels
        /// (V and M 2 MB each at 512 x 512, against reading U once per 64 tiles), else 128.
        static func targetChunkTiles(_ g: Reference.ConvolutionGeometry) -> Int {
            g.inputChannels * g.outputChannels > 128 * 128 ? 64 : 128
        }

        /// F(4x4)'s geometries, where the images a chunk spans fit the gather table's int32 offsets.
        static func supports(_ g: Reference.ConvolutionGeometry) -> Bool {
            Winograd.supports(g)
                && Swift.min(g.batch, chunkRows(g) / tileRows(g) + 2) * g.inputImageCount <= Int(Int32.max)
        }

        /// F(2x2) beats both F(4x4) and the transposed GEMM for at least 256 x 256 channels while the batch
        /// holds fewer than 16 F(4x4) tiles. ResNet-50's 512 -> 512 layer at 7x7 (4 F(4x4) tiles an
        /// image), ms per image with F(2x2) / F(4x4) / the transposed GEMM: batch 1 0.71 / 1.75 / 1.12
        /// (cold weights 0.83 / 1.99 / 1.26), batch 2 0.65 / 0.93 / 1.09, batch 4 0.63 / 0.50 / 1.08;
        /// its 256-channel layer at 14x14 (16 tiles) 0.61 / 0.48 at batch 1 (kernel bench).
        static func isProfitable(_ g: Reference.ConvolutionGeometry) -> Bool {
            g.inputChannels >= 256 && g.outputChannels >= 256
                && g.batch * Winograd.tileRows(g) * Winograd.tilesPerRow(g) < 16
        }

        static func tileRows(_ g: Reference.ConvolutionGeometry) -> Int { (g.outputHeight + 1) / 2 }
        static func tilesPerRow(_ g: Reference.ConvolutionGeometry) -> Int { (g.outputWidth + 1) / 2 }
        /// Tile rows per chunk, counted over the whole batch (a chunk may span images).
        static func chunkRows(_ g: Reference.ConvolutionGeometry) -> Int {
            Swift.max(1, Swift.min(g.batch * tileRows(g), targetChunkTiles(g) / tilesPerRow(g)))
        }

        /// Per-thread scratch layout (in floats): V, then M, then the chunk's `flex_winograd22_table`
        /// (6 bytes a tile) for the AVX-512 input transform.
        /// V's 16 matrices are GEMM B panels of 16 tiles, `vPanelStride` floats apart, and M's are `[O,
        /// tiles]`, padded as `Winograd.ScratchLayout`'s (odd numbers of 64-byte lines, so that the
        /// transforms' 16 streams do not share L1 sets); M has 16 floats of slack for the AVX-512 output
        /// transform's whole-vector reads.
        struct ScratchLayout {
            let vPanelStride: Int
            let vMatrixStride: Int
            let mMatrixStride: Int
            let tableCount: Int
            var vCount: Int { 16 * vMatrixStride }
            var mCount: Int { 16 * mMatrixStride + 16 }
            var total: Int { vCount + mCount + tableCount }

            init(_ g: Reference.ConvolutionGeometry) {
                let tiles = chunkRows(g) * tilesPerRow(g)
                (vPanelStride, vMatrixStride, mMatrixStride) = Winograd.ScratchLayout.matrixStrides(g, tiles: tiles)
                tableCount = roundUp(tiles, GEMM.nr) / GEMM.nr * 16 * 6 / MemoryLayout<Float>.stride
            }
        }

        static func scratchCount(geometry: Reference.ConvolutionGeometry) -> Int { ScratchLayout(geometry).total }

        /// `U_p[o][c] = (G g_oc G^T)[p / 4][p % 4]` for the weights `[O, C, 3, 3]`, as 16 packed `.left`
        /// `[O, C]` matrices.
        static func transformWeights(_ weights: UnsafePointer<Float>, geometry g: Reference.ConvolutionGeometry) -> [PackedMatrix] {
            let matrix: [[Double]] = [[1, 0, 0], [0.5, 0.5, 0.5], [0.5, -0.5, 0.5], [0, 0, 1]]
            return Winograd.transformWeights(weights, geometry: g, by: matrix)
        }
    }
}
