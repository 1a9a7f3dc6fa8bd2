/// Splitting a sequence of `count` items into `parts` contiguous, non-empty ranges so that the
/// costliest range is as cheap as possible (the "linear partition" problem), by dynamic programming
/// over cut positions: O(parts · count²) cost evaluations.
///
/// Among the partitions with the optimal bottleneck, the one with the smallest sum of squared range
/// costs is returned, so stages other than the bottleneck are balanced too.
package enum LinearPartition {
    /// - `allowed`: whether a range may form a part (e.g. it must hold a compute step).
    /// - `cost`: a range's cost; need not be additive (boundary transfers depend on the cut).
    /// - Returns: the ranges in order, or nil when no partition into `parts` allowed ranges exists.
    package static func minimizeBottleneck(count: Int, parts: Int, allowed: (Range<Int>) -> Bool,
                                          cost: (Range<Int>) -> Double) -> [Range<Int>]? {
        guard parts >= 1, count >= parts else { return nil }
        // bottleneck[k][j]: best bottleneck splitting items 0..<j into k parts.
        var bottleneck = [[Double]](repeating: [Double](repeating: .infinity, count: count + 1), count: parts + 1)
        bottleneck[0][0] = 0
        for k in 1...parts {
            for end in k...count {
                var best = Double.infinity
                for start in (k - 1)..<end where bottleneck[k - 1][start] < .infinity {
                    let range = start..<end
                    guard allowed(range) else { continue }
                    best = min(best, max(bottleneck[k - 1][start], cost(range)))
                }
                bottleneck[k][end] = best
            }
        }
        let optimum = bottleneck[parts][count]
        guard optimum < .infinity else { return nil }

        // Second pass: minimize the sum of squares subject to every part costing at most the optimum.
        let limit = optimum + abs(optimum) * 1e-12
        var squares = [[Double]](repeating: [Double](repeating: .infinity, count: count + 1), count: parts + 1)
        var previous = [[Int]](repeating: [Int](repeating: -1, count: count + 1), count: parts + 1)
        squares[0][0] = 0
        for k in 1...parts {
            for end in k...count {
                for start in (k - 1)..<end where squares[k - 1][start] < .infinity {
                    let range = start..<end
                    guard allowed(range) else { continue }
                    let value = cost(range)
                    guard value <= limit else { continue }
                    let total = squares[k - 1][start] + value * value
                    if total < squares[k][end] {
                        squares[k][end] = total
                        previous[k][end] = start
                    }
                }
            }
        }
        var ranges: [Range<Int>] = []
        var end = count
        for k in stride(from: parts, through: 1, by: -1) {
            let start = previous[k][end]
            guard start >= 0 else { return nil }
            ranges.append(start..<end)
            end = start
        }
        return ranges.reversed()
    }
}
