/// Constants of MXNet's binary NDArray serialization (`src/ndarray/ndarray.cc`, MXNet 1.9.1).
///
/// A list file (`mx.nd.save`) is: `uint64 0x112`, `uint64 0` (reserved), `uint64 count` + that many
/// NDArray records, `uint64 count` + names (`uint64 length` + UTF-8 bytes; count 0 for an unnamed list).
///
/// One record, by version (all integers little-endian):
/// - V2 (`0xF993FAC9`, what 1.9.1 writes) and V3 (`0xF993FACA`, written under NumPy shape semantics):
///   `uint32 magic`, `int32 stype`, [sparse: storage shape], shape, `int32 dev_type`, `int32 dev_id`,
///   `int32 type_flag`, [sparse: per aux array `int32 type`, shape], data, [sparse: aux data].
///   A shape is `int32 ndim` + `ndim × int64`. V2 with `ndim == 0` (V3: a dim of -1) is an empty
///   NDArray and the record ends after the shape. Sparse records may carry a storage shape of size 0
///   (MXNet 1.9.1 writes a stale one); the loader then takes the value count from the indices.
/// - V1 (`0xF993FAC8`): `uint32 magic`, shape (`uint32 ndim` + `ndim × int64`), context, type flag, data.
/// - Oldest (no magic): the first `uint32` is `ndim`, then `ndim × uint32` dims, context, type flag, data.
///   `ndim == 0` is an empty NDArray.
enum NDArrayRecordFormat {
    static let listMagic: UInt64 = 0x112
    static let v1Magic: UInt32 = 0xF993_FAC8
    static let v2Magic: UInt32 = 0xF993_FAC9
    static let v3Magic: UInt32 = 0xF993_FACA

    /// Storage types (`NDArrayStorageType`) and how many aux arrays each one carries.
    static let defaultStorage: Int32 = 0
    static func sparseStorage(_ stype: Int32) -> (name: String, auxCount: Int)? {
        switch stype {
        case 1: ("row_sparse", 1)
        case 2: ("csr", 2)
        default: nil
        }
    }

    /// Name and element size of every mshadow type flag MXNet 1.9.1 defines (`kFloat32` = 0 …
    /// `kBfloat16` = 12), including those FlexEG cannot store.
    static func typeFlag(_ flag: Int32) -> (name: String, size: Int)? {
        switch flag {
        case 0: ("float32", 4)
        case 1: ("float64", 8)
        case 2: ("float16", 2)
        case 3: ("uint8", 1)
        case 4: ("int32", 4)
        case 5: ("int8", 1)
        case 6: ("int64", 8)
        case 7: ("bool", 1)
        case 8: ("int16", 2)
        case 9: ("uint16", 2)
        case 10: ("uint32", 4)
        case 11: ("uint64", 8)
        case 12: ("bfloat16", 2)
        default: nil
        }
    }

    /// `dev_type` written for a CPU context (`Context::kCPU`).
    static let cpuDeviceType: Int32 = 1
}
