import Foundation

/// NumPy `.npy` reading and writing (format versions 1.0, 2.0 and 3.0; little-endian `<f4 <f8 <f2 <i4
/// <i8 |u1 |i1`; C order; 0-d and zero-size shapes).
extension Tensor {
    /// Parses `.npy` bytes into a new tensor. `file` only names the source in errors.
    ///
    /// Throws `NPYError` for anything else: a bad magic or version, a truncated header or data, a header
    /// that is not the dict NumPy writes, an unsupported or big-endian dtype, `fortran_order: True`, a
    /// negative or overflowing shape, or bytes after the data.
    public init(npyData: some Collection<UInt8>, file: String = "<data>") throws(NPYError) {
        let parsed = npyData.withContiguousBytesForNPY { bytes in
            Result { () throws(NPYError) -> Tensor in
                let (header, dataOffset) = try NPYHeader.parse(bytes, file: file)
                let shape = Shape(header.dims)
                let expected = shape.elementCount * header.dtype.size
                let available = bytes.count - dataOffset
                guard available == expected else {
                    let problem = available < expected ? "truncated data" : "\(available - expected) unexpected bytes after the data"
                    throw NPYError(file: file, message: "\(problem): shape \(shape) of \(header.dtype) needs \(expected) bytes, the file has \(available)")
                }
                return Tensor(shape: shape, dtype: header.dtype, bytes: UnsafeRawBufferPointer(rebasing: bytes[dataOffset...]))
            }
        }
        self = try parsed.get()
    }

    /// Reads a `.npy` file.
    public init(npyFile path: String) throws(NPYError) {
        let data: Data
        do {
            data = try Data(contentsOf: URL(fileURLWithPath: path), options: .mappedIfSafe)
        } catch {
            let exists = FileManager.default.fileExists(atPath: path)
            throw NPYError(file: path, message: exists ? "cannot read: \(error.localizedDescription)" : "no such file")
        }
        try self.init(npyData: data, file: path)
    }

    /// This tensor as `.npy` bytes, identical to what NumPy 1.23's `np.save` writes for the same array.
    public func npyData() -> Data {
        var data = Data(NPYHeader.encode(dtype: dtype, dims: shape.dims))
        data.append(rawPointer.assumingMemoryBound(to: UInt8.self), count: byteCount)
        return data
    }

    /// Writes `npyData()` to `path` (atomically: a temporary file renamed into place).
    public func writeNPY(to path: String) throws(NPYError) {
        do {
            try npyData().write(to: URL(fileURLWithPath: path), options: .atomic)
        } catch {
            throw NPYError(file: path, message: "cannot write: \(error.localizedDescription)")
        }
    }
}

extension Collection<UInt8> {
    /// Runs `body` over these bytes laid out contiguously (without a copy for `Data` and arrays).
    fileprivate func withContiguousBytesForNPY<R>(_ body: (UnsafeRawBufferPointer) -> R) -> R {
        if let result = withContiguousStorageIfAvailable({ body(UnsafeRawBufferPointer($0)) }) { return result }
        return Array(self).withUnsafeBytes(body)
    }
}
