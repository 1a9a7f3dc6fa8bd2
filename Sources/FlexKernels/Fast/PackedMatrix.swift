import CFlexKernels
import FlexTensor

extension Fast {
    /// A matrix stored once as GEMM micro-panels, so a GEMM can stream it without repacking on every
    /// call (weights are packed when a model is prepared and reused for every inference).
    ///
    /// Layout of `packedValues` (K is the shared GEMM dimension, `depth`):
    /// - `.left` (the matrix is A, `rows` = M, `columns` = K): panels of `panelWidth` = 6 rows. Panel `p`
    ///   holds rows `6p ..< 6p + 6` as K groups of 6 floats: element (`6p + r`, `k`) is at
    ///   `p * K * 6 + k * 6 + r`.
    /// - `.right` (the matrix is B, `rows` = K, `columns` = N): panels of `panelWidth` = 16 columns. Panel
    ///   `p` holds columns `16p ..< 16p + 16` as K groups of 16 floats: element (`k`, `16p + c`) is at
    ///   `p * K * 16 + k * 16 + c`.
    /// Rows or columns past the matrix in the last panel are zero.
    ///
    /// Immutable after creation and safe to share between threads.
    public struct PackedMatrix: Sendable {
        /// Which GEMM operand the panels are laid out for.
        public enum Role: String, Sendable, Hashable, CaseIterable {
            /// The left operand A (M x K), in panels of 6 rows.
            case left
            /// The right operand B (K x N), in panels of 16 columns.
            case right
        }

        /// A `packedValues` array whose length does not fit the dimensions it came with.
        public struct LayoutError: Error, CustomStringConvertible {
            public let rows: Int
            public let columns: Int
            public let role: Role
            public let expectedCount: Int
            public let actualCount: Int

            public var description: String {
                "packed \(role) matrix \(rows)x\(columns) needs \(expectedCount) floats, got \(actualCount)"
            }
        }

        public let rows: Int
        public let columns: Int
        public let role: Role
        let storage: TensorBuffer

        /// Rows (`.left`) or columns (`.right`) per panel.
        public var panelWidth: Int { Self.panelWidth(role) }
        /// The shared GEMM dimension K.
        public var depth: Int { role == .left ? columns : rows }
        /// The dimension split into panels (M for `.left`, N for `.right`).
        public var width: Int { role == .left ? rows : columns }
        public var panelCount: Int { (width + panelWidth - 1) / panelWidth }
        /// Floats between the starts of consecutive panels.
        public var panelStride: Int { depth * panelWidth }
        /// Length of `packedValues`.
        public var packedCount: Int { panelCount * panelStride }

        static func panelWidth(_ role: Role) -> Int { role == .left ? Int(FLEX_GEMM_MR) : Int(FLEX_GEMM_NR) }

        var values: UnsafeMutablePointer<Float> { storage.baseAddress.assumingMemoryBound(to: Float.self) }

        /// Packs the `rows` x `columns` matrix whose element (i, j) is `source[i * rowStride + j * columnStride]`
        /// (a transposed matrix is `rowStride: 1, columnStride: rows`).
        public init(
            rows: Int, columns: Int, role: Role,
            source: UnsafePointer<Float>, rowStride: Int, columnStride: Int = 1
        ) {
            precondition(rows >= 0 && columns >= 0, "negative matrix size \(rows)x\(columns)")
            self.init(empty: rows, columns: columns, role: role)
            let width = panelWidth, depth = depth, values = values
            for panel in 0..<panelCount {
                let base = values + panel * panelStride
                let count = Swift.min(width, self.width - panel * width)
                for lane in 0..<count {
                    let outer = panel * width + lane
                    for k in 0..<depth {
                        let (i, j) = role == .left ? (outer, k) : (k, outer)
                        base[k * width + lane] = source[i * rowStride + j * columnStride]
                    }
                }
            }
        }

        /// Restores a matrix from `packedValues` saved earlier with the same dimensions and role.
        public init(rows: Int, columns: Int, role: Role, packedValues: [Float]) throws(LayoutError) {
            precondition(rows >= 0 && columns >= 0, "negative matrix size \(rows)x\(columns)")
            self.init(empty: rows, columns: columns, role: role)
            guard packedValues.count == packedCount else {
                throw LayoutError(
                    rows: rows, columns: columns, role: role,
                    expectedCount: packedCount, actualCount: packedValues.count)
            }
            packedValues.withUnsafeBufferPointer { values.update(from: $0.baseAddress!, count: packedCount) }
        }

        private init(empty rows: Int, columns: Int, role: Role) {
            self.rows = rows
            self.columns = columns
            self.role = role
            let width = role == .left ? rows : columns, depth = role == .left ? columns : rows
            let panelWidth = Self.panelWidth(role)
            let count = (width + panelWidth - 1) / panelWidth * panelWidth * depth
            storage = TensorBuffer(byteCount: count * MemoryLayout<Float>.stride)
        }

        /// The panels' bytes where kernels read them (`packedCount` floats), for warming caches; read only.
        public var packedBytes: UnsafeRawBufferPointer {
            UnsafeRawBufferPointer(start: storage.baseAddress, count: packedCount * MemoryLayout<Float>.size)
        }

        /// The panels as a flat array (see the type's layout), for storing in a compiled artifact.
        public var packedValues: [Float] { Array(UnsafeBufferPointer(start: values, count: packedCount)) }

        /// Element (`row`, `column`) of the logical matrix.
        public subscript(row: Int, column: Int) -> Float {
            precondition(row >= 0 && row < rows && column >= 0 && column < columns, "index out of range")
            let (outer, k) = role == .left ? (row, column) : (column, row)
            return values[outer / panelWidth * panelStride + k * panelWidth + outer % panelWidth]
        }
    }
}
