import FlexKernels
import Testing

@Suite("Fast.PackedMatrix")
struct FastPackedMatrixTests {
    @Test("packs every element where the layout says, zero-pads the last panel", arguments: Fast.PackedMatrix.Role.allCases)
    func layout(role: Fast.PackedMatrix.Role) throws {
        let rows = 11, columns = 19
        let source = randomFloats(rows * columns, seed: 3)
        let matrix = source.withUnsafeBufferPointer {
            Fast.PackedMatrix(rows: rows, columns: columns, role: role, source: $0.baseAddress!, rowStride: columns)
        }
        for i in 0..<rows {
            for j in 0..<columns { #expect(matrix[i, j] == source[i * columns + j]) }
        }
        let values = matrix.packedValues
        #expect(values.count == matrix.panelCount * matrix.panelStride)
        let width = matrix.panelWidth, depth = matrix.depth
        for i in 0..<rows {
            for j in 0..<columns {
                let (outer, k) = role == .left ? (i, j) : (j, i)
                #expect(values[outer / width * depth * width + k * width + outer % width] == source[i * columns + j])
            }
        }
        let padding = matrix.panelCount * width - matrix.width
        #expect(padding > 0)
        let lastPanel = values[((matrix.panelCount - 1) * matrix.panelStride)...]
        for (offset, value) in lastPanel.enumerated() where offset % width >= width - padding { #expect(value == 0) }
    }

    @Test("round-trips through packedValues; a wrong length is a clear error")
    func serialization() throws {
        let source = randomFloats(7 * 5, seed: 4)
        let matrix = source.withUnsafeBufferPointer {
            Fast.PackedMatrix(rows: 7, columns: 5, role: .right, source: $0.baseAddress!, rowStride: 1, columnStride: 7)
        }
        let restored = try Fast.PackedMatrix(rows: 7, columns: 5, role: .right, packedValues: matrix.packedValues)
        #expect(restored.packedValues == matrix.packedValues)
        #expect(restored[6, 4] == source[4 * 7 + 6])
        #expect(throws: Fast.PackedMatrix.LayoutError.self) {
            try Fast.PackedMatrix(rows: 7, columns: 5, role: .left, packedValues: matrix.packedValues)
        }
        do {
            _ = try Fast.PackedMatrix(rows: 7, columns: 5, role: .right, packedValues: [1, 2])
        } catch {
            #expect(error.description == "packed right matrix 7x5 needs 112 floats, got 2")
        }
    }
}
