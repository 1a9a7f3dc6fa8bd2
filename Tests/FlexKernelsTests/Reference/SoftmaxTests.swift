import Foundation
import FlexKernels
import Testing

@Suite struct SoftmaxTests {
    static func run(_ variant: Reference.SoftmaxVariant, _ input: [Float], outer: Int, axis: Int, inner: Int,
                    temperature: Float = 1, lengths: [Int]? = nil) -> [Float] {
        var output = [Float](repeating: .nan, count: input.count)
        input.withUnsafeBufferPointer { x in
            output.withUnsafeMutableBufferPointer { y in
                Reference.softmax(variant, input: x.baseAddress!, output: y.baseAddress!, outer: outer, axisSize: axis, inner: inner,
                                  temperature: temperature, lengths: lengths)
            }
        }
        return output
    }

    /// Softmax of one vector in Double.
    static func expected(_ values: [Double]) -> [Double] {
        let largest = values.max()!
        let exps = values.map { Foundation.exp($0 - largest) }
        let sum = exps.reduce(0, +)
        return exps.map { $0 / sum }
    }

    @Test func lastAxisMiddleAxisAndTemperature() {
        // (2, 3) rows, softmax over the last axis.
        let input: [Float] = [1, 2, 3, -1, 0, 1000]
        let rows = Self.run(.softmax, input, outer: 2, axis: 3, inner: 1)
        let first = Self.expected([1, 2, 3])
        for j in 0..<3 { #expect(abs(Double(rows[j]) - first[j]) < 1e-6) }
        #expect(rows[3] == 0 && rows[4] == 0 && rows[5] == 1)  // no overflow for large inputs

        // The same data as (3, 2) with softmax over axis 0 (inner = 2): columns 1,3,1000... stride 2.
        let columns = Self.run(.softmax, input, outer: 1, axis: 3, inner: 2, temperature: 2)
        let even = Self.expected([1 / 2, 3 / 2, 0 / 2])
        for j in 0..<3 { #expect(abs(Double(columns[2 * j]) - even[j]) < 1e-6) }
    }

    @Test func logSoftmaxAndSoftmin() {
        let input: [Float] = [0.5, -1, 2, 0]
        let log = Self.run(.logSoftmax, input, outer: 1, axis: 4, inner: 1)
        let soft = Self.expected(input.map(Double.init))
        for j in 0..<4 { #expect(abs(Double(log[j]) - Foundation.log(soft[j])) < 1e-6) }
        let softmin = Self.run(.softmin, input, outer: 1, axis: 4, inner: 1)
        let negated = Self.expected(input.map { -Double($0) })
        for j in 0..<4 { #expect(abs(Double(softmin[j]) - negated[j]) < 1e-6) }
    }

    @Test func lengthsMaskTheTail() {
        let input: [Float] = [1, 2, 3, 1, 2, 3, 1, 2, 3]
        let output = Self.run(.softmax, input, outer: 3, axis: 3, inner: 1, lengths: [2, 0, 3])
        let two = Self.expected([1, 2])
        #expect(abs(Double(output[0]) - two[0]) < 1e-6 && abs(Double(output[1]) - two[1]) < 1e-6 && output[2] == 0)
        #expect(output[3...5].allSatisfy { $0 == 0 })
        #expect(abs(output[6...8].reduce(0, +) - 1) < 1e-6)
    }
}
