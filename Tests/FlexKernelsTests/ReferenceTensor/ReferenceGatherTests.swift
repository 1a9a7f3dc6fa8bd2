import FlexKernels
import FlexTensor
import Testing

@Suite struct ReferenceGatherTests {
    /// Float indices as MXNet 1.9.1 resolves them on a 4-row table. Expected positions are the rows
    /// picked by (venv-mxnet):
    /// ```python
    /// a = mx.nd.array(np.arange(12).reshape(4, 3))
    /// idx = mx.nd.array([-5.7, -1.5, -0.5, 0.4, 0.6, 1.5, 2.5, 3.99, 4.0, 7.2, 100])
    /// mx.nd.take(a, idx, mode='clip')[:, 0] / 3  # [0 0 0 0 0 1 2 3 3 3 3]
    /// mx.nd.take(a, idx, mode='wrap')[:, 0] / 3  # [3 3 0 0 0 1 2 3 0 3 0]
    /// ```
    static let floatIndices: [Float] = [-5.7, -1.5, -0.5, 0.4, 0.6, 1.5, 2.5, 3.99, 4.0, 7.2, 100]

    @Test func floatIndicesTruncateThenClip() {
        let positions = Reference.resolveIndices(Self.floatIndices, dtype: .float32, count: 11, axisSize: 4, mode: .clip)
        #expect(positions == [0, 0, 0, 0, 0, 1, 2, 3, 3, 3, 3])
    }

    @Test func floatIndicesTruncateThenWrap() {
        let positions = Reference.resolveIndices(Self.floatIndices, dtype: .float32, count: 11, axisSize: 4, mode: .wrap)
        #expect(positions == [3, 3, 0, 0, 0, 1, 2, 3, 0, 3, 0])
    }

    /// `mx.nd.take(a, mx.nd.array([-1, 5], dtype='int32'), mode='wrap')` picks rows 3 and 1;
    /// with int64 indices and `mode='clip'`, rows 0 and 3.
    @Test func integerIndices() {
        let int32: [Int32] = [-1, 5]
        let int64: [Int64] = [-1, 5]
        #expect(Reference.resolveIndices(int32, dtype: .int32, count: 2, axisSize: 4, mode: .wrap) == [3, 1])
        #expect(Reference.resolveIndices(int64, dtype: .int64, count: 2, axisSize: 4, mode: .clip) == [0, 3])
    }

    @Test func nanIndexIsInt64MinLikeX86() {
        let nan: [Float] = [.nan, .infinity]
        #expect(Reference.resolveIndices(nan, dtype: .float32, count: 2, axisSize: 5, mode: .clip) == [0, 0])
    }

    @Test func gatherCopiesBlocksAlongTheMiddleAxis() {
        // Source viewed as [outer 2, axis 3, inner 2]; pick positions 2, 0, 2.
        let source = (0..<12).map(Float.init)
        var output = [Float](repeating: .nan, count: 12)
        Reference.gather(elementSize: 4, source: source, outer: 2, axisSize: 3, inner: 2, positions: [2, 0, 2], destination: &output)
        #expect(output == [4, 5, 0, 1, 4, 5, 10, 11, 6, 7, 10, 11])
    }
}
