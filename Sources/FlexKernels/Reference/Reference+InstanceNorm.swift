extension Reference {
    /// Instance normalization, as MXNet's `InstanceNorm`: for every `(n, c)`,
    /// `output = gamma[c] * (input - mean) / sqrt(variance + epsilon) + beta[c]` with the mean and
    /// (biased) variance over the `spatial` elements of that channel.
    ///
    /// `input` and `output` are `(batch, channels, spatial)` row-major; `gamma`, `beta` are `(channels,)`.
    /// `output` may equal `input`.
    public static func instanceNorm(input: UnsafePointer<Float>, gamma: UnsafePointer<Float>, beta: UnsafePointer<Float>,
                                    epsilon: Float, output: UnsafeMutablePointer<Float>, batch: Int, channels: Int, spatial: Int) {
        let count = Float(spatial)
        for n in 0..<batch {
            for c in 0..<channels {
                let offset = (n * channels + c) * spatial
                let x = input + offset, y = output + offset
                var sum: Float = 0
                for i in 0..<spatial { sum += x[i] }
                let mean = sum / count
                var squares: Float = 0
                for i in 0..<spatial { let d = x[i] - mean; squares += d * d }
                let scale = gamma[c] / (squares / count + epsilon).squareRoot()
                let shift = beta[c]
                for i in 0..<spatial { y[i] = (x[i] - mean) * scale + shift }
            }
        }
    }
}
