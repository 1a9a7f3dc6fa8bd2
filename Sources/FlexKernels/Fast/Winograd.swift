extension Fast {
    /// Winograd F(4x4, 3x3) convolution: each 4x4 output tile is `A^T [(G g G^T) ⊙ (B^T d B)] A` for its
    /// 6x6 input tile `d`, which turns the 36 products per tile into 36 GEMMs
    /// `M_p[O, tiles] = U_p[O, C] . V_p[C, tiles]` (4x fewer multiplies than direct 3x3 convolution).
    ///
    /// Tiles are processed in chunks of whole tile rows; per chunk a thread transforms the input into V
    /// (laid out as GEMM B panels), runs the 36 GEMMs into M, and transforms M into output rows with the
    /// epilogue fused. Transforms are C micro-kernels; the weight transform runs once, in Swift, in Double.
    enum Winograd {
        /// Output tiles per chunk the chunking aims for (the N of the 36 GEMMs).
        static let targetChunkTiles = 128

        static func supports(_ g: Reference.ConvolutionGeometry) -> Bool {
            g.problem == nil && g.groups == 1 && g.kernelHeight == 3 && g.kernelWidth == 3
                && g.strideHeight == 1 && g.strideWidth == 1 && g.dilationHeight == 1 && g.dilationWidth == 1
        }

        /// Winograd beats GEMM when there are enough channels to amortise the transforms and enough tiles
        /// per image to fill the GEMMs' 16-wide micro-tiles.
        static func isProfitable(_ g: Reference.ConvolutionGeometry) -> Bool {
            g.inputChannels >= 16 && g.outputChannels >= 16 && tileRows(g) * tilesPerRow(g) >= 16
        }

        static func tileRows(_ g: Reference.ConvolutionGeometry) -> Int { (g.outputHeight + 3) / 4 }
        static func tilesPerRow(_ g: Reference.ConvolutionGeometry) -> Int { (g.outputWidth + 3) / 4 }
        static func chunkRows(_ g: Reference.ConvolutionGeometry) -> Int {
            Swift.max(1, Swift.min(tileRows(g), targetChunkTiles / tilesPerRow(g)))
        }

        /// Per-thread scratch layout (in floats): V, then M, then the input transform's row buffer.
        struct ScratchLayout {
            let vMatrixStride: Int
            let mCount: Int
            let rowBufferCount: Int
            var vCount: Int { 36 * vMatrixStride }
            var total: Int { vCount + mCount + rowBufferCount }

            init(_ g: Reference.ConvolutionGeometry) {
                let tiles = chunkRows(g) * tilesPerRow(g)
                vMatrixStride = g.inputChannels * roundUp(tiles, GEMM.nr)
                mCount = 36 * g.outputChannels * tiles
                rowBufferCount = chunkRows(g) * 6 * (4 * tilesPerRow(g) + 8)
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
            let o = g.outputChannels, c = g.inputChannels
            var transformed = [Float](repeating: 0, count: 36 * o * c)
            for outputChannel in 0..<o {
                for inputChannel in 0..<c {
                    let filter = weights + (outputChannel * c + inputChannel) * 9
                    for i in 0..<6 {
                        for j in 0..<6 {
                            var sum = 0.0
                            for ky in 0..<3 {
                                for kx in 0..<3 {
                                    sum += matrix[i][ky] * Double(filter[ky * 3 + kx]) * matrix[j][kx]
                                }
                            }
                            transformed[((i * 6 + j) * o + outputChannel) * c + inputChannel] = Float(sum)
                        }
                    }
                }
            }
            return transformed.withUnsafeBufferPointer { values in
                (0..<36).map { position in
                    PackedMatrix(rows: o, columns: c, role: .left, source: values.baseAddress! + position * o * c,
                                 rowStride: c)
                }
            }
        }
    }
}
