extension Reference {
    /// Layer normalization over the middle axis of `(outer, width, inner)` data, as MXNet's `LayerNorm`:
    /// `output = (input - mean) / sqrt(variance + epsilon) * gamma[j] + beta[j]`, with the mean and
    /// (biased) variance taken over the `width` elements of each `(outer, inner)` position.
    ///
    /// `gamma` and `beta` are `(width,)`. `savedMean` and `savedStd` (both `(outer, inner)`), when given,
    /// receive the mean and `sqrt(variance + epsilon)`. `output` may equal `input`.
    public static func layerNorm(input: UnsafePointer<Float>, gamma: UnsafePointer<Float>, beta: UnsafePointer<Float>,
                                 epsilon: Float, output: UnsafeMutablePointer<Float>, outer: Int, width: Int, inner: Int,
                                 savedMean: UnsafeMutablePointer<Float>? = nil, savedStd: UnsafeMutablePointer<Float>? = nil) {
        let count = Float(width)
        for o in 0..<outer {
            for i in 0..<inner {
                let base = o * width * inner + i
                let x = input + base, y = output + base
                var sum: Float = 0
                var j = 0
                while j < width { sum += x[j * inner]; j += 1 }
                let mean = sum / count
                var squares: Float = 0
                j = 0
                while j < width { let d = x[j * inner] - mean; squares += d * d; j += 1 }
                let std = (squares / count + epsilon).squareRoot()
                savedMean?[o * inner + i] = mean
                savedStd?[o * inner + i] = std
                j = 0
                while j < width { y[j * inner] = (x[j * inner] - mean) * gamma[j] / std + beta[j]; j += 1 }
            }
        }
    }
}
