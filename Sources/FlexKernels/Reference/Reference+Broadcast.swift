import FlexTensor

extension Reference {
    /// `output = function(lhs, rhs)` with NumPy broadcasting over dense row-major tensors. All three
    /// shapes have the same rank; on every axis each operand's size equals the output's or is 1
    /// (that operand is then repeated along the axis). The caller pads shorter shapes with leading 1s.
    public static func broadcastBinary(_ function: BinaryFunction,
                                       lhs: UnsafePointer<Float>, lhsShape: [Int],
                                       rhs: UnsafePointer<Float>, rhsShape: [Int],
                                       output: UnsafeMutablePointer<Float>, outputShape: [Int]) {
        broadcastBinary(function, dtype: .float32, lhs: UnsafeRawPointer(lhs), lhsShape: lhsShape,
                        rhs: UnsafeRawPointer(rhs), rhsShape: rhsShape, output: UnsafeMutableRawPointer(output), outputShape: outputShape)
    }

    /// `broadcastBinary` for operands and output of any one `dtype`, computed as the typed `binary` does.
    public static func broadcastBinary(_ function: BinaryFunction, dtype: DType,
                                       lhs: UnsafeRawPointer, lhsShape: [Int],
                                       rhs: UnsafeRawPointer, rhsShape: [Int],
                                       output: UnsafeMutableRawPointer, outputShape: [Int]) {
        precondition(lhsShape.count == outputShape.count && rhsShape.count == outputShape.count, "broadcast needs equal ranks")
        if outputShape.contains(0) { return }
        let lhsDense = contiguousStrides(lhsShape)
        let rhsDense = contiguousStrides(rhsShape)
        // Innermost first; merge neighbours whose strides continue each other in both operands.
        var sizes: [Int] = []
        var lhsSteps: [Int] = []
        var rhsSteps: [Int] = []
        for axis in stride(from: outputShape.count - 1, through: 0, by: -1) where outputShape[axis] != 1 {
            let lhsStep = lhsShape[axis] == 1 ? 0 : lhsDense[axis]
            let rhsStep = rhsShape[axis] == 1 ? 0 : rhsDense[axis]
            if let last = sizes.indices.last,
               lhsStep == lhsSteps[last] * sizes[last], rhsStep == rhsSteps[last] * sizes[last] {
                sizes[last] *= outputShape[axis]
            } else {
                sizes.append(outputShape[axis])
                lhsSteps.append(lhsStep)
                rhsSteps.append(rhsStep)
            }
        }
        guard let rowLength = sizes.first else {
            binary(function, dtype: dtype, lhs: lhs, rhs: rhs, output: output, count: 1)
            return
        }
        let size = dtype.size
        let outer = Array(sizes.dropFirst())
        var counter = [Int](repeating: 0, count: outer.count)
        var lhsOffset = 0
        var rhsOffset = 0
        let rows = outer.reduce(1, *)
        for row in 0..<rows {
            binary(function, dtype: dtype, lhs: lhs + lhsOffset * size, lhsStride: lhsSteps[0],
                   rhs: rhs + rhsOffset * size, rhsStride: rhsSteps[0], output: output + row * rowLength * size, count: rowLength)
            for level in 0..<outer.count {
                counter[level] += 1
                lhsOffset += lhsSteps[level + 1]
                rhsOffset += rhsSteps[level + 1]
                if counter[level] < outer[level] { break }
                counter[level] = 0
                lhsOffset -= lhsSteps[level + 1] * outer[level]
                rhsOffset -= rhsSteps[level + 1] * outer[level]
            }
        }
    }
}
