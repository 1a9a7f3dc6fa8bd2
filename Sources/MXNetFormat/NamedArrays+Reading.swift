import FlexTensor

extension NamedArrays {
    /// Reads an MXNet NDArray list file (`.params`, `mx.nd.save`): every record version MXNet 1.9.1
    /// can load (V3, V2, V1 and the magic-less oldest format), dense storage only.
    public init(contentsOf path: String) throws(MXNetFormatError) {
        let data = try FileAccess.read(path)
        try self.init(data: data, file: path)
    }

    /// Parses the bytes of an NDArray list file. `file` only names the source in errors.
    ///
    /// Any byte sequence either parses or throws: a truncated record, a bad magic, sparse storage, an
    /// empty (shapeless) NDArray, a dtype FlexEG does not store, a negative or overflowing shape, and
    /// trailing bytes all give an `MXNetFormatError` with the array's index (and name when the names
    /// could be read) and the byte offset. Sizes are checked against the remaining bytes before any
    /// allocation.
    public init(data: some Collection<UInt8>, file: String = "<data>") throws(MXNetFormatError) {
        let result = data.withContiguousBytes { bytes in
            var parser = NDArrayListParser(file: file, reader: ByteReader(bytes))
            return Result { () throws(MXNetFormatError) in try parser.parse() }
        }
        self = try result.get()
    }
}

/// One pass over a list file. Records FlexEG cannot represent but whose extent is known (sparse, a
/// dtype without a `DType`, an empty NDArray) are skipped and reported once the names are read, so the
/// error can name the array.
private struct NDArrayListParser {
    let file: String
    var reader: ByteReader
    /// The first record that parsed but cannot become a `Tensor`.
    var firstUnsupported: MXNetFormatError?

    init(file: String, reader: ByteReader) {
        self.file = file
        self.reader = reader
    }

    mutating func parse() throws(MXNetFormatError) -> NamedArrays {
        let arrays: [Tensor]
        let names: [String]
        do {
            (arrays, names) = try parseStructure()
        } catch {
            // Report problems in file order: an earlier unsupported record comes first.
            throw firstUnsupported ?? error
        }
        if var unsupported = firstUnsupported {
            if let index = unsupported.arrayIndex, index < names.count { unsupported.arrayName = names[index] }
            throw unsupported
        }
        return NamedArrays(names: names.isEmpty ? nil : names, arrays: arrays)
    }

    private mutating func parseStructure() throws(MXNetFormatError) -> ([Tensor], [String]) {
        let magic = try read(UInt64.self, "the list magic")
        guard magic == NDArrayRecordFormat.listMagic else {
            throw error(at: 0, "not an MXNet NDArray file: list magic is 0x\(hex(magic)), expected 0x112")
        }
        _ = try read(UInt64.self, "the reserved header field")
        let countOffset = reader.offset
        let count = try read(UInt64.self, "the array count")
        // The smallest record (an empty NDArray in the oldest format) is 4 bytes.
        guard count <= UInt64(reader.remaining / 4) else {
            throw error(at: countOffset, "array count \(count) cannot fit in the remaining \(reader.remaining) bytes")
        }
        // No reserveCapacity from the count: a corrupt count must not cost memory before records parse.
        var arrays: [Tensor] = []
        for index in 0..<Int(count) {
            if let tensor = try parseRecord(index: index) { arrays.append(tensor) }
        }
        let namesOffset = reader.offset
        let nameCount = try read(UInt64.self, "the name count")
        guard nameCount == 0 || nameCount == count else {
            throw error(at: namesOffset, "\(nameCount) names for \(count) arrays (expected \(count) or 0)")
        }
        var names: [String] = []
        names.reserveCapacity(Int(nameCount))
        for index in 0..<Int(nameCount) {
            let offset = reader.offset
            let length = try read(UInt64.self, "the length of name \(index)")
            guard length <= UInt64(reader.remaining), let bytes = reader.readBytes(Int(length)) else {
                throw error(at: offset, "name \(index) is \(length) bytes long but only \(reader.remaining) bytes remain")
            }
            guard let name = String(validating: bytes, as: UTF8.self) else {
                throw error(at: offset, "name \(index) is not valid UTF-8")
            }
            names.append(name)
        }
        guard reader.remaining == 0 else {
            throw error(at: reader.offset, "\(reader.remaining) unexpected bytes after the last name")
        }
        return (arrays, names)
    }

    /// One NDArray record; nil when it was skipped as unsupported (see `firstUnsupported`).
    private mutating func parseRecord(index: Int) throws(MXNetFormatError) -> Tensor? {
        let start = reader.offset
        let magic = try read(UInt32.self, "the NDArray magic", array: index)
        switch magic {
        case NDArrayRecordFormat.v2Magic, NDArrayRecordFormat.v3Magic:
            return try parseV2(index: index, start: start, isV3: magic == NDArrayRecordFormat.v3Magic)
        case NDArrayRecordFormat.v1Magic:
            let ndimOffset = reader.offset
            let ndim = try read(UInt32.self, "the ndim", array: index)
            let dims = try readDims(count: UInt64(ndim), elementSize: 8, at: ndimOffset, array: index) { reader in
                reader.read(Int64.self)
            }
            if dims.isEmpty { return unsupported(index, start, "an empty NDArray (ndim 0, no data)") }
            return try parseDenseBody(index: index, start: start, dims: dims)
        default:
            // The oldest format has no magic: this word is ndim, followed by uint32 dims.
            let ndim = UInt64(magic)
            guard ndim * 4 <= UInt64(reader.remaining) else {
                throw error(at: start, array: index, "unknown NDArray magic 0x\(hex(magic)) (expected 0xF993FAC9, 0xF993FACA or 0xF993FAC8; as a legacy ndim it needs \(ndim * 4) bytes but only \(reader.remaining) remain)")
            }
            let dims = try readDims(count: ndim, elementSize: 4, at: start, array: index) { reader in
                reader.read(UInt32.self).map(Int64.init)
            }
            if dims.isEmpty { return unsupported(index, start, "an empty NDArray (ndim 0, no data)") }
            return try parseDenseBody(index: index, start: start, dims: dims)
        }
    }

    private mutating func parseV2(index: Int, start: Int, isV3: Bool) throws(MXNetFormatError) -> Tensor? {
        let stypeOffset = reader.offset
        let stype = try read(Int32.self, "the storage type", array: index)
        var sparse: (name: String, auxCount: Int)?
        if stype != NDArrayRecordFormat.defaultStorage {
            guard let known = NDArrayRecordFormat.sparseStorage(stype) else {
                throw error(at: stypeOffset, array: index, "unknown storage type \(stype) (0 dense, 1 row_sparse, 2 csr)")
            }
            sparse = known
        }
        let storageDims = sparse == nil ? nil : try readShape(array: index, allowUnknown: false)
        let dims = try readShape(array: index, allowUnknown: isV3)
        if dims.contains(-1) {
            // NumPy shape semantics: a -1 dimension is unknown, so this is an empty NDArray.
            return unsupported(index, start, "an empty NDArray (its shape has an unknown dimension)")
        }
        if dims.isEmpty && !isV3 {
            // Legacy shape semantics: ndim 0 means "no shape"; the record ends here.
            return unsupported(index, start, "an empty NDArray (ndim 0, no data)")
        }
        guard let sparse, let storageDims else {
            return try parseDenseBody(index: index, start: start, dims: dims)
        }
        // Skip the sparse record exactly, so the error can name it once the names are read.
        _ = try read(Int64.self, "the context", array: index)
        let (_, valueSize) = try readTypeFlag(array: index)
        var auxArrays: [(dims: [Int64], size: Int)] = []
        for aux in 0..<sparse.auxCount {
            let flagOffset = reader.offset
            let auxFlag = try read(Int32.self, "the type of aux array \(aux)", array: index)
            guard let auxType = NDArrayRecordFormat.typeFlag(auxFlag) else {
                throw error(at: flagOffset, array: index, "unknown dtype flag \(auxFlag) for aux array \(aux)")
            }
            auxArrays.append((try readShape(array: index, allowUnknown: false), auxType.size))
        }
        // MXNet writes a stale storage shape of size 0 at times; its loader then derives it from the
        // indices: (row count, shape[1...]) for row_sparse, the column indices' shape for csr.
        var valueDims = storageDims
        if valueDims.contains(0) {
            valueDims = sparse.auxCount == 1 ? [auxArrays[0].dims.first ?? 0] + dims.dropFirst() : auxArrays[1].dims
        }
        for (dims, size) in [(valueDims, valueSize)] + auxArrays {
            let offset = reader.offset
            try skip(byteCount(dims, elementSize: size, at: offset, array: index), "the sparse values and indices", at: offset, array: index)
        }
        return unsupported(index, start, "\(sparse.name) storage is not supported; save it dense (`.tostype('default')`)")
    }

    /// Context, type flag and data of a dense record whose shape has been read.
    private mutating func parseDenseBody(index: Int, start: Int, dims: [Int64]) throws(MXNetFormatError) -> Tensor? {
        _ = try read(Int64.self, "the context", array: index)
        let (flag, elementSize) = try readTypeFlag(array: index)
        let dataOffset = reader.offset
        let bytes = try byteCount(dims, elementSize: elementSize, at: dataOffset, array: index)
        guard let data = reader.readBytes(bytes) else {
            throw error(at: dataOffset, array: index, "truncated data: shape \(shapeText(dims)) needs \(bytes) bytes but only \(reader.remaining) remain")
        }
        guard let dtype = DType(mxnetTypeFlag: flag) else {
            let name = NDArrayRecordFormat.typeFlag(flag)?.name ?? "?"
            return unsupported(index, start, "dtype \(name) (type flag \(flag)) is not supported; use one of \(DType.allCases.map(\.rawValue).joined(separator: ", "))")
        }
        return Tensor(shape: Shape(dims.map { Int($0) }), dtype: dtype, bytes: data)
    }

    /// `int32 ndim` + `ndim × int64` (MXNet ≥ 1.0's `TShape::Save`). Dimensions of -1 (unknown, in
    /// NumPy shape semantics) are kept when `allowUnknown`; other negative values throw.
    private mutating func readShape(array index: Int, allowUnknown: Bool) throws(MXNetFormatError) -> [Int64] {
        let offset = reader.offset
        let ndim = try read(Int32.self, "the ndim", array: index)
        guard ndim >= 0 else { throw error(at: offset, array: index, "negative ndim \(ndim)") }
        return try readDims(count: UInt64(ndim), elementSize: 8, at: offset, array: index, allowUnknown: allowUnknown) { reader in
            reader.read(Int64.self)
        }
    }

    private mutating func readDims(count: UInt64, elementSize: Int, at offset: Int, array index: Int, allowUnknown: Bool = false, next: (inout ByteReader) -> Int64?) throws(MXNetFormatError) -> [Int64] {
        guard count * UInt64(elementSize) <= UInt64(reader.remaining) else {
            throw error(at: offset, array: index, "ndim \(count) needs \(count * UInt64(elementSize)) bytes of dimensions but only \(reader.remaining) remain")
        }
        var dims: [Int64] = []
        dims.reserveCapacity(Int(count))
        for _ in 0..<count {
            let dimOffset = reader.offset
            guard let dim = next(&reader) else { throw truncated("a dimension", at: dimOffset, array: index) }
            guard dim >= 0 || (allowUnknown && dim == -1) else {
                throw error(at: dimOffset, array: index, "negative dimension \(dim)")
            }
            dims.append(dim)
        }
        return dims
    }

    private mutating func readTypeFlag(array index: Int) throws(MXNetFormatError) -> (flag: Int32, size: Int) {
        let offset = reader.offset
        let flag = try read(Int32.self, "the dtype flag", array: index)
        guard let type = NDArrayRecordFormat.typeFlag(flag) else {
            throw error(at: offset, array: index, "unknown dtype flag \(flag) (MXNet 1.9.1 defines 0…12)")
        }
        return (flag, type.size)
    }

    /// `product(dims) × elementSize`, checked against the bytes left. A zero-size shape needs no bytes,
    /// but the product of its other dimensions must still fit in `Int` (so `Shape` arithmetic is safe).
    private func byteCount(_ dims: [Int64], elementSize: Int, at offset: Int, array index: Int) throws(MXNetFormatError) -> Int {
        let isEmpty = dims.contains(0)
        var total = elementSize
        for dim in dims where dim != 0 {
            let (product, overflow) = total.multipliedReportingOverflow(by: Int(dim))
            guard !overflow, isEmpty || product <= reader.remaining else {
                throw error(at: offset, array: index, "shape \(shapeText(dims)) of \(elementSize)-byte elements needs more than the \(reader.remaining) bytes that remain")
            }
            total = product
        }
        return isEmpty ? 0 : total
    }

    private mutating func skip(_ count: Int, _ what: String, at offset: Int, array index: Int) throws(MXNetFormatError) {
        guard reader.readBytes(count) != nil else {
            throw error(at: offset, array: index, "truncated \(what): needs \(count) bytes but only \(reader.remaining) remain")
        }
    }

    private mutating func read<T: FixedWidthInteger>(_ type: T.Type, _ what: String, array index: Int? = nil) throws(MXNetFormatError) -> T {
        let offset = reader.offset
        guard let value = reader.read(type) else { throw truncated(what, at: offset, array: index) }
        return value
    }

    private mutating func unsupported(_ index: Int, _ start: Int, _ message: String) -> Tensor? {
        if firstUnsupported == nil { firstUnsupported = error(at: start, array: index, message) }
        return nil
    }

    private func truncated(_ what: String, at offset: Int, array index: Int?) -> MXNetFormatError {
        error(at: offset, array: index, "truncated: the file ends inside \(what)")
    }

    private func error(at offset: Int, array index: Int? = nil, _ message: String) -> MXNetFormatError {
        MXNetFormatError(file: file, arrayIndex: index, byteOffset: offset, message: message)
    }

    private func shapeText(_ dims: [Int64]) -> String {
        "(" + dims.map(String.init).joined(separator: ",") + (dims.count == 1 ? ",)" : ")")
    }

    private func hex<T: BinaryInteger>(_ value: T) -> String { String(value, radix: 16, uppercase: true) }
}
