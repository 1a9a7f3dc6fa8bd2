import FlexTensor
import FlexTestSupport
import Foundation
import MXNetFormat
import Testing

@Suite("NamedArrays: .params reading and writing")
struct NamedArraysTests {
    @Test("every dtype and rank (0-d and zero-size included) round-trips exactly", arguments: DType.allCases)
    func roundTrip(dtype: DType) throws {
        let arrays = TestTensors.shapes.enumerated().map { TestTensors.make(dtype, $1, seed: $0) }
        let names = arrays.indices.map { "arg:\(dtype)_\($0)" }
        let original = NamedArrays(names: names, arrays: arrays)
        let reread = try NamedArrays(data: original.data())
        #expect(reread.names == names)
        #expect(reread.arrays.count == arrays.count)
        for (read, written) in zip(reread.arrays, arrays) {
            #expect(TestTensors.identical(read, written), "\(written.shape) \(dtype)")
        }
    }

    @Test("unnamed lists and empty lists round-trip")
    func unnamedAndEmpty() throws {
        let unnamed = NamedArrays(names: nil, arrays: [TestTensors.make(.int32, [3]), TestTensors.make(.float32, [1, 2])])
        let reread = try NamedArrays(data: unnamed.data())
        #expect(reread.names == nil)
        #expect(reread.arrays.count == 2)
        #expect(TestTensors.identical(reread.arrays[1], unnamed.arrays[1]))

        let empty = try NamedArrays(data: NamedArrays(names: nil, arrays: []).data())
        #expect(empty.names == nil && empty.arrays.isEmpty)
    }

    @Test("the writer reproduces MXNet 1.9.1's bytes exactly (NDArray V2)")
    func writerMatchesMXNet() throws {
        for file in ["dtypes.params", "unnamed.params", "empty.params"] {
            let path = Resources.path(file)
            let mxnetBytes = try Data(contentsOf: URL(fileURLWithPath: path))
            let parsed = try NamedArrays(contentsOf: path)
            #expect(parsed.data() == mxnetBytes, "\(file)")
        }
    }

    @Test("MXNet-written values of every dtype read exactly")
    func mxnetValues() throws {
        let file = try NamedArrays(contentsOf: Resources.path("dtypes.params"))
        let names = try #require(file.names)
        #expect(names == ["arg:f32", "arg:f64", "arg:f16", "arg:u8", "arg:i8", "arg:i32", "arg:i64"])
        let byName = Dictionary(uniqueKeysWithValues: zip(names, file.arrays))
        let f32 = try #require(byName["arg:f32"])
        #expect(f32.dtype == .float32 && f32.shape == [2, 3])
        #expect(TestTensors.values(f32, as: Float.self) == [1.5, -2.25, 3.0, 0.0, -0.0, 1e-30])
        let f64 = try #require(byName["arg:f64"])
        #expect(f64.dtype == .float64 && f64.shape == [3])
        #expect(TestTensors.values(f64, as: Double.self) == [1.0 / 3.0, -2.5e300, 7.0])
        let f16 = try #require(byName["arg:f16"])
        #expect(f16.dtype == .float16 && f16.shape == [1, 2, 2])
        // 0.5, -65504 (the largest half), 6.1e-05 rounded to the nearest half (the subnormal 0x03FF,
        // 6.0976e-05, is nearer than 2^-14 = 6.1035e-05), 1.
        #expect(TestTensors.values(f16, as: UInt16.self) == [0x3800, 0xFBFF, 0x03FF, 0x3C00])
        let u8 = try #require(byName["arg:u8"])
        #expect(u8.dtype == .uint8 && TestTensors.values(u8, as: UInt8.self) == [0, 1, 128, 255])
        let i8 = try #require(byName["arg:i8"])
        #expect(i8.dtype == .int8 && i8.shape == [2, 2] && TestTensors.values(i8, as: Int8.self) == [-128, -1, 0, 127])
        let i32 = try #require(byName["arg:i32"])
        #expect(i32.dtype == .int32 && i32.shape == [1, 1, 1, 3])
        #expect(TestTensors.values(i32, as: Int32.self) == [.min, 0, .max])
        let i64 = try #require(byName["arg:i64"])
        #expect(i64.dtype == .int64 && TestTensors.values(i64, as: Int64.self) == [-9_007_199_254_740_993, 9_007_199_254_740_993])
    }

    @Test("MXNet's NumPy-semantics file (NDArray V3: 0-d and zero-size) reads, and rewrites all V3")
    func numpySemantics() throws {
        let file = try NamedArrays(contentsOf: Resources.path("np-semantics.params"))
        #expect(file.names == ["scalar", "empty", "matrix"])
        #expect(file.arrays[0].shape == [] && file.arrays[0].dtype == .float32)
        #expect(TestTensors.values(file.arrays[0], as: Float.self) == [2.5])
        #expect(file.arrays[1].shape == [2, 0] && file.arrays[1].elementCount == 0)
        #expect(file.arrays[2].dtype == .int8 && TestTensors.values(file.arrays[2], as: Int8.self) == [1, -2, 3, -4])
        // With a 0-d array in the list FlexEG writes every record V3, as MXNet does (and the bytes match).
        #expect(file.data() == (try Data(contentsOf: URL(fileURLWithPath: Resources.path("np-semantics.params")))))
        // Records start at 24 (header), 52 (+ 24 + 4 bytes of data) and 92 (+ 24 + 2 dims × 8 + 0).
        let bytes = [UInt8](file.data())
        let magics = [24, 52, 92].map { bytes[$0..<($0 + 4)].reversed().reduce(UInt32(0)) { $0 << 8 | UInt32($1) } }
        #expect(magics == [0xF993_FACA, 0xF993_FACA, 0xF993_FACA])
        #expect(try NamedArrays(data: bytes).arrays.map(\.shape) == [[], [2, 0], [2, 2]])
    }

    @Test("the oldest formats read: NDArray V1 and magic-less records with uint32 dims")
    func legacyRecords() throws {
        var file = ParamsBytes()
        file.header(count: 3)
        // V1: magic, uint32 ndim, int64 dims, context, type flag, data.
        file.u32(0xF993_FAC8)
        file.u32(2)
        file.i64(1)
        file.i64(2)
        file.i32(1)
        file.i32(0)
        file.i32(0)
        file.f32(4)
        file.f32(-5)
        // Oldest: uint32 ndim, uint32 dims, context, type flag, data.
        file.u32(1)
        file.u32(3)
        file.i32(1)
        file.i32(0)
        file.i32(4)
        file.i32(7)
        file.i32(-8)
        file.i32(9)
        // V2 for comparison.
        file.v2Float([1], [6])
        file.names(["arg:v1", "arg:v0", "arg:v2"])
        let parsed = try NamedArrays(data: file.bytes)
        #expect(parsed.arrays[0].shape == [1, 2] && TestTensors.values(parsed.arrays[0], as: Float.self) == [4, -5])
        #expect(parsed.arrays[1].shape == [3] && parsed.arrays[1].dtype == .int32)
        #expect(TestTensors.values(parsed.arrays[1], as: Int32.self) == [7, -8, 9])
        #expect(TestTensors.values(parsed.arrays[2], as: Float.self) == [6])
    }

    @Test("sparse arrays are rejected with the array's index, name and offset")
    func sparseStorage() throws {
        let path = Resources.path("sparse.params")
        let error = try #require(throws: MXNetFormatError.self) { try NamedArrays(contentsOf: path) }
        #expect(error.arrayIndex == 1)
        #expect(error.arrayName == "arg:rows")
        #expect(error.byteOffset == 64)
        #expect(error.description == "\(path): array 1 'arg:rows' at byte 64: row_sparse storage is not supported; save it dense (`.tostype('default')`)")
    }

    @Test("a dtype MXNet has but FlexEG does not (bool) is rejected by name")
    func unsupportedDType() throws {
        let error = try #require(throws: MXNetFormatError.self) {
            try NamedArrays(contentsOf: Resources.path("bool.params"))
        }
        #expect(error.arrayIndex == 0 && error.arrayName == "arg:mask" && error.byteOffset == 24)
        #expect(error.message.contains("dtype bool (type flag 7) is not supported"))
    }

    @Test("a missing file names the path")
    func missingFile() throws {
        let error = try #require(throws: MXNetFormatError.self) { try NamedArrays(contentsOf: "/nonexistent/model-0000.params") }
        #expect(error.description == "/nonexistent/model-0000.params: no such file")
    }

    @Test("write(to:) then init(contentsOf:) round-trips through a file")
    func fileRoundTrip() throws {
        let directory = try TemporaryDirectory()
        let path = directory.path + "/x.params"
        let original = NamedArrays(names: ["a", "b"], arrays: [TestTensors.make(.float16, [2, 2]), TestTensors.make(.int64, [])])
        try original.write(to: path)
        let reread = try NamedArrays(contentsOf: path)
        #expect(reread.names == ["a", "b"])
        #expect(zip(reread.arrays, original.arrays).allSatisfy { TestTensors.identical($0, $1) })
    }
}
