import CFlexKernels

extension Fast.PreparedConvolution {
    /// Winograd F(4x4, 3x3) through the shared chunk loop (`runWinogradChunks`): a chunk may span images,
    /// so small planes still give the 36 GEMMs a wide N and share one pass over the transformed weights
    /// between several images.
    func runWinograd(
        input: UnsafePointer<Float>, output: UnsafeMutablePointer<Float>, batch: Int,
        epilogue: Fast.Epilogue, scratch: UnsafeMutablePointer<Float>, kernels: Fast.Kernels
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
        let transformInput = kernels.slots.winograd43_input!, transformOutput = kernels.slots.winograd43_output!
        runWinogradChunks(
            chunks, input: input, output: output, batch: batch, epilogue: epilogue,
            kernels: kernels,
            prepareInput: { _ in },
            transformInput: { plane, chunk, destination, next in
                transformInput(plane, &chunk, destination, vStride, panelStride, rowBuffer, next)
            },
            transformOutput: { products, chunk, destination, e, nextPlane in
                transformOutput(products, mStride, &chunk, destination, e, nextPlane)
            })
    }
}
