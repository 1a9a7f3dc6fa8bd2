import FlexTensor
import Foundation

extension NamedArrays {
    /// The bytes of this list as MXNet 1.9.1's `mx.nd.save` writes them (see `NDArrayRecordFormat`):
    /// NDArray V2 records with dense storage and a CPU context, names after the arrays (a count of 0
    /// when `names` is nil).
    ///
    /// A rank-0 tensor has no V2 form (ndim 0 means "no shape" there). A list holding one is written
    /// all in V3 records, as MXNet writes every array under NumPy shape semantics, because MXNet loads a
    /// V3 record only inside `mx.npx.set_np()` and a V2 record only outside it. Zero-size tensors (a 0
    /// dimension) are fine in V2.
    public func data() -> Data {
        var data = Data()
        // Header 24 bytes; a record 24 bytes + 8 per dimension + data; a name 8 bytes + its length.
        let recordBytes = arrays.reduce(0) { $0 + 24 + 8 * $1.shape.rank + $1.byteCount }
        data.reserveCapacity(24 + recordBytes + 8 + (names ?? []).reduce(0) { $0 + 8 + $1.utf8.count })
        data.appendLittleEndian(NDArrayRecordFormat.listMagic)
        data.appendLittleEndian(UInt64(0))
        data.appendLittleEndian(UInt64(arrays.count))
        let magic = arrays.contains { $0.shape.rank == 0 } ? NDArrayRecordFormat.v3Magic : NDArrayRecordFormat.v2Magic
        for tensor in arrays {
            let rank = tensor.shape.rank
            data.appendLittleEndian(magic)
            data.appendLittleEndian(NDArrayRecordFormat.defaultStorage)
            data.appendLittleEndian(Int32(rank))
            for dim in tensor.shape.dims { data.appendLittleEndian(Int64(dim)) }
            data.appendLittleEndian(NDArrayRecordFormat.cpuDeviceType)
            data.appendLittleEndian(Int32(0))
            data.appendLittleEndian(tensor.dtype.mxnetTypeFlag)
            data.append(tensor.rawPointer.assumingMemoryBound(to: UInt8.self), count: tensor.byteCount)
        }
        let names = names ?? []
        data.appendLittleEndian(UInt64(names.count))
        for name in names {
            let utf8 = Array(name.utf8)
            data.appendLittleEndian(UInt64(utf8.count))
            data.append(contentsOf: utf8)
        }
        return data
    }

    /// Writes `data()` to `path`.
    public func write(to path: String) throws(MXNetFormatError) {
        try FileAccess.write(data(), to: path)
    }
}

extension Data {
    mutating func appendLittleEndian<T: FixedWidthInteger>(_ value: T) {
        Swift.withUnsafeBytes(of: value.littleEndian) { append(contentsOf: $0) }
    }
}
