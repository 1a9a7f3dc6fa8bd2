extension Reference {
    /// MXNet's interleaved attention products (`_contrib_interleaved_matmul_*`, GluonNLP's BERT and
    /// transformer). Projections are `(seq, batch, heads * parts * headDim)` with the parts of one
    /// head adjacent (`parts` 3 for q,k,v or 2 for k,v); attention is `(batch * heads, qLength,
    /// kLength)`.
    ///
    /// `scores[b*heads + h, i, j] = scale * Σ_d q[i, b, h, qPart, d] * k[j, b, h, kPart, d]`.
    public static func interleavedScores(queries: UnsafePointer<Float>, queryParts: Int, queryPart: Int, queryLength: Int,
                                         keys: UnsafePointer<Float>, keyParts: Int, keyPart: Int, keyLength: Int,
                                         batch: Int, heads: Int, headDim: Int, scale: Float,
                                         output: UnsafeMutablePointer<Float>) {
        let queryRow = heads * queryParts * headDim
        let keyRow = heads * keyParts * headDim
        for b in 0..<batch {
            for h in 0..<heads {
                let out = output + (b * heads + h) * queryLength * keyLength
                for i in 0..<queryLength {
                    let q = queries + (i * batch + b) * queryRow + (h * queryParts + queryPart) * headDim
                    for j in 0..<keyLength {
                        let k = keys + (j * batch + b) * keyRow + (h * keyParts + keyPart) * headDim
                        var sum: Float = 0
                        for d in 0..<headDim { sum += (q[d] * scale) * k[d] }
                        out[i * keyLength + j] = sum
                    }
                }
            }
        }
    }

    /// `output[i, b, h*headDim + d] = Σ_j attention[b*heads + h, i, j] * v[j, b, h, valuePart, d]`,
    /// output `(qLength, batch, heads * headDim)`.
    public static func interleavedWeightedValues(values: UnsafePointer<Float>, valueParts: Int, valuePart: Int, keyLength: Int,
                                                 attention: UnsafePointer<Float>, queryLength: Int,
                                                 batch: Int, heads: Int, headDim: Int,
                                                 output: UnsafeMutablePointer<Float>) {
        let valueRow = heads * valueParts * headDim
        for b in 0..<batch {
            for h in 0..<heads {
                let weights = attention + (b * heads + h) * queryLength * keyLength
                for i in 0..<queryLength {
                    let out = output + (i * batch + b) * heads * headDim + h * headDim
                    for d in 0..<headDim { out[d] = 0 }
                    for j in 0..<keyLength {
                        let w = weights[i * keyLength + j]
                        let v = values + (j * batch + b) * valueRow + (h * valueParts + valuePart) * headDim
                        for d in 0..<headDim { out[d] += w * v[d] }
                    }
                }
            }
        }
    }
}
