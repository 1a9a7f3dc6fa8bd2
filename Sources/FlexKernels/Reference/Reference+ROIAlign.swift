extension Reference {
    /// MXNet's `_contrib_ROIAlign` forward (Caffe2's algorithm, as MXNet 1.9.1 computes it in float):
    /// `data (N, C, H, W)`, `rois (R, 5)` rows `[batch, x1, y1, x2, y2]` (or `(R, 4)`, batch 0),
    /// output `(R, outC, PH, PW)`. Each bin averages a `gridH x gridW` grid of bilinear samples
    /// (`sampleRatio` per axis, or `ceil(roi size / pooled size)` when `sampleRatio <= 0`); with
    /// `aligned` the ROI is shifted by half a pixel and not enlarged to at least 1x1. Samples beyond
    /// one pixel outside the map count as 0. With `positionSensitive`, output channel `c` at bin
    /// `(ph, pw)` reads input channel `(c * PH + ph) * PW + pw`. An ROI with a negative batch index is 0.
    public static func roiAlign(data: UnsafePointer<Float>, channels inputChannels: Int, height: Int, width: Int,
                                rois: UnsafePointer<Float>, roiCount: Int, roiColumns: Int,
                                pooledHeight: Int, pooledWidth: Int, spatialScale: Float, sampleRatio: Int,
                                positionSensitive: Bool, aligned: Bool, output: UnsafeMutablePointer<Float>) {
        let bins = pooledHeight * pooledWidth
        let channels = positionSensitive ? inputChannels / bins : inputChannels
        for n in 0..<roiCount {
            var roi = rois + n * roiColumns
            let out = output + n * channels * bins
            var batchIndex = 0
            if roiColumns == 5 {
                batchIndex = Int(roi[0])
                roi += 1
                if batchIndex < 0 {
                    out.update(repeating: 0, count: channels * bins)
                    continue
                }
            }
            let offset: Float = aligned ? 0.5 : 0
            let startW = roi[0] * spatialScale - offset
            let startH = roi[1] * spatialScale - offset
            var roiWidth = roi[2] * spatialScale - offset - startW
            var roiHeight = roi[3] * spatialScale - offset - startH
            if !aligned {
                roiWidth = max(roiWidth, 1)
                roiHeight = max(roiHeight, 1)
            }
            let binH = roiHeight / Float(pooledHeight)
            let binW = roiWidth / Float(pooledWidth)
            let gridH = sampleRatio > 0 ? sampleRatio : Int((roiHeight / Float(pooledHeight)).rounded(.up))
            let gridW = sampleRatio > 0 ? sampleRatio : Int((roiWidth / Float(pooledWidth)).rounded(.up))
            let count = Float(gridH * gridW)
            for ph in 0..<pooledHeight {
                for pw in 0..<pooledWidth {
                    // Sample positions and weights, shared by every channel.
                    var samples: [(Int, Int, Int, Int, Float, Float, Float, Float)] = []
                    for iy in 0..<gridH {
                        let y = startH + Float(ph) * binH + (Float(iy) + 0.5) * binH / Float(gridH)
                        for ix in 0..<gridW {
                            let x = startW + Float(pw) * binW + (Float(ix) + 0.5) * binW / Float(gridW)
                            if y < -1 || y > Float(height) || x < -1 || x > Float(width) {
                                samples.append((0, 0, 0, 0, 0, 0, 0, 0))
                                continue
                            }
                            var yy = max(y, 0)
                            var xx = max(x, 0)
                            var yLow = Int(yy), xLow = Int(xx)
                            let yHigh: Int, xHigh: Int
                            if yLow >= height - 1 { yLow = height - 1; yHigh = yLow; yy = Float(yLow) } else { yHigh = yLow + 1 }
                            if xLow >= width - 1 { xLow = width - 1; xHigh = xLow; xx = Float(xLow) } else { xHigh = xLow + 1 }
                            let ly = yy - Float(yLow), lx = xx - Float(xLow)
                            let hy = 1 - ly, hx = 1 - lx
                            samples.append((yLow * width + xLow, yLow * width + xHigh, yHigh * width + xLow, yHigh * width + xHigh,
                                            hy * hx, hy * lx, ly * hx, ly * lx))
                        }
                    }
                    for c in 0..<channels {
                        let source = positionSensitive ? (c * pooledHeight + ph) * pooledWidth + pw : c
                        let plane = data + (batchIndex * inputChannels + source) * height * width
                        var value: Float = 0
                        for s in samples { value += s.4 * plane[s.0] + s.5 * plane[s.1] + s.6 * plane[s.2] + s.7 * plane[s.3] }
                        out[c * bins + ph * pooledWidth + pw] = value / count
                    }
                }
            }
        }
    }
}
