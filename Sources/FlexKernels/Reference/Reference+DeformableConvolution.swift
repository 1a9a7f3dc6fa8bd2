extension Reference {
    /// MXNet's `_contrib_ModulatedDeformableConvolution` (DCNv2) forward over NCHW data: each kernel
    /// tap `(i, j)` of output position `(oh, ow)` samples the input bilinearly at
    /// `(oh*sh - ph + i*dh + Δh, ow*sw - pw + j*dw + Δw)` (offsets `offset (N, 2*DG*K, OH, OW)`, pairs
    /// `(Δh, Δw)` per tap, `K = kh*kw`), scaled by `mask (N, DG*K, OH, OW)`; a sample outside
    /// `(-1, H) x (-1, W)` is 0, and neighbours outside the map count as 0. Channel `c` uses deformable
    /// group `c / (C / DG)`. The samples then meet `weight (F, C/G, kh, kw)` as a grouped convolution.
    public static func modulatedDeformableConvolution(_ g: ConvolutionGeometry, deformableGroups: Int,
                                                      input: UnsafePointer<Float>, offset: UnsafePointer<Float>,
                                                      mask: UnsafePointer<Float>, weight: UnsafePointer<Float>,
                                                      bias: UnsafePointer<Float>?, output: UnsafeMutablePointer<Float>) {
        let (height, width) = (g.inputHeight, g.inputWidth)
        let (outH, outW) = (g.outputHeight, g.outputWidth)
        let taps = g.kernelHeight * g.kernelWidth
        let channelsPerDeformableGroup = g.inputChannels / deformableGroups
        let (inPerGroup, outPerGroup) = (g.inputChannelsPerGroup, g.outputChannelsPerGroup)
        // columns[c][tap][oh*outW + ow] for one image.
        var columns = [Float](repeating: 0, count: g.inputChannels * taps * outH * outW)
        for n in 0..<g.batch {
            for c in 0..<g.inputChannels {
                let plane = input + (n * g.inputChannels + c) * height * width
                let group = c / channelsPerDeformableGroup
                for i in 0..<g.kernelHeight {
                    for j in 0..<g.kernelWidth {
                        let tap = i * g.kernelWidth + j
                        let offsetH = offset + ((n * deformableGroups + group) * 2 * taps + 2 * tap) * outH * outW
                        let offsetW = offsetH + outH * outW
                        let scale = mask + ((n * deformableGroups + group) * taps + tap) * outH * outW
                        for oh in 0..<outH {
                            for ow in 0..<outW {
                                let p = oh * outW + ow
                                let h = Float(oh * g.strideHeight - g.padHeight + i * g.dilationHeight) + offsetH[p]
                                let w = Float(ow * g.strideWidth - g.padWidth + j * g.dilationWidth) + offsetW[p]
                                var value: Float = 0
                                if h > -1 && w > -1 && h < Float(height) && w < Float(width) {
                                    let hLow = Int(h.rounded(.down)), wLow = Int(w.rounded(.down))
                                    let (hHigh, wHigh) = (hLow + 1, wLow + 1)
                                    let (lh, lw) = (h - Float(hLow), w - Float(wLow))
                                    let (hh, hw) = (1 - lh, 1 - lw)
                                    let v1: Float = hLow >= 0 && wLow >= 0 ? plane[hLow * width + wLow] : 0
                                    let v2: Float = hLow >= 0 && wHigh <= width - 1 ? plane[hLow * width + wHigh] : 0
                                    let v3: Float = hHigh <= height - 1 && wLow >= 0 ? plane[hHigh * width + wLow] : 0
                                    let v4: Float = hHigh <= height - 1 && wHigh <= width - 1 ? plane[hHigh * width + wHigh] : 0
                                    value = hh * hw * v1 + hh * lw * v2 + lh * hw * v3 + lh * lw * v4
                                }
                                columns[(c * taps + tap) * outH * outW + p] = value * scale[p]
                            }
                        }
                    }
                }
            }
            for f in 0..<g.outputChannels {
                let group = f / outPerGroup
                let out = output + (n * g.outputChannels + f) * outH * outW
                for p in 0..<(outH * outW) { out[p] = bias?[f] ?? 0 }
                for k in 0..<(inPerGroup * taps) {
                    let w = weight[f * inPerGroup * taps + k]
                    let column = (group * inPerGroup * taps + k) * outH * outW
                    for p in 0..<(outH * outW) { out[p] += w * columns[column + p] }
                }
            }
        }
    }
}
