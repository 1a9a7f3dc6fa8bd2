import CFlexKernels

extension Fast {
    /// Winograd F(4x4, 3x3) convolution: each 4x4 output tile is `A^T [(G g G^T) ⊙ (B^T d B)] A` for its
    /// 6x6 input tile `d`, which turns the 36 products per tile into 36 GEMMs
    /// `M_p[O, tiles] = U_p[O, C] . V_p[C, tiles]` (4x fewer multiplies than direct 3x3 convolution).
    ///
    /// Tiles are processed in chunks of whole tile rows of the batch (a chunk may span images); per chunk a
    /// thread transforms the input into V (laid out as GEMM B panels), runs the 36 GEMMs into M, and
    /// transforms M into output rows with the epilogue fused. Transforms are C micro-kernels; the weight transform runs once, in Swift, in Double.
    enum Winograd {
        /// Output tiles per chunk the chunking aims for (the N of the 36 GEMMs): 128, or 32 when channels
        /// are many (above 128 x 128), where a 128-tile chunk's V and M (4.7 MB each at 256 x 256) leave L2 and
        /// their round trips cost more than reading U once per 32 tiles instead (measured on ResNet-50's
        /// 256-channel layer at batch 8; the 64- and 128-channel ones are fastest at 128).
        static func targetChunkTiles(_ g: Reference.ConvolutionGeometry) -> Int {
            g.inputChannels * g.outputChannels > 128 * 128 ? 32 : 128
        }

        static func supports(_ g: Reference.ConvolutionGeometry) -> Bool {
            g.problem == nil && g.groups == 1 && g.kernelHeight == 3 && g.kernelWidth == 3
                && g.strideHeight == 1 && g.strideWidth == 1 && g.dilationHeight == 1 && g.dilationWidth == 1
        }

        /// Winograd beats GEMM when there are enough channels to amortise the transforms and enough tiles
        /// in the batch (chunks span images) to fill half of the GEMMs' 16-wide micro-tiles: 512 -> 512
        /// channels at 7x7 (4 tiles an image) take 0.95 ms an image at batch 2 against 1.13 ms with the
        /// transposed GEMM, 0.44 against 1.17 at batch 8, but 1.8 against 1.14 at batch 1.
        static func isProfitable(_ g: Reference.ConvolutionGeometry) -> Bool {
            g.inputChannels >= 16 && g.outputChannels >= 16 && g.batch * tileRows(g) * tilesPerRow(g) >= 8
        }

        static func tileRows(_ g: Reference.ConvolutionGeometry) -> Int { (g.outputHeight + 3) / 4 }
        static func tilesPerRow(_ g: Reference.ConvolutionGeometry) -> Int { (g.outputWidth + 3) / 4 }
        /// Tile rows per chunk, counted over the whole batch (a chunk may span images).
        static func chunkRows(_ g: Reference.ConvolutionGeometry) -> Int {
            Swift.max(1, Swift.min(g.batch * tileRows(g), targetChunkTiles(g) / tilesPerRow(g)))
        }

        /// Per-thread scratch layout (in floats): V, then M, then the input transform's row buffer (the
        /// larger of the AVX2 and AVX-512 needs).
        ///
        /// V's 36 matrices are GEMM B panels of 16 tiles, `vPanelStride` floats apart, and M's are `[O,
        /// tiles]`; each is padded to an odd number of 64-byte lines (and V's panels by one line) so that the
        /// transforms' 36 streams, one per matrix, do not all fall into the same L1 sets, as they would at
        /// the power-of-two strides of 64...256 channels. M has 16 floats of slack: the AVX-512 output
        /// transform reads whole vectors.
        struct ScratchLayout {
            let vPanelStride: Int
            let vMatrixStride: Int
            let mMatrixStride: Int
            let rowBufferCount: Int
            var vCount: Int { 36 * vMatrixStride }
            var mCount: Int { 36 * mMatrixStride + 16 }
            var total: Int { vCount + mCount + rowBufferCount }

            init(_ g: Reference.ConvolutionGeometry) {
                let tiles = chunkRows(g) * tilesPerRow(g)
                (vPanelStride, vMatrixStride, mMatrixStride) = Self.matrixStrides(g, tiles: tiles)
                rowBufferCount = Swift.max(chunkRows(g) * 6 * (4 * tilesPerRow(g) + 8),
                                           6 * (64 * ((tilesPerRow(g) + 15) / 16) + 32))
            }

            /// V's panel and matrix strides and M's matrix stride for chunks of `tiles` tiles (any Winograd
            /// variant): one line of slack per panel, matrices at odd numbers of lines.
            static func matrixStrides(_ g: Reference.ConvolutionGeometry, tiles: Int) -> (vPanel: Int, vMatrix: Int, mMatrix: Int) {
                let vPanel = g.inputChannels * GEMM.nr + 16
                return (vPanel, oddLines(roundUp(tiles, GEMM.nr) / GEMM.nr * vPanel), oddLines(g.outputChannels * tiles))
            }

            /// `count` floats rounded up to an odd number of 16-float lines.
            static func oddLines(_ count: Int) -> Int {
                let lines = (count + 15) / 16
                return (lines % 2 == 0 ? lines + 1 : lines) * 16
            }
        }

        static func scratchCount(geometry: Reference.ConvolutionGeometry) -> Int { ScratchLayout(geometry).total }

        /// `U_p[o][c] = (G g_oc G^T)[p / 6][p % 6]` for the weights `[O, C, 3, 3]`, as 36 packed `.left`
        /// `[O, C]` matrices.
        static func transformWeights(_ weights: UnsafePointer<Float>, geometry g: Reference.ConvolutionGeometry) -> [PackedMatrix] {
            let matrix: [[Double]] = [
                [1.0 / 4, 0, 0],
                [-1.0 / 6, -1.0 / 6, -1.0 / 6],
                [-1.0 / 6, 1.0 / 6, -1.0 / 6],
                [1.0 / 24, 1.0 / 12, 1.0 / 6],
                [1.0 / 24, -1.0 / 12, 1.0 / 6],
                [0, 0, 1],
            ]
            return transformWeights(weights, geometry: g, by: matrix)
        }
        /// `U_p[o][c] = (G g_oc G^T)[p / a][p % a]` for the weights `[O, C, 3, 3]` and the a x 3 matrix
        /// `G` (`matrix`), as a² packed `.left` `[O, C]` matrices; computed in Double.
        static func transformWeights(_ weights: UnsafePointer<Float>, geometry g: Reference.ConvolutionGeometry,
                                     by matrix: [[Double]]) -> [PackedMatrix] {
            let size = matrix.count, positions = size * size
            let o = g.outputChannels, c = g.inputChannels
            let flat = matrix.flatMap { $0 }  // G row-major
            var transformed = [Float](repeating: 0, count: positions * o * c)
            flat.withUnsafeBufferPointer { gBuffer in
                transformed.withUnsafeMutableBufferPointer { out in
                    flex_winograd_transform_weights(weights, Int64(o), Int64(c), gBuffer.baseAddress!, Int64(size), out.baseAddress!)
                }
            }
            return transformed.withUnsafeBufferPointer { values in
                (0..<positions).map { position in
                    PackedMatrix(rows: o, columns: c, role: .left, source: values.baseAddress! + position * o * c,
                                 rowStride: c)
                }
            }
        }
    }
}
