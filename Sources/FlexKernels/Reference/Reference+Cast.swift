import FlexTensor

extension Reference {
    /// Converts `count` elements from `sourceType` to `destinationType` exactly as MXNet's `Cast` does
    /// on x86-64 (plain C conversions):
    /// - floating point to int32/int64 truncates toward zero; NaN and out-of-range values give the
    ///   type's minimum (`cvttss2si`); to int8/uint8 the int32 result's low bits are kept (300.6 → 44);
    /// - integer to narrower integer keeps the low bits (two's complement wrap-around);
    /// - to float16 rounds to nearest even; to float32 from float64 or int64 rounds to nearest.
    /// `source` and `destination` must not overlap.
    public static func cast(source: UnsafeRawPointer, sourceType: DType,
                            destination: UnsafeMutableRawPointer, destinationType: DType, count: Int) {
        if sourceType == destinationType {
            destination.copyMemory(from: source, byteCount: count * sourceType.size)
            return
        }
        if sourceType.isFloatingPoint {
            var values = [Double](repeating: 0, count: count)
            switch sourceType {
            case .float32:
                let from = source.assumingMemoryBound(to: Float.self)
                for i in 0..<count { values[i] = Double(from[i]) }
            case .float64:
                let from = source.assumingMemoryBound(to: Double.self)
                for i in 0..<count { values[i] = from[i] }
            default:
                let from = source.assumingMemoryBound(to: UInt16.self)
                for i in 0..<count { values[i] = Double(HalfFloat.toFloat(from[i])) }
            }
            store(values, to: destination, as: destinationType)
        } else {
            var values = [Int64](repeating: 0, count: count)
            switch sourceType {
            case .int32:
                let from = source.assumingMemoryBound(to: Int32.self)
                for i in 0..<count { values[i] = Int64(from[i]) }
            case .int64:
                let from = source.assumingMemoryBound(to: Int64.self)
                for i in 0..<count { values[i] = from[i] }
            case .int8:
                let from = source.assumingMemoryBound(to: Int8.self)
                for i in 0..<count { values[i] = Int64(from[i]) }
            default:
                let from = source.assumingMemoryBound(to: UInt8.self)
                for i in 0..<count { values[i] = Int64(from[i]) }
            }
            store(values, to: destination, as: destinationType)
        }
    }

    private static func store(_ values: [Double], to destination: UnsafeMutableRawPointer, as type: DType) {
        let count = values.count
        switch type {
        case .float32:
            let to = destination.assumingMemoryBound(to: Float.self)
            for i in 0..<count { to[i] = Float(values[i]) }
        case .float64:
            let to = destination.assumingMemoryBound(to: Double.self)
            for i in 0..<count { to[i] = values[i] }
        case .float16:
            let to = destination.assumingMemoryBound(to: UInt16.self)
            for i in 0..<count { to[i] = HalfFloat.fromFloat(Float(values[i])) }
        case .int32:
            let to = destination.assumingMemoryBound(to: Int32.self)
            for i in 0..<count { to[i] = truncatingToInt32(values[i]) }
        case .int64:
            let to = destination.assumingMemoryBound(to: Int64.self)
            for i in 0..<count { to[i] = truncatingToInt64(values[i]) }
        case .int8:
            let to = destination.assumingMemoryBound(to: Int8.self)
            for i in 0..<count { to[i] = Int8(truncatingIfNeeded: truncatingToInt32(values[i])) }
        case .uint8:
            let to = destination.assumingMemoryBound(to: UInt8.self)
            for i in 0..<count { to[i] = UInt8(truncatingIfNeeded: truncatingToInt32(values[i])) }
        }
    }

    private static func store(_ values: [Int64], to destination: UnsafeMutableRawPointer, as type: DType) {
        let count = values.count
        switch type {
        case .float32:
            let to = destination.assumingMemoryBound(to: Float.self)
            for i in 0..<count { to[i] = Float(values[i]) }
        case .float64:
            let to = destination.assumingMemoryBound(to: Double.self)
            for i in 0..<count { to[i] = Double(values[i]) }
        case .float16:
            let to = destination.assumingMemoryBound(to: UInt16.self)
            for i in 0..<count { to[i] = HalfFloat.fromFloat(Float(values[i])) }
        case .int32:
            let to = destination.assumingMemoryBound(to: Int32.self)
            for i in 0..<count { to[i] = Int32(truncatingIfNeeded: values[i]) }
        case .int64:
            let to = destination.assumingMemoryBound(to: Int64.self)
            for i in 0..<count { to[i] = values[i] }
        case .int8:
            let to = destination.assumingMemoryBound(to: Int8.self)
            for i in 0..<count { to[i] = Int8(truncatingIfNeeded: values[i]) }
        case .uint8:
            let to = destination.assumingMemoryBound(to: UInt8.self)
            for i in 0..<count { to[i] = UInt8(truncatingIfNeeded: values[i]) }
        }
    }
}
