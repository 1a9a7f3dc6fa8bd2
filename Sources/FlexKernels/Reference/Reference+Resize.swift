extension Reference {
    /// MXNet `_contrib_AdaptiveAvgPooling2D` over `[planes, height, width]`: output cell `(i, j)`
    /// averages rows `floor(i*H/OH) ..< ceil((i+1)*H/OH)` and the matching columns.
    public static func adaptiveAveragePool(input: UnsafePointer<Float>, planes: Int, height: Int, width: Int,
                                           output: UnsafeMutablePointer<Float>, outputHeight: Int, outputWidth: Int) {
        func start(_ a: Int, _ outSize: Int, _ inSize: Int) -> Int { Int((Float(a * inSize) / Float(outSize)).rounded(.down)) }
        func end(_ a: Int, _ outSize: Int, _ inSize: Int) -> Int { Int((Float((a + 1) * inSize) / Float(outSize)).rounded(.up)) }
        for plane in 0..<planes {
            let source = input + plane * height * width
            for i in 0..<outputHeight {
                let (h0, h1) = (start(i, outputHeight, height), end(i, outputHeight, height))
                for j in 0..<outputWidth {
                    let (w0, w1) = (start(j, outputWidth, width), end(j, outputWidth, width))
                    var sum: Float = 0
                    for h in h0..<h1 { for w in w0..<w1 { sum += source[h * width + w] } }
                    output[(plane * outputHeight + i) * outputWidth + j] = sum / Float((h1 - h0) * (w1 - w0))
                }
            }
        }
    }

    /// MXNet `_contrib_BilinearResize2D` over `[planes, height, width]`. With `alignCorners` the
    /// corners of input and output coincide (source `y = y' * (H-1)/(OH-1)`), otherwise pixel
    /// centres do (`y = max((y' + 0.5) * H/OH - 0.5, 0)`); the scale is 0 for an output of size 1, and
    /// an output of the input's size is a copy, as in MXNet.
    public static func bilinearResize(input: UnsafePointer<Float>, planes: Int, height: Int, width: Int,
                                      output: UnsafeMutablePointer<Float>, outputHeight: Int, outputWidth: Int,
                                      alignCorners: Bool) {
        if height == outputHeight && width == outputWidth {
            output.update(from: input, count: planes * height * width)
            return
        }
        func scale(_ inSize: Int, _ outSize: Int) -> Float {
            outSize > 1 ? (alignCorners ? Float(inSize - 1) / Float(outSize - 1) : Float(inSize) / Float(outSize)) : 0
        }
        func source(_ scale: Float, _ index: Int) -> Float {
            alignCorners ? scale * Float(index) : max(scale * (Float(index) + 0.5) - 0.5, 0)
        }
        let (heightScale, widthScale) = (scale(height, outputHeight), scale(width, outputWidth))
        for y in 0..<outputHeight {
            let yr = source(heightScale, y)
            let y0 = Int(yr)
            let yStep = y0 < height - 1 ? width : 0
            let y1Weight = yr - Float(y0)
            let y0Weight = 1 - y1Weight
            for x in 0..<outputWidth {
                let xr = source(widthScale, x)
                let x0 = Int(xr)
                let xStep = x0 < width - 1 ? 1 : 0
                let x1Weight = xr - Float(x0)
                let x0Weight = 1 - x1Weight
                for plane in 0..<planes {
                    let p = input + plane * height * width + y0 * width + x0
                    output[(plane * outputHeight + y) * outputWidth + x] =
                        y0Weight * (x0Weight * p[0] + x1Weight * p[xStep])
                        + y1Weight * (x0Weight * p[yStep] + x1Weight * p[yStep + xStep])
                }
            }
        }
    }
}
