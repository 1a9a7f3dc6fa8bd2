import FlexArtifact
import FlexCompiler
import FlexExecution
import FlexGraph
import FlexKernels
import FlexRuntime
import FlexTestSupport
import MXNetFormat
import Testing

@Suite struct LinearPartitionTests {
    /// All ways to cut `0..<count` into `parts` non-empty ranges.
    static func allPartitions(count: Int, parts: Int) -> [[Range<Int>]] {
        if parts == 1 { return [[0..<count]] }
        var result: [[Range<Int>]] = []
        for cut in (parts - 1)..<count {
            for prefix in allPartitions(count: cut, parts: parts - 1) { result.append(prefix + [cut..<count]) }
        }
        return result
    }

    @Test func matchesBruteForceOnRandomCosts() {
        var generator = SplitMix64(seed: 3)
        for trial in 0..<300 {
            let count = Int.random(in: 1...9, using: &generator)
            let parts = Int.random(in: 1...min(count, 4), using: &generator)
            let weights = (0..<count).map { _ in Double.random(in: 0...10, using: &generator).rounded() }
            let boundary = (0...count).map { _ in Double.random(in: 0...3, using: &generator).rounded() }
            let compute = (0..<count).map { _ in Bool.random(using: &generator) || count < 3 }
            let cost = { (range: Range<Int>) in weights[range].reduce(0, +) + boundary[range.lowerBound] }
            let allowed = { (range: Range<Int>) in compute[range].contains(true) }
            let candidates = Self.allPartitions(count: count, parts: parts).filter { $0.allSatisfy(allowed) }
            let result = LinearPartition.minimizeBottleneck(count: count, parts: parts, allowed: allowed, cost: cost)
            guard let best = candidates.map({ $0.map(cost).max()! }).min() else {
                #expect(result == nil, "trial \(trial)")
                continue
            }
            guard let ranges = result else {
                Issue.record("trial \(trial): no partition, but brute force found bottleneck \(best)")
                continue
            }
            #expect(ranges.count == parts)
            #expect(ranges.first?.lowerBound == 0 && ranges.last?.upperBound == count)
            #expect(zip(ranges, ranges.dropFirst()).allSatisfy { $0.upperBound == $1.lowerBound })
            #expect(ranges.allSatisfy(allowed))
            #expect(ranges.map(cost).max()! == best, "trial \(trial): weights \(weights), \(parts) parts")
            // Among optimal partitions, the sum of squares is minimal.
            let bestSquares = candidates.filter { $0.map(cost).max()! == best }.map { $0.map { cost($0) * cost($0) }.reduce(0, +) }.min()!
            #expect(ranges.map { cost($0) * cost($0) }.reduce(0, +) == bestSquares)
        }
    }

    @Test func returnsNilWhenThereAreFewerItemsThanParts() {
        #expect(LinearPartition.minimizeBottleneck(count: 2, parts: 3, allowed: { _ in true }, cost: { Double($0.count) }) == nil)
    }
}
