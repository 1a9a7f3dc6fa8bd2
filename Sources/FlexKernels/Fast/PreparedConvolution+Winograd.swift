import CFlexKernels

extension Fast.PreparedConvolution {
    /// Winograd F(4x4, 3x3) through the shared chunk loop (`runWinogradChunks`): a chunk may span images,
    /// so small planes still give the 36 GEMMs a wide N and share one pass over the transformed weights
    /// between several images.
    func runWinograd(
        input: UnsafePointer<Float>, output: UnsafeMutablePointer<Float>, batch: Int,
        epilogue: Fast.Epilogue, scratch: UnsafeMutablePointer<Float>, threadIndex: Int, threadCount: Int
    ) {
        typealias Winograd = Fast.Winograd
        let g = geometry, layout = Winograd.ScratchLayout(g)
        let v = scratch, m = scratch + layout.vCount, rowBuffer = m + layout.mCount
        let chunks = WinogradScratch(
            positions: 36, tileRows: Winograd.tileRows(g), tilesPerRow: Winograd.tilesPerRow(g),
            chunkRows: Winograd.chunkRows(g), v: v, m: m, vPanelStride: layout.vPanelStride,
            vMatrixStride: layout.vMatrixStride, mMatrixStride: layout.mMatrixStride)
        let vStride = Int64(layout.vMatrixStride), panelStride = Int64(layout.vPanelStride)
        let mStride = Int64(layout.mMatrixStride)
        runWinogradChunks(
            chunks, input: input, output: output, batch: batch, epilogue: epilogue,
            threadIndex: threadIndex, threadCount: threadCount,
            prepareInput: { _ in },
            transformInput: { plane, chunk, destination, next in
                switch instructionSet {
                case .avx512: flex_winograd43_input_avx512(plane, &chunk, destination, vStride, panelStride, rowBuffer, next)
                case .avx2FMA: flex_winograd43_input_avx2(plane, &chunk, destination, vStride, panelStride, rowBuffer)
                case .portable: flex_winograd43_input_portable(plane, &chunk, destination, vStride, panelStride, rowBuffer)
                }
            },
            transformOutput: { products, chunk, destination, e, nextPlane in
                switch instructionSet {
                case .avx512: flex_winograd43_output_avx512(products, mStride, &chunk, destination, e, nextPlane)
                case .avx2FMA: flex_winograd43_output_avx2(products, mStride, &chunk, destination, e)
                case .portable: flex_winograd43_output_portable(products, mStride, &chunk, destination, e)
                }
            })
    }
}
