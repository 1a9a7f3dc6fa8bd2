import Foundation
import FlexTensor

/// Element access for every dtype, with the C conversions MXNet's kernels apply when they store a
/// computed value into a tensor of another type (see `Reference.cast`).
extension Reference {
    /// Element `index` of a `dtype` buffer, widened to Double (exact, except int64 beyond 2^53).
    @inline(__always)
    public static func loadReal(_ base: UnsafeRawPointer, _ dtype: DType, _ index: Int) -> Double {
        switch dtype {
        case .float32: Double(base.load(fromByteOffset: index * 4, as: Float.self))
        case .float64: base.load(fromByteOffset: index * 8, as: Double.self)
        case .float16: Double(HalfFloat.toFloat(base.load(fromByteOffset: index * 2, as: UInt16.self)))
        case .int32: Double(base.load(fromByteOffset: index * 4, as: Int32.self))
        case .int64: Double(base.load(fromByteOffset: index * 8, as: Int64.self))
        case .int8: Double(base.load(fromByteOffset: index, as: Int8.self))
        case .uint8: Double(base.load(fromByteOffset: index, as: UInt8.self))
        }
    }

    /// Element `index` of an integer `dtype` buffer, widened to Int64 (floating-point dtypes are
    /// truncated toward zero as a C cast does).
    @inline(__always)
    public static func loadInteger(_ base: UnsafeRawPointer, _ dtype: DType, _ index: Int) -> Int64 {
        switch dtype {
        case .int32: Int64(base.load(fromByteOffset: index * 4, as: Int32.self))
        case .int64: base.load(fromByteOffset: index * 8, as: Int64.self)
        case .int8: Int64(base.load(fromByteOffset: index, as: Int8.self))
        case .uint8: Int64(base.load(fromByteOffset: index, as: UInt8.self))
        default: truncatingToInt64(loadReal(base, dtype, index))
        }
    }

    /// Stores `value` as `dtype` the way a C conversion does on x86-64: rounding to nearest for
    /// floating-point types, truncation toward zero for int32/int64 (NaN and out-of-range values give
    /// the type's minimum) and the low bits of the int32 conversion for int8/uint8.
    @inline(__always)
    public static func storeReal(_ value: Double, _ base: UnsafeMutableRawPointer, _ dtype: DType, _ index: Int) {
        switch dtype {
        case .float32: base.storeBytes(of: Float(value), toByteOffset: index * 4, as: Float.self)
        case .float64: base.storeBytes(of: value, toByteOffset: index * 8, as: Double.self)
        case .float16: base.storeBytes(of: HalfFloat.fromFloat(Float(value)), toByteOffset: index * 2, as: UInt16.self)
        case .int32: base.storeBytes(of: truncatingToInt32(value), toByteOffset: index * 4, as: Int32.self)
        case .int64: base.storeBytes(of: truncatingToInt64(value), toByteOffset: index * 8, as: Int64.self)
        case .int8: base.storeBytes(of: Int8(truncatingIfNeeded: truncatingToInt32(value)), toByteOffset: index, as: Int8.self)
        case .uint8: base.storeBytes(of: UInt8(truncatingIfNeeded: truncatingToInt32(value)), toByteOffset: index, as: UInt8.self)
        }
    }

    /// Stores `value` as `dtype`, keeping its low bits for integer types (two's complement wrap-around).
    @inline(__always)
    public static func storeInteger(_ value: Int64, _ base: UnsafeMutableRawPointer, _ dtype: DType, _ index: Int) {
        switch dtype {
        case .int32: base.storeBytes(of: Int32(truncatingIfNeeded: value), toByteOffset: index * 4, as: Int32.self)
        case .int64: base.storeBytes(of: value, toByteOffset: index * 8, as: Int64.self)
        case .int8: base.storeBytes(of: Int8(truncatingIfNeeded: value), toByteOffset: index, as: Int8.self)
        case .uint8: base.storeBytes(of: UInt8(truncatingIfNeeded: value), toByteOffset: index, as: UInt8.self)
        default: storeReal(Double(value), base, dtype, index)
        }
    }

    /// `value` converted to `dtype` and back, as MXNet's `DType(scalar)` does with a scalar
    /// attribute before applying it (`int32` turns 2.7 into 2, `uint8` turns -1 into 255).
    public static func roundTrip(_ value: Double, through dtype: DType) -> Double {
        var storage: UInt64 = 0
        return withUnsafeMutableBytes(of: &storage) { bytes in
            storeReal(value, bytes.baseAddress!, dtype, 0)
            return loadReal(bytes.baseAddress!, dtype, 0)
        }
    }
}

extension Reference.BinaryFunction {
    /// `function(a, b)` on two integers as MXNet's kernels compute it for integer dtypes: addition,
    /// subtraction, multiplication, division, maximum, minimum and the comparisons in the integer type
    /// itself (`.exact`, which wraps when stored); `power` in float32 (`powf`) and `modulo` in double
    /// (`fmod`), giving `.real` values that are converted when stored. Division by zero, which stops
    /// MXNet with SIGFPE, gives the float result (±inf or NaN, so the type's minimum when stored).
    @inline(__always)
    public func applyInteger(_ a: Int64, _ b: Int64) -> Reference.NumericResult {
        switch self {
        case .add: .exact(a &+ b)
        case .subtract: .exact(a &- b)
        case .multiply: .exact(a &* b)
        case .divide: b == 0 || (a == .min && b == -1) ? .real(Double(a) / Double(b)) : .exact(a / b)
        case .maximum: .exact(a > b ? a : b)
        case .minimum: .exact(a < b ? a : b)
        case .power: .real(Double(Foundation.powf(Float(a), Float(b))))
        case .modulo: .real(Self.modulo(Double(a), Double(b)))
        case .equal: .exact(a == b ? 1 : 0)
        case .notEqual: .exact(a != b ? 1 : 0)
        case .greater: .exact(a > b ? 1 : 0)
        case .greaterEqual: .exact(a >= b ? 1 : 0)
        case .lesser: .exact(a < b ? 1 : 0)
        case .lesserEqual: .exact(a <= b ? 1 : 0)
        }
    }

    /// MXNet's `mod` (mshadow_op::mod): the remainder with the divisor's sign (Python's `%`),
    /// computed with double `fmod`; 0 when `b` is 0.
    @inline(__always)
    static func modulo(_ a: Double, _ b: Double) -> Double {
        if b == 0 { return 0 }
        if b < 0 {
            if a < 0 { return -Foundation.fmod(-a, -b) }
            let r = Foundation.fmod(a, -b)
            return r + (r != 0 ? b : 0)
        }
        if a < 0 {
            let r = Foundation.fmod(-a, b)
            return -r + (r != 0 ? b : 0)
        }
        return Foundation.fmod(a, b)
    }
}

extension Reference {
    /// A value an integer kernel computed: in the integer type itself (stored with wrap-around) or as
    /// a real number (stored with a C conversion).
    public enum NumericResult {
        case exact(Int64)
        case real(Double)
    }

    /// `binary` for tensors of any (one) dtype, computing as MXNet does in that dtype: float32 and
    /// float16 in float32 (float16 results rounded), float64 in double, integers per
    /// `BinaryFunction.applyInteger`. Pointers address elements of `dtype`; strides are in elements.
    public static func binary(_ function: BinaryFunction, dtype: DType,
                              lhs: UnsafeRawPointer, lhsStride: Int = 1,
                              rhs: UnsafeRawPointer, rhsStride: Int = 1,
                              output: UnsafeMutableRawPointer, count: Int) {
        switch dtype {
        case .float32:
            binary(function, lhs: lhs.assumingMemoryBound(to: Float.self), lhsStride: lhsStride,
                   rhs: rhs.assumingMemoryBound(to: Float.self), rhsStride: rhsStride,
                   output: output.assumingMemoryBound(to: Float.self), count: count)
        case .float16:
            for i in 0..<count {
                let value = function.apply(Float(loadReal(lhs, dtype, i * lhsStride)), Float(loadReal(rhs, dtype, i * rhsStride)))
                storeReal(Double(value), output, dtype, i)
            }
        case .float64:
            for i in 0..<count {
                storeReal(function.applyDouble(loadReal(lhs, dtype, i * lhsStride), loadReal(rhs, dtype, i * rhsStride)), output, dtype, i)
            }
        case .int32, .int64, .int8, .uint8:
            for i in 0..<count {
                switch function.applyInteger(loadInteger(lhs, dtype, i * lhsStride), loadInteger(rhs, dtype, i * rhsStride)) {
                case .exact(let value): storeInteger(value, output, dtype, i)
                case .real(let value): storeReal(value, output, dtype, i)
                }
            }
        }
    }

    /// `unary` for a tensor of any dtype, as MXNet computes it: float32 and float16 in float32, float64
    /// in double; for integer dtypes (as measured against MXNet 1.9.1) `abs`, `negative`, `relu`,
    /// `floor` and `ceil` in the integer type, `square` in float32 (an int64 16777217 squares to
    /// 2^48) and the rest in double (`sigmoid` of an int32 37 is 1, of 36 is 0), converted back with a C cast.
    public static func unary(_ function: UnaryFunction, dtype: DType, input: UnsafeRawPointer,
                             output: UnsafeMutableRawPointer, count: Int) {
        switch dtype {
        case .float32:
            unary(function, input: input.assumingMemoryBound(to: Float.self),
                  output: output.assumingMemoryBound(to: Float.self), count: count)
        case .float16:
            for i in 0..<count { storeReal(Double(function.apply(Float(loadReal(input, dtype, i)))), output, dtype, i) }
        case .float64:
            for i in 0..<count { storeReal(function.applyDouble(loadReal(input, dtype, i)), output, dtype, i) }
        case .int32, .int64, .int8, .uint8:
            for i in 0..<count {
                let x = loadInteger(input, dtype, i)
                switch function {
                case .abs: storeInteger(x < 0 ? 0 &- x : x, output, dtype, i)
                case .negative: storeInteger(0 &- x, output, dtype, i)
                case .relu: storeInteger(x > 0 ? x : 0, output, dtype, i)
                case .floor, .ceil: storeInteger(x, output, dtype, i)
                case .square: storeReal(Double(Float(x) * Float(x)), output, dtype, i)
                default: storeReal(function.applyDouble(Double(x)), output, dtype, i)
                }
            }
        }
    }
}
