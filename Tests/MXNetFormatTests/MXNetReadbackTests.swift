import FlexTensor
import FlexTestSupport
import Foundation
import MXNetFormat
import Testing

/// MXNet 1.9.1 itself reads what FlexEG writes. These tests need the MXNet venv (`Scripts/setup-mxnet-venv.sh`,
/// or `FLEXEG_MXNET_PYTHON`); without it they are reported as skipped, never as passed.
@Suite("MXNet reads back what FlexEG writes", .enabled(if: MXNetPython.path() != nil, "no MXNet python: run Scripts/setup-mxnet-venv.sh or set FLEXEG_MXNET_PYTHON"))
struct MXNetReadbackTests {
    /// The JSON generations 1.9 (`attrs`), 0.9 (`attr`) and 0.8 (`param`, no version: MXNet upgrades it
    /// on load, and FlexEG keeps it versionless so MXNet still does), and a zoo model with aux states.
    @Test("a checkpoint saved by FlexEG loads in mx.model.load_checkpoint with identical contents",
          arguments: ["format_current", "format_legacy_attr", "format_legacy_param", "zoo_resnet18_v1"])
    func checkpoint(fixtureName: String) throws {
        let fixture = RepositoryPaths.fixtures() + "/models/\(fixtureName)/model"
        let directory = try TemporaryDirectory()
        let prefix = directory.path + "/copy"
        let original = try Checkpoint.load(prefix: fixture, epoch: 0)
        try original.save(prefix: prefix, epoch: 0)

        let mxnetOriginal = try MXNetPython.readback([fixture, "0"])
        let mxnetCopy = try MXNetPython.readback([prefix, "0"])
        for key in ["symbol_outputs", "arguments", "aux"] {
            #expect(mxnetCopy[key] as? [String] == mxnetOriginal[key] as? [String], "\(key)")
        }
        for (key, params) in [("arg_params", original.argParams), ("aux_params", original.auxParams)] {
            let summaries = try #require(mxnetCopy[key] as? [String: [String: Any]])
            #expect(Set(summaries.keys) == Set(params.keys))
            for (name, tensor) in params {
                try expectSummary(try #require(summaries[name]), matches: tensor, "\(key) \(name)")
            }
        }
    }

    @Test("every dtype and every nonzero rank, zero-size included, loads in mx.nd.load exactly")
    func everyDType() throws {
        let directory = try TemporaryDirectory()
        var names: [String] = []
        var arrays: [Tensor] = []
        for dtype in DType.allCases {
            for (index, dims) in TestTensors.shapes.enumerated() where !dims.isEmpty {
                names.append("\(dtype)_\(index)")
                arrays.append(TestTensors.make(dtype, dims, seed: index))
            }
        }
        let path = directory.path + "/all.params"
        try NamedArrays(names: names, arrays: arrays).write(to: path)
        let summaries = try #require(try MXNetPython.readback(["--nd", path])["arrays"] as? [String: [String: Any]])
        #expect(summaries.count == arrays.count)
        for (name, tensor) in zip(names, arrays) {
            try expectSummary(try #require(summaries[name], "\(name)"), matches: tensor, name)
        }
    }

    @Test("a 0-d tensor (written as V3) loads in MXNet under NumPy semantics")
    func scalar() throws {
        let directory = try TemporaryDirectory()
        let path = directory.path + "/scalar.params"
        let scalar = Tensor(shape: [], floats: [-3.75])
        try NamedArrays(names: ["s", "v"], arrays: [scalar, TestTensors.make(.int64, [2])]).write(to: path)
        let python = try #require(MXNetPython.path())
        let script = """
            import sys, mxnet as mx
            mx.npx.set_np()
            d = mx.npx.load(sys.argv[1])
            print(d['s'].shape, float(d['s']), d['v'].asnumpy().tolist())
            """
        let result = try ProcessRunner.run(python, ["-c", script, path])
        try result.check()
        #expect(result.stdout.trimmingCharacters(in: .whitespacesAndNewlines) == "() -3.75 [-125, -118]")
    }

    /// Compares a `mxnet_readback.py` summary (`shape`, `dtype`, `sum`, `first`) with a tensor.
    private func expectSummary(_ summary: [String: Any], matches tensor: Tensor, _ label: String) throws {
        #expect(summary["shape"] as? [Int] == tensor.shape.dims, "\(label)")
        #expect(summary["dtype"] as? String == tensor.dtype.rawValue, "\(label)")
        let values = TestTensors.doubles(tensor)
        // Python prints each value's shortest round-trip repr; Foundation's JSON parser on Linux may
        // read it back a few double ulps off, so compare within 1e-14 (far below a float32 ulp, 6e-8).
        let first = try #require(summary["first"] as? [Double], "\(label)")
        #expect(first.count == min(8, values.count), "\(label)")
        for (mxnet, ours) in zip(first, values) {
            #expect(abs(mxnet - ours) <= 1e-14 * abs(ours), "\(label): MXNet \(mxnet), FlexEG \(ours)")
        }
        let sum = try #require(summary["sum"] as? Double, "\(label)")
        let expected = values.reduce(0, +)
        #expect(abs(sum - expected) <= 1e-12 * max(1, abs(expected)), "\(label): MXNet sum \(sum), FlexEG \(expected)")
    }
}
