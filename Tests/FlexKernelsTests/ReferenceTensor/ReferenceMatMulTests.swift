import FlexKernels
import Testing

@Suite struct ReferenceMatMulTests {
    typealias Data = TensorKernelTestData

    @Test(arguments: [(false, false), (true, false), (false, true), (true, true)])
    func matchesTripleLoop(transposeA: Bool, transposeB: Bool) {
        let (m, n, k) = (5, 7, 3)
        let a = Data.values(m * k, seed: 11)
        let b = Data.values(k * n, seed: 12)
        var c = [Float](repeating: .nan, count: m * n)
        Reference.matmul(a: a, b: b, c: &c, m: m, n: n, k: k, transposeA: transposeA, transposeB: transposeB)
        for i in 0..<m {
            for j in 0..<n {
                var expected: Float = 0
                for p in 0..<k {
                    let aValue = transposeA ? a[p * m + i] : a[i * k + p]
                    let bValue = transposeB ? b[j * k + p] : b[p * n + j]
                    expected += aValue * bValue
                }
                #expect(abs(c[i * n + j] - expected) <= 1e-6, "c[\(i), \(j)]")
            }
        }
    }

    @Test func batchesAreIndependent() {
        // Two 2x2 products: [[1,2],[3,4]]·I and 2I·[[5,6],[7,8]].
        let a: [Float] = [1, 2, 3, 4, 2, 0, 0, 2]
        let b: [Float] = [1, 0, 0, 1, 5, 6, 7, 8]
        var c = [Float](repeating: .nan, count: 8)
        Reference.batchMatmul(a: a, b: b, c: &c, batch: 2, m: 2, n: 2, k: 2)
        #expect(c == [1, 2, 3, 4, 10, 12, 14, 16])
    }

    @Test func emptyContractionGivesZeros() {
        var c = [Float](repeating: .nan, count: 4)
        Reference.matmul(a: [], b: [], c: &c, m: 2, n: 2, k: 0)
        #expect(c == [0, 0, 0, 0])
    }
}
