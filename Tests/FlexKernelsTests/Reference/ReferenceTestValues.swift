/// Deterministic pseudo-random test data for the reference-kernel tests (a 64-bit LCG; values in [-1, 1)).
struct ReferenceTestValues {
    private var state: UInt64

    init(seed: UInt64) { state = seed &* 6364136223846793005 &+ 1442695040888963407 }

    mutating func next() -> Float {
        state = state &* 6364136223846793005 &+ 1442695040888963407
        return Float(Double(state >> 11) / Double(1 << 53) * 2 - 1)
    }

    mutating func array(_ count: Int) -> [Float] { (0..<count).map { _ in next() } }

    /// Largest absolute difference between two equally long arrays.
    static func maxDifference(_ a: [Float], _ b: [Float]) -> Float {
        precondition(a.count == b.count, "compared arrays differ in length")
        return zip(a, b).reduce(0) { max($0, abs($1.0 - $1.1)) }
    }
}
