import Foundation

extension Reference {
    /// Local response normalization across channels, as MXNet's `LRN`:
    /// `output = input * (knorm + alpha / size * sum(input[c']^2))^(-beta)`, the sum over the
    /// channels `c - size/2 ... c + size/2` that exist (`size` odd).
    ///
    /// `input` and `output` are `(batch, channels, spatial)` row-major; `output` must not alias `input`.
    public static func localResponseNorm(input: UnsafePointer<Float>, output: UnsafeMutablePointer<Float>,
                                         batch: Int, channels: Int, spatial: Int,
                                         size: Int, alpha: Float, beta: Float, knorm: Float) {
        let half = size / 2
        let scaledAlpha = alpha / Float(size)
        for n in 0..<batch {
            let x = input + n * channels * spatial
            let y = output + n * channels * spatial
            for c in 0..<channels {
                // Accumulate the window's squares in the output row, then turn it into the result.
                let row = y + c * spatial
                row.update(repeating: 0, count: spatial)
                for neighbour in Swift.max(0, c - half)...Swift.min(channels - 1, c + half) {
                    let source = x + neighbour * spatial
                    for i in 0..<spatial { row[i] += source[i] * source[i] }
                }
                let own = x + c * spatial
                for i in 0..<spatial { row[i] = own[i] * Foundation.pow(knorm + scaledAlpha * row[i], -beta) }
            }
        }
    }
}
