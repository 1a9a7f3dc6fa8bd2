import FlexTensor

extension Reference {
    /// What an index outside `0..<axisSize` selects: MXNet's `take` modes (`raise` is rejected while
    /// shapes are checked, not here: kernels never fail).
    public enum IndexMode: String, Sendable, CaseIterable {
        /// Clamped to `0` or `axisSize - 1`.
        case clip
        /// Taken modulo `axisSize` (so `-1` is the last position).
        case wrap
    }

    /// Converts `count` indices stored as `dtype` into positions in `0..<axisSize`, as MXNet's `take`
    /// and `Embedding` do on x86-64: floating-point indices are truncated toward zero like a C cast
    /// (NaN and values beyond the int64 range become `Int64.min`), then `mode` brings them in range.
    /// `axisSize` must be positive.
    public static func resolveIndices(_ indices: UnsafeRawPointer, dtype: DType, count: Int,
                                      axisSize: Int, mode: IndexMode) -> [Int] {
        var positions = [Int](repeating: 0, count: count)
        switch dtype {
        case .float32:
            let values = indices.assumingMemoryBound(to: Float.self)
            for i in 0..<count { positions[i] = Int(truncatingToInt64(Double(values[i]))) }
        case .float64:
            let values = indices.assumingMemoryBound(to: Double.self)
            for i in 0..<count { positions[i] = Int(truncatingToInt64(values[i])) }
        case .float16:
            let values = indices.assumingMemoryBound(to: UInt16.self)
            for i in 0..<count { positions[i] = Int(truncatingToInt64(Double(HalfFloat.toFloat(values[i])))) }
        case .int32:
            let values = indices.assumingMemoryBound(to: Int32.self)
            for i in 0..<count { positions[i] = Int(values[i]) }
        case .int64:
            let values = indices.assumingMemoryBound(to: Int64.self)
            for i in 0..<count { positions[i] = Int(values[i]) }
        case .int8:
            let values = indices.assumingMemoryBound(to: Int8.self)
            for i in 0..<count { positions[i] = Int(values[i]) }
        case .uint8:
            let values = indices.assumingMemoryBound(to: UInt8.self)
            for i in 0..<count { positions[i] = Int(values[i]) }
        }
        switch mode {
        case .clip:
            for i in 0..<count { positions[i] = min(max(positions[i], 0), axisSize - 1) }
        case .wrap:
            for i in 0..<count {
                let remainder = positions[i] % axisSize
                positions[i] = remainder < 0 ? remainder + axisSize : remainder
            }
        }
        return positions
    }

    /// `static_cast<int64_t>(value)` as x86-64 computes it (`cvttsd2si`): truncation toward zero, and
    /// `Int64.min` for NaN and out-of-range values.
    @inline(__always)
    public static func truncatingToInt64(_ value: Double) -> Int64 {
        guard value >= -0x1p63 && value < 0x1p63 else { return .min }
        return Int64(value.rounded(.towardZero))
    }

    /// `static_cast<int32_t>(value)` as x86-64 computes it (`cvttsd2si`): truncation toward zero, and
    /// `Int32.min` for NaN and out-of-range values. Narrower integer casts truncate this result's bits.
    @inline(__always)
    public static func truncatingToInt32(_ value: Double) -> Int32 {
        guard value > -2_147_483_649 && value < 2_147_483_648 else { return .min }
        return Int32(value.rounded(.towardZero))
    }

    /// Gathers slices along the middle axis of a dense tensor viewed as `[outer, axisSize, inner]`:
    /// output `[o, i, :]` (viewed as `[outer, positions.count, inner]`) is input `[o, positions[i], :]`.
    /// `positions` must lie in `0..<axisSize`. Generic over the element size.
    public static func gather(elementSize: Int, source: UnsafeRawPointer, outer: Int, axisSize: Int, inner: Int,
                              positions: [Int], destination: UnsafeMutableRawPointer) {
        let blockBytes = inner * elementSize
        var write = destination
        for o in 0..<outer {
            let base = source + o * axisSize * blockBytes
            for position in positions {
                write.copyMemory(from: base + position * blockBytes, byteCount: blockBytes)
                write += blockBytes
            }
        }
    }
}
