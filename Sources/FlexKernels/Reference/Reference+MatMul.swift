extension Reference {
    /// `c = op(a) · op(b)` for row-major float32 matrices: `c` is `[m, n]`; `a` is `[m, k]`, or `[k, m]`
    /// when `transposeA`; `b` is `[k, n]`, or `[n, k]` when `transposeB`. `c` is overwritten and must not
    /// alias `a` or `b`. Loops are ordered so the innermost one walks contiguous memory where the
    /// layouts allow it.
    public static func matmul(a: UnsafePointer<Float>, b: UnsafePointer<Float>, c: UnsafeMutablePointer<Float>,
                              m: Int, n: Int, k: Int, transposeA: Bool = false, transposeB: Bool = false) {
        c.update(repeating: 0, count: m * n)
        if k == 0 { return }
        switch (transposeA, transposeB) {
        case (false, false), (true, false):
            // Row i of c accumulates a[i, p] · row p of b.
            for i in 0..<m {
                let row = c + i * n
                for p in 0..<k {
                    let scale = transposeA ? a[p * m + i] : a[i * k + p]
                    let bRow = b + p * n
                    for j in 0..<n { row[j] += scale * bRow[j] }
                }
            }
        case (false, true):
            // c[i, j] is the dot product of two contiguous rows.
            for i in 0..<m {
                let aRow = a + i * k
                for j in 0..<n {
                    let bRow = b + j * k
                    var sum: Float = 0
                    for p in 0..<k { sum += aRow[p] * bRow[p] }
                    c[i * n + j] = sum
                }
            }
        case (true, true):
            // Row i of c accumulates a[p, i] · column p of b (b is [n, k]).
            for i in 0..<m {
                let row = c + i * n
                for p in 0..<k {
                    let scale = a[p * m + i]
                    let bColumn = b + p
                    for j in 0..<n { row[j] += scale * bColumn[j * k] }
                }
            }
        }
    }

    /// `batch` independent `matmul`s over consecutive matrices: `a` holds `batch` matrices of `m * k`
    /// elements, `b` of `k * n`, `c` of `m * n` (layouts per matrix as in `matmul`).
    public static func batchMatmul(a: UnsafePointer<Float>, b: UnsafePointer<Float>, c: UnsafeMutablePointer<Float>,
                                   batch: Int, m: Int, n: Int, k: Int, transposeA: Bool = false, transposeB: Bool = false) {
        for index in 0..<batch {
            matmul(a: a + index * m * k, b: b + index * k * n, c: c + index * m * n,
                   m: m, n: n, k: k, transposeA: transposeA, transposeB: transposeB)
        }
    }
}
