import FlexTensor
import FlexTestSupport
import Foundation
import Testing

@Suite("NPY: .npy reading and writing")
struct NPYTests {
    @Test("every dtype and rank (0-d and zero-size included) round-trips exactly", arguments: DType.allCases)
    func roundTrip(dtype: DType) throws {
        for (seed, dims) in TestTensors.shapes.enumerated() {
            let tensor = TestTensors.make(dtype, dims, seed: seed)
            let bytes = tensor.npyData()
            #expect(bytes.count % 64 == tensor.byteCount % 64, "the data starts on a 64-byte boundary")
            let reread = try Tensor(npyData: bytes)
            #expect(TestTensors.identical(reread, tensor), "\(dtype) \(dims)")
        }
    }

    @Test("headers are byte-identical to NumPy 1.23's np.save")
    func headerBytes() {
        /// Version 1.0 magic and length, the dict, spaces to `length`, newline.
        func expected(_ dict: String, length: Int) -> [UInt8] {
            [0x93] + Array("NUMPY".utf8) + [1, 0, UInt8(length & 0xFF), UInt8(length >> 8)] + Array(dict.utf8)
                + [UInt8](repeating: 0x20, count: length - dict.utf8.count - 1) + [0x0A]
        }
        #expect(Array(Tensor(zeros: [2, 3]).npyData().prefix(128)) ==
                expected("{'descr': '<f4', 'fortran_order': False, 'shape': (2, 3), }", length: 118))
        #expect(Array(TestTensors.make(.float64, []).npyData().prefix(128)) ==
                expected("{'descr': '<f8', 'fortran_order': False, 'shape': (), }", length: 118))
        #expect(Array(TestTensors.make(.uint8, [5]).npyData().prefix(128)) ==
                expected("{'descr': '|u1', 'fortran_order': False, 'shape': (5,), }", length: 118))
        // A header that exactly fills 64 bytes still gets NumPy's full 64 bytes of padding.
        let dims = [0, 1, 1, 1] + [Int](repeating: 10, count: 13)
        let dict = "{'descr': '|i1', 'fortran_order': False, 'shape': (\(dims.map(String.init).joined(separator: ", "))), }"
        #expect((10 + dict.utf8.count + 1) % 64 == 0)
        #expect(Array(Tensor(zeros: Shape(dims), dtype: .int8).npyData()) == expected(dict, length: dict.utf8.count + 65))
    }

    @Test("every fixture .npy (written by NumPy 1.23.5) reads, and writing it again gives the same bytes")
    func fixtures() throws {
        let models = RepositoryPaths.fixtureModels()
        try #require(!models.isEmpty, "no fixtures under \(RepositoryPaths.fixtures())")
        var count = 0
        for directory in models {
            let manifestData = try Data(contentsOf: URL(fileURLWithPath: directory + "/manifest.json"))
            let manifest = try #require(try JSONSerialization.jsonObject(with: manifestData) as? [String: Any])
            let entries = ((manifest["inputs"] as? [[String: Any]]) ?? []) + ((manifest["outputs"] as? [[String: Any]]) ?? [])
            #expect(!entries.isEmpty, "\(directory)")
            for entry in entries {
                let path = directory + "/" + (try #require(entry["file"] as? String))
                let tensor = try Tensor(npyFile: path)
                #expect(tensor.shape.dims == (entry["shape"] as? [Int]), "\(path)")
                #expect(tensor.dtype.rawValue == (entry["dtype"] as? String), "\(path)")
                #expect(tensor.npyData() == (try Data(contentsOf: URL(fileURLWithPath: path))), "\(path)")
                count += 1
            }
        }
        #expect(count > 50)
    }

    @Test("format versions 2.0 and 3.0, other key orders, double quotes and Python 2 longs read")
    func headerVariants() throws {
        let values: [Float] = [1.5, -2]
        let data = values.withUnsafeBytes { Array($0) }
        for (version, dict) in [
            (2, "{'descr': '<f4', 'fortran_order': False, 'shape': (2,), }"),
            (3, "{\"shape\": (2L,), \"fortran_order\": False, \"descr\": \"<f4\"}"),
            (1, "{'fortran_order':False,'descr':'=f4','shape':(1, 2)}"),
        ] {
            let tensor = try Tensor(npyData: npy(version: UInt8(version), header: dict) + data)
            #expect(tensor.toFloatArray() == values, "\(dict)")
            #expect(tensor.elementCount == 2)
        }
        for descr in ["|i1", "<i1", "|u1", ">u1"] {
            let tensor = try Tensor(npyData: npy(header: "{'descr': '\(descr)', 'fortran_order': False, 'shape': (1,), }") + [0xFF])
            #expect(tensor.dtype == (descr.hasSuffix("i1") ? .int8 : .uint8))
        }
    }

    @Test("a header too long for version 1.0 is written as 2.0")
    func version2Writing() throws {
        let tensor = Tensor(zeros: Shape([Int](repeating: 1, count: 22_000)), dtype: .int32)
        let data = tensor.npyData()
        #expect(data[6] == 2 && data[7] == 0)
        let headerLength = Int(data[8]) | Int(data[9]) << 8 | Int(data[10]) << 16 | Int(data[11]) << 24
        #expect((12 + headerLength) % 64 == 0 && headerLength > 65535)
        #expect(try Tensor(npyData: data).shape == tensor.shape)
    }

    @Test("unsupported or malformed files give one-line errors", arguments: [
        ("{'descr': '<f4', 'fortran_order': True, 'shape': (2,), }", "fortran_order is True; only C order is supported (save np.ascontiguousarray(arr))"),
        ("{'descr': '>f4', 'fortran_order': False, 'shape': (2,), }", "dtype '>f4' is big-endian; save it little-endian (arr.astype('<f4'))"),
        ("{'descr': '|b1', 'fortran_order': False, 'shape': (2,), }", "dtype '|b1' (bool) is not supported; save arr.astype(np.uint8) (supported: <f4 <f8 <f2 |u1 |i1 <i4 <i8)"),
        ("{'descr': '<c8', 'fortran_order': False, 'shape': (2,), }", "dtype '<c8' is not supported (supported: <f4 <f8 <f2 |u1 |i1 <i4 <i8)"),
        ("{'descr': [('a', '<f4')], 'fortran_order': False, 'shape': (2,), }", "structured dtypes are not supported (descr is not a plain type string)"),
        ("{'descr': '<f4', 'shape': (2,), }", "the header keys are [\"descr\", \"shape\"]; expected exactly descr, fortran_order and shape"),
        ("{'descr': '<f4', 'fortran_order': False, 'shape': (2,), 'x': 1}", "the header keys are [\"descr\", \"fortran_order\", \"shape\", \"x\"]; expected exactly descr, fortran_order and shape"),
        ("{'descr': '<f4', 'fortran_order': False, 'shape': (-2,), }", "shape (-2,) has a negative dimension"),
        ("{'descr': '<f4', 'fortran_order': False, 'shape': (4611686018427387904, 4), }", "shape (4611686018427387904, 4) is too large"),
        ("{'descr': '<f4', 'fortran_order': False, 'shape': (99999999999999999999,), }", "shape (99999999999999999999,) must hold integers that fit in 64 bits"),
        ("{'descr': '<f4', 'fortran_order': False, 'shape': 2, }", "shape must be a tuple of integers"),
        ("{'descr': '<f4', 'fortran_order': 0, 'shape': (2,), }", "fortran_order must be True or False"),
        ("{'descr': '<f4', 'fortran_order': False, 'shape': (2,) ", "malformed header \"{'descr': '<f4', 'fortran_order': False, 'shape': (2,)\": expected ',' or '}' but the header ends"),
        ("['descr']", "the header \"['descr']\" is not a dict"),
        ("{'descr': '<f4', 'fortran_order': False, 'shape': (3,), }", "truncated data: shape (3,) of float32 needs 12 bytes, the file has 8"),
        ("{'descr': '<f4', 'fortran_order': False, 'shape': (1,), }", "4 unexpected bytes after the data: shape (1,) of float32 needs 4 bytes, the file has 8"),
    ])
    func errors(header: String, expected: String) throws {
        let error = try #require(throws: NPYError.self) { try Tensor(npyData: npy(header: header) + [UInt8](repeating: 0, count: 8), file: "x.npy") }
        #expect(error.description == "x.npy: " + expected)
    }

    @Test("bad magic, unknown versions and truncation at every byte boundary throw")
    func truncationAndMagic() throws {
        let valid = [UInt8](TestTensors.make(.float16, [2, 3]).npyData())
        for length in 0..<valid.count {
            #expect(throws: NPYError.self, "cut at \(length)") { try Tensor(npyData: valid[0..<length]) }
        }
        var badMagic = valid
        badMagic[1] = UInt8(ascii: "n")
        let magicError = try #require(throws: NPYError.self) { try Tensor(npyData: badMagic) }
        #expect(magicError.message == "not a .npy file (no \\x93NUMPY magic)")
        var version = valid
        version[6] = 4
        let versionError = try #require(throws: NPYError.self) { try Tensor(npyData: version) }
        #expect(versionError.message == "unsupported .npy format version 4.0 (1.0, 2.0 and 3.0 are supported)")
        var generator = SplitMix64(seed: 7)
        for _ in 0..<2000 {
            var bytes = valid
            bytes[Int.random(in: 8..<128, using: &generator)] = UInt8.random(in: 0...255, using: &generator)
            _ = try? Tensor(npyData: bytes)
        }
    }

    @Test("files: writeNPY then init(npyFile:), and a missing file is named")
    func files() throws {
        let directory = try TemporaryDirectory()
        let tensor = TestTensors.make(.int64, [3, 2])
        try tensor.writeNPY(to: directory.path + "/t.npy")
        #expect(TestTensors.identical(try Tensor(npyFile: directory.path + "/t.npy"), tensor))
        let error = try #require(throws: NPYError.self) { try Tensor(npyFile: directory.path + "/absent.npy") }
        #expect(error.description == directory.path + "/absent.npy: no such file")
    }

    @Test("NumPy reads what FlexEG writes and FlexEG reads NumPy's 2.0 and 3.0 files",
          .enabled(if: MXNetPython.path() != nil, "no python with NumPy: run Scripts/setup-mxnet-venv.sh or set FLEXEG_MXNET_PYTHON"))
    func numpyInterop() throws {
        let python = try #require(MXNetPython.path())
        let directory = try TemporaryDirectory()
        var written: [String: Tensor] = [:]
        for dtype in DType.allCases {
            for (index, dims) in TestTensors.shapes.enumerated() {
                let name = "\(dtype)_\(index)"
                written[name] = TestTensors.make(dtype, dims, seed: index)
                try written[name]!.writeNPY(to: "\(directory.path)/\(name).npy")
            }
        }
        // NumPy prints dtype, shape and the raw bytes of each file; then writes version 2.0/3.0 files.
        let script = """
            import sys, glob, os, numpy as np
            from numpy.lib import format as fmt
            d = sys.argv[1]
            for path in sorted(glob.glob(os.path.join(d, '*.npy'))):
                a = np.load(path)
                print(os.path.basename(path)[:-4], a.dtype.name, list(a.shape), a.tobytes().hex())
            a = np.arange(6, dtype='<f8').reshape(2, 3) - 2.5
            for v in [(2, 0), (3, 0)]:
                with open(os.path.join(d, 'v%d.bin' % v[0]), 'wb') as f:
                    fmt.write_array(f, a, version=v)
            """
        let result = try ProcessRunner.run(python, ["-c", script, directory.path])
        try result.check()
        let lines = result.stdout.split(separator: "\n")
        #expect(lines.count == written.count)
        for line in lines {
            let parts = line.split(separator: " ", maxSplits: 2).map(String.init)
            let tensor = try #require(written[parts[0]], "\(line)")
            #expect(parts[1] == tensor.dtype.rawValue, "\(line)")
            let rest = parts[2]
            let shape = "[" + tensor.shape.dims.map(String.init).joined(separator: ", ") + "]"
            #expect(rest == shape + " " + TestTensors.bytes(tensor).map { String(format: "%02x", $0) }.joined(), "\(line)")
        }
        for version in [2, 3] {
            let tensor = try Tensor(npyFile: "\(directory.path)/v\(version).bin")
            #expect(tensor.dtype == .float64 && tensor.shape == [2, 3])
            #expect(TestTensors.values(tensor, as: Double.self) == [-2.5, -1.5, -0.5, 0.5, 1.5, 2.5])
        }
    }

    /// `.npy` header bytes for `header`, padded like NumPy's.
    private func npy(version: UInt8 = 1, header: String) -> [UInt8] {
        let dict = Array(header.utf8)
        let lengthSize = version == 1 ? 2 : 4
        let padding = 64 - (6 + 2 + lengthSize + dict.count + 1) % 64
        let length = dict.count + padding + 1
        var bytes: [UInt8] = [0x93] + Array("NUMPY".utf8) + [version, 0]
        for index in 0..<lengthSize { bytes.append(UInt8(truncatingIfNeeded: length >> (8 * index))) }
        return bytes + dict + [UInt8](repeating: 0x20, count: padding) + [0x0A]
    }
}
