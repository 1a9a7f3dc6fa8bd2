extension Reference {
    /// Reductions of MXNet's `sum`, `mean`, `max` and `min`. `max` and `min` return NaN when any
    /// reduced value is NaN, as MXNet 1.9 does.
    public enum ReduceFunction: String, Sendable, CaseIterable {
        case sum, mean, max, min
    }

    /// Reduces a dense row-major float32 tensor of `shape` over the axes where `reduced` is true. The
    /// output holds the kept axes in order (dense; the same layout as with size-1 reduced axes kept).
    ///
    /// Sums reproduce MXNet's CPU reduction bit for bit: each output accumulates its values in row-major
    /// order with Kahan-compensated float32 additions (mshadow's `red::sum`), and `mean` divides that
    /// sum by the reduced count. An empty reduction gives 0 for `sum`, NaN for `mean` and ±∞ for
    /// `max`/`min`.
    public static func reduce(_ function: ReduceFunction, input: UnsafePointer<Float>, shape: [Int], reduced: [Bool],
                              output: UnsafeMutablePointer<Float>) {
        precondition(shape.count == reduced.count, "one reduce flag per axis")
        var outputCount = 1
        var reducedCount = 1
        for (size, isReduced) in zip(shape, reduced) {
            if isReduced { reducedCount *= size } else { outputCount *= size }
        }
        // Innermost first; size-1 axes vanish and neighbours of the same kind merge. An axis's output
        // step is 0 when it is reduced.
        var sizes: [Int] = []
        var kinds: [Bool] = []
        for axis in stride(from: shape.count - 1, through: 0, by: -1) where shape[axis] != 1 {
            if let last = kinds.last, last == reduced[axis] {
                sizes[sizes.count - 1] *= shape[axis]
            } else {
                sizes.append(shape[axis])
                kinds.append(reduced[axis])
            }
        }
        var outputSteps = [Int](repeating: 0, count: sizes.count)
        var running = 1
        for level in sizes.indices where !kinds[level] {
            outputSteps[level] = running
            running *= sizes[level]
        }
        let inputCount = shape.reduce(1, *)
        switch function {
        case .sum, .mean:
            output.update(repeating: 0, count: outputCount)
            var residuals = [Float](repeating: 0, count: outputCount)
            if inputCount > 0 {
                residuals.withUnsafeMutableBufferPointer { residuals in
                    walkRows(sizes: sizes, outputSteps: outputSteps) { inputOffset, outputOffset, length, innerReduced in
                        let row = input + inputOffset
                        if innerReduced {
                            var sum = output[outputOffset]
                            var residual = residuals[outputOffset]
                            for j in 0..<length { kahanAdd(row[j], to: &sum, residual: &residual) }
                            output[outputOffset] = sum
                            residuals[outputOffset] = residual
                        } else {
                            let sums = output + outputOffset
                            for j in 0..<length { kahanAdd(row[j], to: &sums[j], residual: &residuals[outputOffset + j]) }
                        }
                    }
                }
            }
            if function == .mean {
                let count = Float(reducedCount)
                for i in 0..<outputCount { output[i] /= count }
            }
        case .max, .min:
            let isMax = function == .max
            output.update(repeating: isMax ? -.infinity : .infinity, count: outputCount)
            if inputCount == 0 { return }
            walkRows(sizes: sizes, outputSteps: outputSteps) { inputOffset, outputOffset, length, innerReduced in
                let row = input + inputOffset
                if innerReduced {
                    var best = output[outputOffset]
                    if isMax {
                        for j in 0..<length where row[j] > best || row[j].isNaN { best = row[j] }
                    } else {
                        for j in 0..<length where row[j] < best || row[j].isNaN { best = row[j] }
                    }
                    output[outputOffset] = best
                } else {
                    let out = output + outputOffset
                    if isMax {
                        for j in 0..<length where row[j] > out[j] || row[j].isNaN && !out[j].isNaN { out[j] = row[j] }
                    } else {
                        for j in 0..<length where row[j] < out[j] || row[j].isNaN && !out[j].isNaN { out[j] = row[j] }
                    }
                }
            }
        }
    }

    /// One step of Kahan summation in float32, in mshadow's order of operations.
    @inline(__always)
    private static func kahanAdd(_ value: Float, to sum: inout Float, residual: inout Float) {
        let corrected = value - residual
        let total = sum + corrected
        residual = (total - sum) - corrected
        sum = total
    }

    /// Calls `body(inputOffset, outputOffset, rowLength, innerIsReduced)` for every innermost row of
    /// the merged input (`sizes` innermost first), in memory order.
    private static func walkRows(sizes: [Int], outputSteps: [Int], _ body: (Int, Int, Int, Bool) -> Void) {
        guard let rowLength = sizes.first else {
            body(0, 0, 1, false)
            return
        }
        let innerReduced = outputSteps[0] == 0
        let outer = Array(sizes.dropFirst())
        var counter = [Int](repeating: 0, count: outer.count)
        var outputOffset = 0
        let rows = outer.reduce(1, *)
        for row in 0..<rows {
            body(row * rowLength, outputOffset, rowLength, innerReduced)
            for level in 0..<outer.count {
                counter[level] += 1
                outputOffset += outputSteps[level + 1]
                if counter[level] < outer[level] { break }
                counter[level] = 0
                outputOffset -= outputSteps[level + 1] * outer[level]
            }
        }
    }

    /// Index of the largest value along the middle axis of a float32 tensor viewed as
    /// `[outer, axisSize, inner]`, written as a float into `output` (`[outer, inner]`). Ties give the
    /// first index; NaN counts as larger than everything (the first NaN wins), as in MXNet.
    /// `axisSize` must be positive.
    public static func argmax(input: UnsafePointer<Float>, outer: Int, axisSize: Int, inner: Int,
                              output: UnsafeMutablePointer<Float>) {
        var best = [Float](repeating: 0, count: inner)
        for o in 0..<outer {
            let block = input + o * axisSize * inner
            let indexes = output + o * inner
            for j in 0..<inner {
                best[j] = block[j]
                indexes[j] = 0
            }
            for k in 1..<max(axisSize, 1) {
                let row = block + k * inner
                for j in 0..<inner {
                    let value = row[j]
                    if value > best[j] || (value.isNaN && !best[j].isNaN) {
                        best[j] = value
                        indexes[j] = Float(k)
                    }
                }
            }
        }
    }
}
