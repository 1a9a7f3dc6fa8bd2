import FlexArtifact
import FlexCompiler
import FlexExecution
import FlexGraph
import FlexKernels
import FlexRuntime
import FlexTensor
import MXNetFormat
import FlexTestSupport
import Testing

@Suite struct CompiledArtifactTests {
    /// A two-part artifact with a weight and every kind of epilogue: `y = relu(x)` in stage 0,
    /// `z = sigmoid(y)` with epilogue `[add(w), clip]` in stage 1.
    static func sample() throws -> CompiledArtifact {
        let values = [
            Program.Value(name: "x", shape: [2, 3], dtype: .float32),
            Program.Value(name: "w", shape: [2, 3], dtype: .float32),
            Program.Value(name: "y", shape: [2, 3], dtype: .float32),
            Program.Value(name: "z", shape: [2, 3], dtype: .float32),
        ]
        let relu = try OperatorRegistry.makeOperator(opName: "Activation", nodeName: "r", attributes: ["act_type": "relu"])
        let sigmoid = try OperatorRegistry.makeOperator(opName: "Activation", nodeName: "s", attributes: ["act_type": "sigmoid", "__hidden__": "kept"])
        let steps = [
            Step(name: "r", op: relu, attributes: ["act_type": "relu"], inputs: [0], outputs: [2]),
            Step(name: "s", op: sigmoid, attributes: ["act_type": "sigmoid", "__hidden__": "kept"], inputs: [2], outputs: [3],
                 epilogue: [.add(1), .clip(min: -0.5, max: 0.75)], fusedNodes: ["plus", "clip0"]),
        ]
        let plan = PartPlan(samples: 1, prefix: 1, kernels: [.reference], aliases: [:], crossingValues: [],
                            memory: MemoryPlan(requests: []), scratchBytes: 0)
        let parts = [
            CompiledArtifact.Part(stage: 0, steps: 0..<1, receives: [0], sends: [2], plan: plan),
            CompiledArtifact.Part(stage: 2, steps: 1..<2, receives: [2], sends: [3], plan: plan),
        ]
        let weight = Tensor(shape: [2, 3], floats: [1, -2, 3, -4, 5, -6])
        return CompiledArtifact(cores: 3, target: .portable, values: values, inputs: [0], outputs: [3], weights: [1: .dense(weight)], steps: steps, parts: parts)
    }

    static func decode(_ bytes: [UInt8]) -> Result<CompiledArtifact, ArtifactError> {
        do throws(ArtifactError) {
            return .success(try CompiledArtifact(decoding: bytes))
        } catch {
            return .failure(error)
        }
    }

    /// FNV-1a 64, written independently of the implementation, for forging checksum-valid edits.
    static func resealed(_ bytes: [UInt8]) -> [UInt8] {
        var hash: UInt64 = 0xcbf2_9ce4_8422_2325
        for (index, byte) in bytes.enumerated() where index < 24 || index >= 32 {
            hash ^= UInt64(byte)
            hash &*= 0x100_0000_01b3
        }
        var result = bytes
        for index in 0..<8 { result[24 + index] = UInt8(truncatingIfNeeded: hash >> (8 * UInt64(index))) }
        return result
    }

    @Test func roundTripIsExact() throws {
        let artifact = try Self.sample()
        let bytes = artifact.encoded()
        let decoded = try CompiledArtifact(decoding: bytes)
        #expect(decoded.encoded() == bytes)
        #expect(decoded.cores == 3)
        #expect(decoded.values == artifact.values)
        #expect(decoded.inputs == [0] && decoded.outputs == [3])
        #expect(decoded.parts == artifact.parts)
        #expect(decoded.steps.map(\.name) == ["r", "s"])
        #expect(decoded.steps[1].attributes == ["act_type": "sigmoid", "__hidden__": "kept"])
        #expect(decoded.steps[1].epilogue == [.add(1), .clip(min: -0.5, max: 0.75)])
        #expect(decoded.steps[1].fusedNodes == ["plus", "clip0"])
        #expect(decoded.steps[1].op is ActivationOperator)
        #expect(decoded.weights[1]?.denseTensor(shape: [2, 3])?.toFloatArray() == [1, -2, 3, -4, 5, -6])
        #expect(Array(bytes.prefix(8)) == Array("FLEXNEFF".utf8))
    }

    @Test func everyTruncationIsAnErrorNotACrash() throws {
        let bytes = try Self.sample().encoded()
        for length in 0..<bytes.count {
            switch Self.decode(Array(bytes.prefix(length))) {
            case .success:
                Issue.record("decoding \(length) of \(bytes.count) bytes succeeded")
            case .failure(let error):
                switch error {
                case .truncated, .lengthMismatch: break
                default: Issue.record("truncation to \(length) bytes gave \(error)")
                }
            }
        }
        if case .failure(let error) = Self.decode(bytes + [0]) {
            #expect(error == .lengthMismatch(declared: UInt64(bytes.count - 32), actual: bytes.count - 31))
        } else {
            Issue.record("a padded artifact decoded")
        }
    }

    @Test func everySingleByteFlipIsDetected() throws {
        let bytes = try Self.sample().encoded()
        for index in bytes.indices {
            for flip: UInt8 in [0x01, 0x80, 0xFF] {
                var corrupted = bytes
                corrupted[index] ^= flip
                guard case .failure(let error) = Self.decode(corrupted) else {
                    Issue.record("flipping byte \(index) by \(flip) went unnoticed")
                    continue
                }
                switch index {
                case 0..<8: #expect(error == .badMagic)
                case 8..<12:
                    if case .unsupportedVersion = error {} else { Issue.record("version flip at \(index) gave \(error)") }
                case 16..<24:
                    if case .lengthMismatch = error {} else { Issue.record("length flip at \(index) gave \(error)") }
                default:
                    if case .checksumMismatch = error {} else { Issue.record("flip at \(index) gave \(error)") }
                }
            }
        }
    }

    @Test func newerFormatIsRejectedWithAClearMessage() throws {
        var bytes = try Self.sample().encoded()
        bytes[8] = 3
        guard case .failure(let error) = Self.decode(Self.resealed(bytes)) else {
            Issue.record("a version-3 artifact decoded")
            return
        }
        #expect(error == .unsupportedVersion(found: 3, newest: 2))
        #expect(error.description.contains("newer than this FlexEG reads"))
    }

    /// Version 1 recorded no kernel plan: such an artifact is refused with the command that rebuilds it.
    @Test func olderFormatAsksToRecompile() throws {
        var bytes = try Self.sample().encoded()
        bytes[8] = 1
        guard case .failure(let error) = Self.decode(Self.resealed(bytes)) else {
            Issue.record("a version-1 artifact decoded")
            return
        }
        #expect(error == .unsupportedVersion(found: 1, newest: 2))
        #expect(error.description.contains("recompile the model with `flexeg compile`"))
    }

    @Test func checksumValidButImpossibleContentIsRejected() throws {
        let bytes = try Self.sample().encoded()
        // Rename operator "Activation" of the first step to "Activatiox".
        let name = Array("Activation".utf8)
        let position = try #require((0...(bytes.count - name.count)).first { Array(bytes[$0..<($0 + name.count)]) == name })
        var renamed = bytes
        renamed[position + name.count - 1] = UInt8(ascii: "x")
        guard case .failure(let error) = Self.decode(Self.resealed(renamed)) else {
            Issue.record("an unknown operator decoded")
            return
        }
        #expect(error == .invalidStep(step: "r", .unknownOperator(op: "Activatiox", node: "r")))

        // A value count far larger than the data.
        var huge = bytes
        huge[32] = 0xFF
        huge[33] = 0xFF
        huge[34] = 0xFF
        guard case .failure(let hugeError) = Self.decode(Self.resealed(huge)),
              case .malformed(let offset, _) = hugeError else {
            Issue.record("a huge value count was not reported as malformed")
            return
        }
        #expect(offset == 32)
    }

    @Test func inconsistentPartsAreRejected() throws {
        var artifact = try Self.sample()
        artifact.parts[1].receives = []
        guard case .failure(let error) = Self.decode(artifact.encoded()), case .inconsistent(let message) = error else {
            Issue.record("a part that does not receive its operand decoded")
            return
        }
        #expect(message.contains("does not receive it"))

        var unplaced = try Self.sample()
        unplaced.parts[0].sends = []
        unplaced.parts[1].receives = []
        guard case .failure(let second) = Self.decode(unplaced.encoded()), case .inconsistent = second else {
            Issue.record("a value neither sent nor placed decoded")
            return
        }
    }
}
