import FlexKernels
import FlexTensor
import Testing

/// `Cast` against MXNet 1.9.1 on x86-64. Expected values from (venv-mxnet):
/// ```python
/// x = mx.nd.array([-2.7, -1.5, -0.5, 0.5, 1.5, 2.7, 300.6, -300.6, 1e10, -1e10, np.nan, np.inf, -np.inf])
/// mx.nd.Cast(x, dtype=t).asnumpy().tolist()  # for t in int8, uint8, int32, int64, float16
/// ```
@Suite struct ReferenceCastTests {
    static let input: [Float] = [-2.7, -1.5, -0.5, 0.5, 1.5, 2.7, 300.6, -300.6, 1e10, -1e10, .nan, .infinity, -.infinity]

    func cast<T: Numeric & BitwiseCopyable>(_ type: DType, as _: T.Type) -> [T] {
        var output = [T](repeating: 0, count: Self.input.count)
        Reference.cast(source: Self.input, sourceType: .float32, destination: &output, destinationType: type, count: Self.input.count)
        return output
    }

    @Test func toInt8WrapsTheInt32Conversion() {
        #expect(cast(.int8, as: Int8.self) == [-2, -1, 0, 0, 1, 2, 44, -44, 0, 0, 0, 0, 0])
    }

    @Test func toUInt8WrapsTheInt32Conversion() {
        #expect(cast(.uint8, as: UInt8.self) == [254, 255, 0, 0, 1, 2, 44, 212, 0, 0, 0, 0, 0])
    }

    @Test func toInt32GivesMinimumWhenOutOfRange() {
        let m = Int32.min
        #expect(cast(.int32, as: Int32.self) == [-2, -1, 0, 0, 1, 2, 300, -300, m, m, m, m, m])
    }

    @Test func toInt64() {
        let m = Int64.min
        #expect(cast(.int64, as: Int64.self) == [-2, -1, 0, 0, 1, 2, 300, -300, 10_000_000_000, -10_000_000_000, m, m, m])
    }

    @Test func toFloat16RoundsToNearestEven() {
        let bits = cast(.float16, as: UInt16.self)
        let values = bits.map(HalfFloat.toFloat)
        let expected: [Float] = [-2.69921875, -1.5, -0.5, 0.5, 1.5, 2.69921875, 300.5, -300.5, .infinity, -.infinity, .nan, .infinity, -.infinity]
        for (value, wanted) in zip(values, expected) {
            #expect(value == wanted || (value.isNaN && wanted.isNaN), "got \(value), expected \(wanted)")
        }
    }

    @Test func integerToNarrowerIntegerWraps() {
        let source: [Int64] = [300, -1, 127, 128]
        var output = [Int8](repeating: 0, count: 4)
        Reference.cast(source: source, sourceType: .int64, destination: &output, destinationType: .int8, count: 4)
        #expect(output == [44, -1, 127, -128])
        var floats = [Float](repeating: 0, count: 4)
        Reference.cast(source: output, sourceType: .int8, destination: &floats, destinationType: .float32, count: 4)
        #expect(floats == [44, -1, 127, -128])
    }
}
