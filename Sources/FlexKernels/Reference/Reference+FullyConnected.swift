extension Reference {
    /// Dense layer: `output[m, n] = sum_k input[m, k] * weight[n, k] + bias[n]`.
    ///
    /// `input` is `(rows, inputFeatures)`, `weight` is `(outputFeatures, inputFeatures)` (MXNet's
    /// layout), `bias` is `(outputFeatures,)` or nil, `output` is `(rows, outputFeatures)`; all
    /// row-major float32. `output` must not alias the inputs.
    public static func fullyConnected(input: UnsafePointer<Float>, weight: UnsafePointer<Float>, bias: UnsafePointer<Float>?,
                                      output: UnsafeMutablePointer<Float>, rows: Int, inputFeatures: Int, outputFeatures: Int) {
        for m in 0..<rows {
            let x = input + m * inputFeatures
            let y = output + m * outputFeatures
            for n in 0..<outputFeatures {
                let w = weight + n * inputFeatures
                var sum: Float = 0
                var a = x, b = w
                let end = x + inputFeatures
                while a < end {
                    sum += a.pointee * b.pointee
                    a += 1
                    b += 1
                }
                y[n] = sum + (bias?[n] ?? 0)
            }
        }
    }
}
