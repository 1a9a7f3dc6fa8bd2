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

extension Reference {
    /// Group normalization, as MXNet 1.9.1's `GroupNorm`: `count` contiguous groups of `size` floats
    /// (a sample's `C / groups` channels times its spatial positions), each normalized with its own mean
    /// and biased variance, `output = (input - mean) / sqrt(variance + epsilon) * gamma[g % groups] +
    /// beta[g % groups]` (`gamma`, `beta` one per group). `savedMean` and `savedStd` (`count` each), when
    /// given, receive the mean and `sqrt(variance + epsilon)`. `output` may equal `input`.
    public static func groupNorm(input: UnsafePointer<Float>, gamma: UnsafePointer<Float>, beta: UnsafePointer<Float>,
                                 epsilon: Float, output: UnsafeMutablePointer<Float>, count: Int, size: Int, groups: Int,
                                 savedMean: UnsafeMutablePointer<Float>? = nil, savedStd: UnsafeMutablePointer<Float>? = nil) {
        for group in 0..<count {
            let x = input + group * size, y = output + group * size
            var mean: Float = 0
            for i in 0..<size { mean += x[i] }
            mean /= Float(size)
            var variance: Float = 0
            for i in 0..<size { variance += (x[i] - mean) * (x[i] - mean) }
            variance /= Float(size)
            let std = (variance + epsilon).squareRoot()
            let g = group % groups
            for i in 0..<size { y[i] = (x[i] - mean) / std * gamma[g] + beta[g] }
            savedMean?[group] = mean
            savedStd?[group] = std
        }
    }
}
