import FlexTensor
import FlexTestSupport
import Foundation
import MXNetFormat
import Testing

@Suite("NamedArrays: corrupt .params input throws, never crashes")
struct NamedArraysCorruptionTests {
    /// A small valid file: two named records (float32 (2,), int8 (1, 3)).
    private var validFile: [UInt8] {
        NamedArrays(names: ["arg:w", "aux:m"], arrays: [TestTensors.make(.float32, [2]), TestTensors.make(.int8, [1, 3])]).data().map { $0 }
    }

    @Test("truncating at every byte boundary throws an error that names the offset")
    func truncation() throws {
        let bytes = validFile
        #expect(throws: Never.self) { try NamedArrays(data: bytes) }
        for length in 0..<bytes.count {
            let error = try #require(throws: MXNetFormatError.self, "prefix of \(length) bytes") {
                try NamedArrays(data: bytes[0..<length], file: "cut.params")
            }
            #expect(error.file == "cut.params")
            let offset = try #require(error.byteOffset, "\(error)")
            #expect(offset <= length, "\(error)")
        }
    }

    @Test("the MXNet-written files truncated at every byte boundary throw too")
    func truncationOfMXNetFiles() throws {
        for name in ["dtypes.params", "sparse.params", "np-semantics.params", "bool.params"] {
            let bytes = [UInt8](try Data(contentsOf: URL(fileURLWithPath: Resources.path(name))))
            for length in 0..<bytes.count {
                #expect(throws: MXNetFormatError.self, "\(name) cut at \(length)") { try NamedArrays(data: bytes[0..<length]) }
            }
        }
    }

    @Test("a wrong list magic is reported at byte 0")
    func listMagic() throws {
        var bytes = validFile
        bytes[0] = 0x13
        let error = try #require(throws: MXNetFormatError.self) { try NamedArrays(data: bytes, file: "m.params") }
        #expect(error.description == "m.params at byte 0: not an MXNet NDArray file: list magic is 0x113, expected 0x112")
    }

    @Test("a flipped NDArray magic is reported with the array index and offset")
    func recordMagic() throws {
        var bytes = validFile
        bytes[24 + 3] ^= 0xFF  // 0xF993FAC9 → 0x0693FAC9: neither a magic nor a plausible legacy ndim
        let error = try #require(throws: MXNetFormatError.self) { try NamedArrays(data: bytes) }
        #expect(error.arrayIndex == 0 && error.byteOffset == 24)
        #expect(error.message.hasPrefix("unknown NDArray magic 0x693FAC9"))
    }

    @Test("a huge or negative ndim is rejected before allocating")
    func hugeNDim() throws {
        for ndim: Int32 in [.max, 1 << 20, -1, -7] {
            var file = ParamsBytes()
            file.header(count: 1)
            file.u32(0xF993_FAC9)
            file.i32(0)
            file.i32(ndim)
            file.i64(2)
            let error = try #require(throws: MXNetFormatError.self, "ndim \(ndim)") { try NamedArrays(data: file.bytes) }
            #expect(error.arrayIndex == 0 && error.byteOffset == 32, "\(error)")
        }
    }

    @Test("negative dimensions and sizes beyond the file or Int are rejected")
    func badDimensions() throws {
        let cases: [([Int64], String)] = [
            ([2, -3], "negative dimension -3"),
            ([Int64.max, 2], "needs more than"),
            ([1 << 40, 1 << 40], "needs more than"),
            ([1 << 62, 1 << 62, 0], "needs more than"),
            ([1000], "needs more than"),
        ]
        for (dims, expected) in cases {
            var file = ParamsBytes()
            file.header(count: 1)
            file.v2Float(dims, [1, 2])
            file.names([])
            let error = try #require(throws: MXNetFormatError.self, "\(dims)") { try NamedArrays(data: file.bytes) }
            #expect(error.message.contains(expected), "\(error)")
            #expect(error.arrayIndex == 0)
        }
    }

    @Test("a zero-size shape whose other dimensions fit reads as an empty tensor")
    func zeroSizeWithLargeDims() throws {
        var file = ParamsBytes()
        file.header(count: 1)
        file.v2Float([1 << 40, 0], [])
        file.names([])
        let parsed = try NamedArrays(data: file.bytes)
        #expect(parsed.arrays[0].shape == Shape([1 << 40, 0]) && parsed.arrays[0].elementCount == 0)
    }

    @Test("unknown dtype flags, unknown storage types and V2 shapeless arrays are rejected")
    func badFields() throws {
        var unknownFlag = ParamsBytes()
        unknownFlag.header(count: 1)
        unknownFlag.v2Float([1], [1], flag: 99)
        unknownFlag.names(["arg:x"])
        let flagError = try #require(throws: MXNetFormatError.self) { try NamedArrays(data: unknownFlag.bytes) }
        #expect(flagError.byteOffset == 24 + 12 + 8 + 8 && flagError.message.hasPrefix("unknown dtype flag 99"))

        var unknownStorage = ParamsBytes()
        unknownStorage.header(count: 1)
        unknownStorage.v2Float([1], [1], stype: 5)
        let storageError = try #require(throws: MXNetFormatError.self) { try NamedArrays(data: unknownStorage.bytes) }
        #expect(storageError.byteOffset == 28 && storageError.message.hasPrefix("unknown storage type 5"))

        // V2 with ndim 0 is MXNet's "none" array: the record is just magic, stype and shape.
        var shapeless = ParamsBytes()
        shapeless.header(count: 2)
        shapeless.u32(0xF993_FAC9)
        shapeless.i32(0)
        shapeless.i32(0)
        shapeless.v2Float([1], [3])
        shapeless.names(["arg:none", "arg:ok"])
        let noneError = try #require(throws: MXNetFormatError.self) { try NamedArrays(data: shapeless.bytes) }
        #expect(noneError.arrayIndex == 0 && noneError.arrayName == "arg:none" && noneError.byteOffset == 24)
        #expect(noneError.message.contains("empty NDArray"))
    }

    @Test("a sparse storage type in a hand-made record is rejected")
    func sparseFlag() throws {
        var bytes = validFile
        bytes[28] = 1  // stype row_sparse: the rest no longer parses as a sparse record
        let error = try #require(throws: MXNetFormatError.self) { try NamedArrays(data: bytes) }
        #expect(error.arrayIndex == 0)
    }

    @Test("name sections that do not match are rejected")
    func badNames() throws {
        var wrongCount = ParamsBytes()
        wrongCount.header(count: 1)
        wrongCount.v2Float([1], [1])
        wrongCount.names(["a", "b"])
        let countError = try #require(throws: MXNetFormatError.self) { try NamedArrays(data: wrongCount.bytes) }
        #expect(countError.message == "2 names for 1 arrays (expected 1 or 0)")

        var hugeName = ParamsBytes()
        hugeName.header(count: 1)
        hugeName.v2Float([1], [1])
        hugeName.u64(1)
        hugeName.u64(.max)
        let nameError = try #require(throws: MXNetFormatError.self) { try NamedArrays(data: hugeName.bytes) }
        #expect(nameError.message.hasPrefix("name 0 is 18446744073709551615 bytes long"))

        var badUTF8 = ParamsBytes()
        badUTF8.header(count: 1)
        badUTF8.v2Float([1], [1])
        badUTF8.u64(1)
        badUTF8.u64(2)
        badUTF8.bytes += [0xC3, 0x28]
        let utf8Error = try #require(throws: MXNetFormatError.self) { try NamedArrays(data: badUTF8.bytes) }
        #expect(utf8Error.message == "name 0 is not valid UTF-8")
    }

    @Test("a huge array count and trailing bytes are rejected")
    func countAndTrailing() throws {
        var hugeCount = ParamsBytes()
        hugeCount.header(count: .max)
        let countError = try #require(throws: MXNetFormatError.self) { try NamedArrays(data: hugeCount.bytes) }
        #expect(countError.byteOffset == 16)

        var trailing = validFile
        trailing.append(0)
        let trailingError = try #require(throws: MXNetFormatError.self) { try NamedArrays(data: trailing) }
        #expect(trailingError.message == "1 unexpected bytes after the last name")
    }

    @Test("random byte corruption of real files never crashes")
    func randomCorruption() throws {
        var generator = SplitMix64(seed: 0x5EED)
        let files = try ["dtypes.params", "sparse.params", "np-semantics.params"].map {
            [UInt8](try Data(contentsOf: URL(fileURLWithPath: Resources.path($0))))
        }
        for round in 0..<3000 {
            var bytes = files[round % files.count]
            for _ in 0..<(1 + Int(generator.next() % 4)) {
                let position = Int(generator.next() % UInt64(bytes.count))
                bytes[position] = UInt8(truncatingIfNeeded: generator.next())
            }
            // Either outcome is fine; what matters is that it returns.
            _ = try? NamedArrays(data: bytes)
        }
    }
}
