import FlexGraph
import FlexKernels
import FlexTensor

/// Binary layout (little-endian), version 2:
///
///     header   magic "FLEXNEFF" (8) · format version u32 · cores u32 · payload length u64 ·
///              checksum u64 (FNV-1a 64 over header bytes 0..<24, then the payload)
///     payload  target   instruction set u8 (0 portable, 1 avx2, 2 avx512)
///              values   count, each: name · dtype (MXNet type flag u8) · rank u8 · dims i64…
///              inputs, outputs   id lists (count u32, ids u32…)
///              weights  count, each: value id u32 · layout u8 · layout data:
///                       0 dense (MXNet's layout): byte count u64 · bytes
///                       1 packed matrix (a dense layer's `weightᵀ`): matrix
///                       2 prepared convolution: algorithm u8 (0 gemm, 1 winograd, 2 gemm-transposed, 3 direct,
///                       4 winograd22) · count u32 · matrices
///                       where a matrix is role u8 (0 left, 1 right) · rows u64 · columns u64 ·
///                       byte count u64 · its `Fast.PackedMatrix` panels (float32)
///              steps    count, each: name · MXNet op · attributes (count, key · value…) · inputs · outputs ·
///                       epilogue (count, each: tag u8 — 0 activation name, 1 clip f32 f32, 2 add id) ·
///                       fused node names (count, names…)
///              parts    count, each: stage u32 · first step u32 · end step u32 · receives · sends ·
///                       plan: samples u32 · prefix u32 · kernels (count, each: tag u8 — 0 reference,
///                       1 convolution + algorithm u8 (as for weights, 5 depthwise), 2 dense, 3 pooling,
///                       4 global pooling, 5 copy, 6 add, 7 pointwise+depthwise + producer u32, 8 deferred,
///                       9 3-D convolution, 10 softmax, 11 layer norm, 12 GELU, 13 attention product, 14 RNN,
///                       15 adaptive average pooling, 16 bilinear resize, 17 group norm) ·
///                       aliases (count, each: view id u32 · root id u32) · crossing values (id list) ·
///                       scratch bytes u64 · arena bytes u64 · unshared bytes u64 · placements (count,
///                       each: id u32 · offset u64 · size u64 · first step u32 · last step u32)
///
/// Strings are a u32 byte count and UTF-8 bytes. Decoding checks every read against the end, every id
/// against its table and every size against the shapes, then re-parses each step's operator through
/// `OperatorRegistry` and re-infers its output shapes.
extension CompiledArtifact {
    static let magic: [UInt8] = Array("FLEXNEFF".utf8)
    static let headerSize = 32

    /// Weight layouts the format knows (`ArtifactWeight`'s cases).
    enum WeightLayout: UInt8 {
        case dense = 0
        case packedMatrix = 1
        case preparedConvolution = 2
    }

    /// Convolution algorithms by their code in the format (prepared weights store codes 0–4; a
    /// kernel choice may also name 5, depthwise, whose weights stay dense).
    static let convolutionAlgorithms: [Fast.PreparedConvolution.Algorithm] = [.gemm, .winograd, .transposedGEMM, .direct, .winograd22, .depthwise]

    /// Instruction sets by their code in the format.
    static let targets: [Fast.InstructionSet] = [.portable, .avx2, .avx512]

    /// The artifact's bytes.
    public func encoded() -> [UInt8] {
        var writer = ByteWriter(reservingCapacity: Self.headerSize + weightBytes + 4096)
        for byte in Self.magic { writer.u8(byte) }
        writer.u32(Self.formatVersion)
        writer.u32(UInt32(cores))
        writer.u64(0)
        writer.u64(0)

        writer.u8(UInt8(Self.targets.firstIndex(of: target)!))
        writer.count(values.count)
        for value in values {
            writer.string(value.name)
            writer.u8(UInt8(value.dtype.mxnetTypeFlag))
            writer.u8(UInt8(value.shape.rank))
            for dim in value.shape.dims { writer.int(dim) }
        }
        writer.ids(inputs)
        writer.ids(outputs)
        writer.count(weights.count)
        for (id, weight) in weights.sorted(by: { $0.key < $1.key }) {
            writer.count(id)
            switch weight {
            case .dense(let tensor):
                writer.u8(WeightLayout.dense.rawValue)
                writer.u64(UInt64(tensor.byteCount))
                writer.raw(UnsafeRawBufferPointer(start: tensor.rawPointer, count: tensor.byteCount))
            case .packed(let matrix):
                writer.u8(WeightLayout.packedMatrix.rawValue)
                Self.encode(matrix, into: &writer)
            case .convolution(let algorithm, let matrices):
                writer.u8(WeightLayout.preparedConvolution.rawValue)
                writer.u8(UInt8(Self.convolutionAlgorithms.firstIndex(of: algorithm)!))
                writer.count(matrices.count)
                for matrix in matrices { Self.encode(matrix, into: &writer) }
            }
        }
        writer.count(steps.count)
        for step in steps {
            writer.string(step.name)
            writer.string(step.opName)
            writer.count(step.attributes.count)
            for (key, value) in step.attributes.sorted(by: { $0.key < $1.key }) {
                writer.string(key)
                writer.string(value)
            }
            writer.ids(step.inputs)
            writer.ids(step.outputs)
            writer.count(step.epilogue.count)
            for operation in step.epilogue {
                switch operation {
                case .activation(let function):
                    writer.u8(0)
                    writer.string(function.rawValue)
                case .clip(let low, let high):
                    writer.u8(1)
                    writer.f32(low)
                    writer.f32(high)
                case .add(let value):
                    writer.u8(2)
                    writer.count(value)
                }
            }
            writer.count(step.fusedNodes.count)
            for name in step.fusedNodes { writer.string(name) }
        }
        writer.count(parts.count)
        for part in parts {
            writer.count(part.stage)
            writer.count(part.steps.lowerBound)
            writer.count(part.steps.upperBound)
            writer.ids(part.receives)
            writer.ids(part.sends)
            let plan = part.plan
            writer.count(plan.samples)
            writer.count(plan.prefix)
            writer.count(plan.kernels.count)
            for kernel in plan.kernels { Self.encode(kernel, into: &writer) }
            writer.count(plan.aliases.count)
            for (view, root) in plan.aliases.sorted(by: { $0.key < $1.key }) {
                writer.count(view)
                writer.count(root)
            }
            writer.ids(plan.crossingValues)
            writer.u64(UInt64(plan.scratchBytes))
            writer.u64(UInt64(plan.memory.arenaBytes))
            writer.u64(UInt64(plan.memory.unsharedBytes))
            writer.count(plan.memory.placements.count)
            for placement in plan.memory.placements {
                writer.count(placement.value)
                writer.u64(UInt64(placement.offset))
                writer.u64(UInt64(placement.size))
                writer.count(placement.firstStep)
                writer.count(placement.lastStep)
            }
        }

        let payloadLength = writer.bytes.count - Self.headerSize
        writer.patchU64(UInt64(payloadLength), at: 16)
        let checksum = writer.bytes.withUnsafeBytes { Self.checksum(of: $0) }
        writer.patchU64(checksum, at: 24)
        return writer.bytes
    }

    private static func encode(_ kernel: KernelChoice, into writer: inout ByteWriter) {
        switch kernel {
        case .reference: writer.u8(0)
        case .convolution(let algorithm):
            writer.u8(1)
            writer.u8(UInt8(convolutionAlgorithms.firstIndex(of: algorithm)!))
        case .dense: writer.u8(2)
        case .pooling: writer.u8(3)
        case .globalPooling: writer.u8(4)
        case .copy: writer.u8(5)
        case .add: writer.u8(6)
        case .pointwiseDepthwise(let producer):
            writer.u8(7)
            writer.count(producer)
        case .deferred: writer.u8(8)
        case .volumeConvolution: writer.u8(9)
        case .softmax: writer.u8(10)
        case .layerNorm: writer.u8(11)
        case .gelu: writer.u8(12)
        case .attention: writer.u8(13)
        case .rnn: writer.u8(14)
        case .adaptivePooling: writer.u8(15)
        case .bilinearResize: writer.u8(16)
        case .groupNorm: writer.u8(17)
        }
    }

    private static func decodeKernel(_ reader: inout ByteReader, part: Int, stepCount: Int) throws(ArtifactError) -> KernelChoice {
        let offset = reader.offset
        switch try reader.u8("kernel tag in part \(part)") {
        case 0: return .reference
        case 1:
            let code = Int(try reader.u8("convolution algorithm of a kernel in part \(part)"))
            guard code < convolutionAlgorithms.count else {
                throw .malformed(offset: offset + 1, message: "part \(part) names unknown convolution algorithm \(code)")
            }
            return .convolution(convolutionAlgorithms[code])
        case 2: return .dense
        case 3: return .pooling
        case 4: return .globalPooling
        case 5: return .copy
        case 6: return .add
        case 7:
            let producer = Int(try reader.u32("fused producer of a kernel in part \(part)"))
            guard producer < stepCount else {
                throw .malformed(offset: offset + 1, message: "part \(part) fuses step \(producer) of its \(stepCount)")
            }
            return .pointwiseDepthwise(producer: producer)
        case 8: return .deferred
        case 9: return .volumeConvolution
        case 10: return .softmax
        case 11: return .layerNorm
        case 12: return .gelu
        case 13: return .attention
        case 14: return .rnn
        case 15: return .adaptivePooling
        case 16: return .bilinearResize
        case 17: return .groupNorm
        case let tag:
            throw .malformed(offset: offset, message: "part \(part) has unknown kernel tag \(tag)")
        }
    }

    private static func encode(_ matrix: Fast.PackedMatrix, into writer: inout ByteWriter) {
        writer.u8(matrix.role == .left ? 0 : 1)
        writer.int(matrix.rows)
        writer.int(matrix.columns)
        let values = matrix.packedValues
        writer.u64(UInt64(values.count * MemoryLayout<Float>.size))
        values.withUnsafeBytes { writer.raw($0) }
    }

    /// Reads a packed matrix, checking its size against its dimensions before allocating.
    private static func decodeMatrix(_ reader: inout ByteReader, field: String) throws(ArtifactError) -> Fast.PackedMatrix {
        let start = reader.offset
        let roleCode = try reader.u8("packing role of \(field)")
        let rows = try reader.int("packed rows of \(field)")
        let columns = try reader.int("packed columns of \(field)")
        guard roleCode <= 1, rows >= 0, columns >= 0, rows <= Int(Int32.max), columns <= Int(Int32.max) else {
            throw .malformed(offset: start, message: "\(field) is an impossible packed matrix (role \(roleCode), \(rows)x\(columns))")
        }
        let role: Fast.PackedMatrix.Role = roleCode == 0 ? .left : .right
        let panel = role == .left ? Fast.GEMM.mr : Fast.GEMM.nr
        let (width, depth) = role == .left ? (rows, columns) : (columns, rows)
        let (panelled, overflow) = ((width + panel - 1) / panel * panel).multipliedReportingOverflow(by: depth * MemoryLayout<Float>.size)
        let sizeOffset = reader.offset
        let size = try reader.u64("size of \(field)")
        guard !overflow, size == UInt64(panelled) else {
            throw .malformed(offset: sizeOffset, message: "\(field) holds \(size) bytes but a \(rows)x\(columns) \(role) matrix needs \(panelled)")
        }
        let data = try reader.raw(panelled, field)
        let floats = [Float](unsafeUninitializedCapacity: panelled / 4) { buffer, count in
            UnsafeMutableRawBufferPointer(buffer).copyMemory(from: data)
            count = panelled / 4
        }
        do {
            return try Fast.PackedMatrix(rows: rows, columns: columns, role: role, packedValues: floats)
        } catch {
            throw .malformed(offset: sizeOffset, message: "\(field): \(error)")
        }
    }

    /// FNV-1a 64 over header bytes `0..<24` and the payload. `bytes` holds at least the header.
    static func checksum(of bytes: UnsafeRawBufferPointer) -> UInt64 {
        let head = Checksum.fnv1a64(UnsafeRawBufferPointer(rebasing: bytes[0..<24]))
        return Checksum.fnv1a64(UnsafeRawBufferPointer(rebasing: bytes[headerSize...]), continuing: head)
    }

    /// Decodes and validates an artifact. Any inconsistency is an `ArtifactError` naming the offset.
    public init(decoding bytes: UnsafeRawBufferPointer) throws(ArtifactError) {
        var header = ByteReader(bytes)
        let magic = try header.raw(8, "magic")
        guard magic.elementsEqual(Self.magic) else { throw .badMagic }
        let version = try header.u32("format version")
        guard version == Self.formatVersion else {
            throw .unsupportedVersion(found: version, newest: Self.formatVersion)
        }
        let coreField = try header.u32("core count")
        let declared = try header.u64("payload length")
        let stored = try header.u64("checksum")
        guard declared == UInt64(header.remaining) else { throw .lengthMismatch(declared: declared, actual: header.remaining) }
        let computed = Self.checksum(of: bytes)
        guard computed == stored else { throw .checksumMismatch(stored: stored, computed: computed) }
        guard coreField >= 1 else { throw .malformed(offset: 12, message: "core count is 0") }

        var reader = ByteReader(bytes, offset: Self.headerSize)
        let targetCode = Int(try reader.u8("target instruction set"))
        guard targetCode < Self.targets.count else {
            throw .malformed(offset: Self.headerSize, message: "unknown target instruction set \(targetCode)")
        }
        let values = try Self.decodeValues(&reader)
        let inputs = try reader.ids("input", below: values.count)
        let outputs = try reader.ids("output", below: values.count)
        let weights = try Self.decodeWeights(&reader, values: values)
        let steps = try Self.decodeSteps(&reader, values: values)
        let parts = try Self.decodeParts(&reader, valueCount: values.count, stepCount: steps.count, cores: Int(coreField))
        guard reader.isAtEnd else { throw .malformed(offset: reader.offset, message: "\(reader.remaining) unexpected bytes after the last part") }
        self.init(cores: Int(coreField), target: Self.targets[targetCode], values: values, inputs: inputs, outputs: outputs, weights: weights, steps: steps, parts: parts)
        try validate()
    }

    /// Decodes `bytes` (a `<node>_neuronbin` tensor's contents).
    public init(decoding bytes: [UInt8]) throws(ArtifactError) {
        let result = bytes.withUnsafeBytes { buffer in Result { () throws(ArtifactError) in try CompiledArtifact(decoding: buffer) } }
        self = try result.get()
    }

    private static func decodeValues(_ reader: inout ByteReader) throws(ArtifactError) -> [Program.Value] {
        let count = try reader.count("value count", minimumItemBytes: 6)
        var values: [Program.Value] = []
        values.reserveCapacity(count)
        for index in 0..<count {
            let name = try reader.string("name of value \(index)")
            let flagOffset = reader.offset
            let flag = try reader.u8("dtype of value '\(name)'")
            guard let dtype = DType(mxnetTypeFlag: Int32(flag)) else {
                throw .malformed(offset: flagOffset, message: "value '\(name)' has unknown dtype flag \(flag)")
            }
            let rank = Int(try reader.u8("rank of value '\(name)'"))
            var dims: [Int] = []
            var elements = 1
            for _ in 0..<rank {
                let dimOffset = reader.offset
                let dim = try reader.int("dimension of value '\(name)'")
                let (product, overflow) = elements.multipliedReportingOverflow(by: max(dim, 0))
                guard dim >= 0, !overflow, product <= Int(Int32.max) * 64 else {
                    throw .malformed(offset: dimOffset, message: "value '\(name)' has an impossible dimension \(dim)")
                }
                elements = product
                dims.append(dim)
            }
            values.append(Program.Value(name: name, shape: Shape(dims), dtype: dtype))
        }
        return values
    }

    private static func decodeWeights(_ reader: inout ByteReader, values: [Program.Value]) throws(ArtifactError) -> [ValueID: ArtifactWeight] {
        let count = try reader.count("weight count", minimumItemBytes: 13)
        var weights: [ValueID: ArtifactWeight] = [:]
        for _ in 0..<count {
            let start = reader.offset
            let id = Int(try reader.u32("weight value id"))
            guard id < values.count, weights[id] == nil else {
                throw .malformed(offset: start, message: "weight refers to value \(id), which is out of range or already has a weight")
            }
            let value = values[id]
            let layoutOffset = reader.offset
            let field = "weight '\(value.name)'"
            switch WeightLayout(rawValue: try reader.u8("layout of \(field)")) {
            case .dense:
                let sizeOffset = reader.offset
                let size = try reader.u64("size of \(field)")
                guard size == UInt64(value.byteCount) else {
                    throw .malformed(offset: sizeOffset, message: "\(field) holds \(size) bytes but \(value.shape) \(value.dtype) needs \(value.byteCount)")
                }
                let data = try reader.raw(Int(size), "data of \(field)")
                weights[id] = .dense(Tensor(shape: value.shape, dtype: value.dtype, bytes: data))
            case .packedMatrix:
                let matrix = try decodeMatrix(&reader, field: field)
                guard value.dtype == .float32, matrix.role == .right,
                      ArtifactWeight.isMatrix(value.shape, rows: matrix.columns, columns: matrix.rows) else {
                    throw .malformed(offset: layoutOffset, message: "\(field) \(value.shape) \(value.dtype) cannot be stored as a \(matrix.role) \(matrix.rows)x\(matrix.columns) matrix")
                }
                weights[id] = .packed(matrix)
            case .preparedConvolution:
                let algorithmOffset = reader.offset
                let code = Int(try reader.u8("convolution algorithm of \(field)"))
                guard code < convolutionAlgorithms.count, convolutionAlgorithms[code] != .depthwise, value.dtype == .float32, value.shape.rank == 3 || value.shape.rank == 4 else {
                    throw .malformed(offset: algorithmOffset, message: "\(field) \(value.shape) \(value.dtype) cannot hold prepared convolution weights of algorithm \(code)")
                }
                let matrixCount = try reader.count("matrix count of \(field)", minimumItemBytes: 25)
                var matrices: [Fast.PackedMatrix] = []
                for index in 0..<matrixCount { matrices.append(try decodeMatrix(&reader, field: "matrix \(index) of \(field)")) }
                weights[id] = .convolution(algorithm: convolutionAlgorithms[code], matrices: matrices)
            case nil:
                throw .malformed(offset: layoutOffset, message: "\(field) has an unknown layout")
            }
        }
        return weights
    }

    private static func decodeSteps(_ reader: inout ByteReader, values: [Program.Value]) throws(ArtifactError) -> [Step] {
        let count = try reader.count("step count", minimumItemBytes: 24)
        var steps: [Step] = []
        steps.reserveCapacity(count)
        for index in 0..<count {
            let name = try reader.string("name of step \(index)")
            let opName = try reader.string("operator of step '\(name)'")
            let attributeCount = try reader.count("attribute count of step '\(name)'", minimumItemBytes: 8)
            var attributes: [String: String] = [:]
            for _ in 0..<attributeCount {
                let key = try reader.string("attribute name of step '\(name)'")
                attributes[key] = try reader.string("attribute '\(key)' of step '\(name)'")
            }
            let inputs = try reader.ids("input of step '\(name)'", below: values.count)
            let outputs = try reader.ids("output of step '\(name)'", below: values.count)
            let epilogueCount = try reader.count("epilogue count of step '\(name)'", minimumItemBytes: 5)
            var epilogue: [EpilogueOp] = []
            for _ in 0..<epilogueCount {
                let tagOffset = reader.offset
                switch try reader.u8("epilogue tag of step '\(name)'") {
                case 0:
                    let functionOffset = reader.offset
                    let function = try reader.string("epilogue activation of step '\(name)'")
                    guard let value = Reference.ActivationFunction(rawValue: function) else {
                        throw .malformed(offset: functionOffset, message: "step '\(name)' has unknown epilogue activation '\(function)'")
                    }
                    epilogue.append(.activation(value))
                case 1:
                    let low = try reader.f32("epilogue clip minimum of step '\(name)'")
                    let high = try reader.f32("epilogue clip maximum of step '\(name)'")
                    epilogue.append(.clip(min: low, max: high))
                case 2:
                    let operandOffset = reader.offset
                    let operand = Int(try reader.u32("epilogue operand of step '\(name)'"))
                    guard operand < values.count else {
                        throw .malformed(offset: operandOffset, message: "step '\(name)' adds value \(operand) of \(values.count)")
                    }
                    epilogue.append(.add(operand))
                case let tag:
                    throw .malformed(offset: tagOffset, message: "step '\(name)' has unknown epilogue tag \(tag)")
                }
            }
            let fusedCount = try reader.count("fused node count of step '\(name)'", minimumItemBytes: 4)
            var fused: [String] = []
            for _ in 0..<fusedCount { fused.append(try reader.string("fused node name of step '\(name)'")) }
            let op: any Operator
            do {
                op = try OperatorRegistry.makeOperator(opName: opName, nodeName: name, attributes: attributes)
            } catch {
                throw .invalidStep(step: name, error)
            }
            steps.append(Step(name: name, op: op, attributes: attributes, inputs: inputs, outputs: outputs,
                              epilogue: epilogue, fusedNodes: fused))
        }
        return steps
    }

    private static func decodeParts(_ reader: inout ByteReader, valueCount: Int, stepCount: Int, cores: Int) throws(ArtifactError) -> [Part] {
        let count = try reader.count("part count", minimumItemBytes: 64)
        var parts: [Part] = []
        for index in 0..<count {
            let start = reader.offset
            let stage = Int(try reader.u32("stage of part \(index)"))
            let first = Int(try reader.u32("first step of part \(index)"))
            let end = Int(try reader.u32("end step of part \(index)"))
            guard stage < cores, first < end, end <= stepCount else {
                throw .malformed(offset: start, message: "part \(index) (stage \(stage), steps \(first)..<\(end)) does not fit \(cores) cores and \(stepCount) steps")
            }
            let receives = try reader.ids("received value of part \(index)", below: valueCount)
            let sends = try reader.ids("sent value of part \(index)", below: valueCount)
            let scheduleOffset = reader.offset
            let samples = Int(try reader.u32("samples of part \(index)"))
            let prefix = Int(try reader.u32("prefix steps of part \(index)"))
            guard samples >= 1, prefix <= end - first else {
                throw .malformed(offset: scheduleOffset, message: "part \(index) runs \(prefix) of its \(end - first) steps \(samples) samples at a time")
            }
            let kernelCount = try reader.count("kernel count of part \(index)", minimumItemBytes: 1)
            guard kernelCount == end - first else {
                throw .malformed(offset: reader.offset - 4, message: "part \(index) records \(kernelCount) kernels for its \(end - first) steps")
            }
            var kernels: [KernelChoice] = []
            for _ in 0..<kernelCount { kernels.append(try decodeKernel(&reader, part: index, stepCount: kernelCount)) }
            let aliasCount = try reader.count("alias count of part \(index)", minimumItemBytes: 8)
            var aliases: [ValueID: ValueID] = [:]
            for _ in 0..<aliasCount {
                let aliasOffset = reader.offset
                let view = Int(try reader.u32("aliased view of part \(index)"))
                let root = Int(try reader.u32("alias root of part \(index)"))
                guard view < valueCount, root < valueCount, view != root, aliases[view] == nil else {
                    throw .malformed(offset: aliasOffset, message: "part \(index) aliases value \(view) to \(root)")
                }
                aliases[view] = root
            }
            let crossing = try reader.ids("crossing value of part \(index)", below: valueCount)
            let scratch = try reader.u64("scratch size of part \(index)")
            guard scratch <= UInt64(Int32.max) * 64 else {
                throw .malformed(offset: reader.offset - 8, message: "part \(index) has an impossible scratch size \(scratch)")
            }
            let arena = try reader.u64("arena size of part \(index)")
            let unshared = try reader.u64("unshared size of part \(index)")
            let placementCount = try reader.count("placement count of part \(index)", minimumItemBytes: 28)
            var placements: [MemoryPlan.Placement] = []
            for _ in 0..<placementCount {
                let placementOffset = reader.offset
                let value = Int(try reader.u32("placed value of part \(index)"))
                let offset = try reader.u64("placement offset of part \(index)")
                let size = try reader.u64("placement size of part \(index)")
                let firstStep = Int(try reader.u32("placement first step of part \(index)"))
                let lastStep = Int(try reader.u32("placement last step of part \(index)"))
                guard value < valueCount, size <= arena, offset <= arena - size, firstStep <= lastStep, lastStep < end - first else {
                    throw .malformed(offset: placementOffset, message: "placement of value \(value) at \(offset)+\(size) does not fit part \(index)'s \(arena)-byte arena and \(end - first) steps")
                }
                placements.append(MemoryPlan.Placement(value: value, offset: Int(offset), size: Int(size), firstStep: firstStep, lastStep: lastStep))
            }
            guard arena <= UInt64(Int32.max) * 64, unshared <= UInt64(Int.max) else {
                throw .malformed(offset: start, message: "part \(index) has an impossible arena size \(arena)")
            }
            let memory = MemoryPlan(placements: placements, arenaBytes: Int(arena), unsharedBytes: Int(unshared))
            parts.append(Part(stage: stage, steps: first..<end, receives: receives, sends: sends,
                              plan: PartPlan(samples: samples, prefix: prefix, kernels: kernels, aliases: aliases,
                                             crossingValues: crossing, memory: memory, scratchBytes: Int(scratch))))
        }
        return parts
    }
}
