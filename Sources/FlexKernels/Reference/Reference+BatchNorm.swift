import Foundation

extension Reference {
    /// Batch normalization at inference, with MXNet's running statistics:
    /// `output = (input - mean[c]) / sqrt(variance[c] + epsilon) * gamma[c] + beta[c]`.
    ///
    /// `input` and `output` are `(outer, channels, inner)` row-major (the channel axis in the middle);
    /// `gamma` nil means a gamma of 1 (MXNet's `fix_gamma`). `mean`, `variance`, `beta` are
    /// `(channels,)`. When `savedMean`/`savedInverseStd` are given they receive `mean` and
    /// `1 / sqrt(variance + epsilon)` (what MXNet's `output_mean_var` outputs hold at inference).
    /// `output` may equal `input`.
    public static func batchNormInference(input: UnsafePointer<Float>, gamma: UnsafePointer<Float>?, beta: UnsafePointer<Float>,
                                          mean: UnsafePointer<Float>, variance: UnsafePointer<Float>, epsilon: Float,
                                          output: UnsafeMutablePointer<Float>, outer: Int, channels: Int, inner: Int,
                                          savedMean: UnsafeMutablePointer<Float>? = nil,
                                          savedInverseStd: UnsafeMutablePointer<Float>? = nil) {
        for c in 0..<channels {
            let inverseStd = 1 / (variance[c] + epsilon).squareRoot()
            savedMean?[c] = mean[c]
            savedInverseStd?[c] = inverseStd
            let scale = inverseStd * (gamma?[c] ?? 1)
            let m = mean[c], shift = beta[c]
            for o in 0..<outer {
                let offset = (o * channels + c) * inner
                let x = input + offset, y = output + offset
                for i in 0..<inner { y[i] = (x[i] - m) * scale + shift }
            }
        }
    }
}
