import FlexJSON
import Foundation
import GRPCCore
import Logging

/// `inference.GRPCInferenceService` with Triton's messages (`Protos/flexeg_inference.proto`), so
/// `tritonclient.grpc` works unmodified. A translation layer over `ServerState`, the same one the
/// REST endpoints use: every RPC answers what its REST twin answers, errors as gRPC statuses
/// (INVALID_ARG → invalidArgument, NOT_FOUND → notFound, UNAVAILABLE → unavailable, UNSUPPORTED →
/// unimplemented, INTERNAL → internalError). Handlers run on grpc-swift's tasks.
struct GRPCInferenceService: Inference_GRPCInferenceService.SimpleServiceProtocol {
    let state: ServerState

    func serverLive(request: Inference_ServerLiveRequest, context: ServerContext) async throws -> Inference_ServerLiveResponse {
        .with { $0.live = true }
    }

    func serverReady(request: Inference_ServerReadyRequest, context: ServerContext) async throws -> Inference_ServerReadyResponse {
        .with { $0.ready = state.isReady }
    }

    func modelReady(request: Inference_ModelReadyRequest, context: ServerContext) async throws -> Inference_ModelReadyResponse {
        .with { $0.ready = state.manager.isReady(request.name, version: Self.version(request.version)) }
    }

    func serverMetadata(request: Inference_ServerMetadataRequest, context: ServerContext) async throws -> Inference_ServerMetadataResponse {
        .with {
            $0.name = ServerState.name
            $0.version = ServerState.version
            $0.extensions = ServerState.extensions
        }
    }

    func modelMetadata(request: Inference_ModelMetadataRequest, context: ServerContext) async throws -> Inference_ModelMetadataResponse {
        let model = try Self.rpc { () throws(ServerError) in try state.manager.model(request.name, version: Self.version(request.version)) }
        func tensors(_ list: [TensorDescription]) -> [Inference_ModelMetadataResponse.TensorMetadata] {
            list.map { tensor in .with { $0.name = tensor.name; $0.datatype = tensor.datatype.rawValue; $0.shape = tensor.shape.map(Int64.init) } }
        }
        return .with {
            $0.name = model.name
            $0.versions = [String(model.version)]
            $0.platform = model.config.platform ?? "flexeg_mxnet"
            $0.inputs = tensors(model.inputs)
            $0.outputs = tensors(model.outputs)
        }
    }

    func modelConfig(request: Inference_ModelConfigRequest, context: ServerContext) async throws -> Inference_ModelConfigResponse {
        let model = try Self.rpc { () throws(ServerError) in try state.manager.model(request.name, version: Self.version(request.version)) }
        let config = model.config
        func tensorType(_ type: TensorDataType?) -> Inference_DataType {
            Inference_DataType(rawValue: (type.flatMap { TensorDataType.allCases.firstIndex(of: $0) }).map { Self.dataTypeNumbers[$0] } ?? 0) ?? .typeInvalid
        }
        return .with { response in
            response.config = .with {
                $0.name = model.name
                $0.platform = config.platform ?? ""
                $0.backend = config.backend ?? ""
                $0.maxBatchSize = Int32(config.maxBatchSize ?? 0)
                $0.input = (config.inputs ?? []).map { tensor in
                    .with { $0.name = tensor.name; $0.dataType = tensorType(tensor.dataType); $0.dims = (tensor.dims ?? []).map(Int64.init) }
                }
                $0.output = (config.outputs ?? []).map { tensor in
                    .with { $0.name = tensor.name; $0.dataType = tensorType(tensor.dataType); $0.dims = (tensor.dims ?? []).map(Int64.init) }
                }
                $0.instanceGroup = [.with { $0.name = model.name; $0.kind = .model; $0.count = Int32(config.instanceCount ?? 1) }]
                $0.parameters = config.parameters.mapValues { value in .with { $0.stringValue = value } }
            }
        }
    }

    /// Triton's `DataType` numbers in `TensorDataType.allCases` order (BOOL, UINT8, ... BF16, BYTES).
    private static let dataTypeNumbers = [1, 2, 3, 4, 5, 6, 7, 8, 9, 10, 11, 12, 14, 13]

    func modelStatistics(request: Inference_ModelStatisticsRequest, context: ServerContext) async throws -> Inference_ModelStatisticsResponse {
        let name = request.name.isEmpty ? nil : request.name
        if let name {
            _ = try Self.rpc { () throws(ServerError) in try state.manager.model(name, version: Self.version(request.version)) }
        }
        let models = state.manager.servingModels.filter { name == nil || $0.name == name }
        return .with { response in
            response.modelStats = models.map { model in
                let stats = state.manager.statistics(of: model.name).current
                func duration(_ d: ModelStatistics.Duration) -> Inference_StatisticDuration { .with { $0.count = d.count; $0.ns = d.ns } }
                return .with {
                    $0.name = model.name
                    $0.version = String(model.version)
                    $0.lastInference = stats.lastInference
                    $0.inferenceCount = stats.inferenceCount
                    $0.executionCount = stats.executionCount
                    $0.inferenceStats = .with {
                        $0.success = duration(stats.success)
                        $0.fail = duration(stats.fail)
                        $0.queue = duration(stats.queue)
                        $0.computeInput = duration(stats.computeInput)
                        $0.computeInfer = duration(stats.computeInfer)
                        $0.computeOutput = duration(stats.computeOutput)
                        $0.cacheHit = duration(.init())
                        $0.cacheMiss = duration(.init())
                    }
                    $0.batchStats = stats.executionsByBatchSize.sorted { $0.key < $1.key }.map { size, durations in
                        .with {
                            $0.batchSize = UInt64(size)
                            $0.computeInput = duration(durations.computeInput)
                            $0.computeInfer = duration(durations.computeInfer)
                            $0.computeOutput = duration(durations.computeOutput)
                        }
                    }
                }
            }
        }
    }

    func repositoryIndex(request: Inference_RepositoryIndexRequest, context: ServerContext) async throws -> Inference_RepositoryIndexResponse {
        .with { response in
            response.models = state.manager.index(readyOnly: request.ready).map { entry in
                .with {
                    $0.name = entry.name
                    $0.version = entry.version.map(String.init) ?? ""
                    $0.state = entry.state.rawValue
                    $0.reason = entry.reason
                }
            }
        }
    }

    func repositoryModelLoad(request: Inference_RepositoryModelLoadRequest, context: ServerContext) async throws -> Inference_RepositoryModelLoadResponse {
        let parameters: [(key: String, value: ServerState.LoadParameter)] = request.parameters.sorted(by: { $0.key < $1.key }).map { key, value in
            switch value.parameterChoice {
            case .stringParam(let text): (key, .text(text))
            case .bytesParam(let bytes): (key, .bytes(Array(bytes)))
            case .boolParam, .int64Param, nil: (key, .other)
            }
        }
        try await Self.rpcAsync { () async throws(ServerError) in try await state.load(request.modelName, parameters: parameters) }
        return .init()
    }

    func repositoryModelUnload(request: Inference_RepositoryModelUnloadRequest, context: ServerContext) async throws -> Inference_RepositoryModelUnloadResponse {
        try await Self.rpcAsync { () async throws(ServerError) in try await state.unload(request.modelName, body: []) }
        return .init()
    }

    // MARK: System shared memory

    func systemSharedMemoryStatus(request: Inference_SystemSharedMemoryStatusRequest, context: ServerContext) async throws -> Inference_SystemSharedMemoryStatusResponse {
        let regions = try Self.rpc { () throws(ServerError) in try state.sharedMemory.status(request.name.isEmpty ? nil : request.name) }
        return .with { response in
            for region in regions {
                response.regions[region.name] = .with {
                    $0.name = region.name
                    $0.key = region.key
                    $0.offset = UInt64(region.offset)
                    $0.byteSize = UInt64(region.byteSize)
                }
            }
        }
    }

    func systemSharedMemoryRegister(request: Inference_SystemSharedMemoryRegisterRequest, context: ServerContext) async throws -> Inference_SystemSharedMemoryRegisterResponse {
        try Self.rpc { () throws(ServerError) in
            guard let offset = Int(exactly: request.offset), let byteSize = Int(exactly: request.byteSize) else {
                throw .invalid("shared memory region '\(request.name)': offset \(request.offset) or byte_size \(request.byteSize) is too large")
            }
            try state.registerSharedMemory(request.name, key: request.key, offset: offset, byteSize: byteSize)
        }
        return .init()
    }

    func systemSharedMemoryUnregister(request: Inference_SystemSharedMemoryUnregisterRequest, context: ServerContext) async throws -> Inference_SystemSharedMemoryUnregisterResponse {
        state.unregisterSharedMemory(request.name.isEmpty ? nil : request.name)
        return .init()
    }

    func modelInfer(request: Inference_ModelInferRequest, context: ServerContext) async throws -> Inference_ModelInferResponse {
        try await Self.rpcAsync { () async throws(ServerError) in try await infer(request) }
    }

    /// Each request of the stream in turn; an error is sent as the response's `error_message` and
    /// the stream goes on, as Triton does.
    func modelStreamInfer(
        request: RPCAsyncSequence<Inference_ModelInferRequest, any Error>,
        response: RPCWriter<Inference_ModelStreamInferResponse>,
        context: ServerContext
    ) async throws {
        for try await message in request {
            do {
                let result = try await infer(message)
                try await response.write(.with { $0.inferResponse = result })
            } catch let error as ServerError {
                try await response.write(.with { $0.errorMessage = error.message })
            }
        }
    }

    // MARK: Inference

    private func infer(_ request: Inference_ModelInferRequest) async throws(ServerError) -> Inference_ModelInferResponse {
        try await state.infer(request.modelName, version: Self.version(request.modelVersion)) { model throws(ServerError) in
            try Self.decode(request, model: model, sharedMemory: state.sharedMemory)
        } encode: { outputs, decoded, model in
            Self.encode(outputs, request: decoded, id: request.id, model: model)
        }
    }

    /// Inputs from shared memory (when their parameters name a region), `raw_input_contents` (one per
    /// other input, in order, as tritonclient sends them) or typed contents.
    static func decode(_ request: Inference_ModelInferRequest, model: ServingModel, sharedMemory: SharedMemoryRegistry) throws(ServerError) -> DecodedInference {
        var slices: [SharedMemorySlice?] = []
        for input in request.inputs { slices.append(try sharedMemorySlice(input.parameters, sharedMemory, what: "input '\(input.name)'")) }
        let raw = request.rawInputContents
        let rawTaking = slices.filter { $0 == nil }.count
        guard raw.isEmpty || raw.count == rawTaking else {
            throw .invalid("the request has \(rawTaking) inputs outside shared memory but \(raw.count) raw_input_contents; give one per such input, in order, or none")
        }
        var inputs: [TensorData] = []
        var rawIndex = 0
        for (input, slice) in zip(request.inputs, slices) {
            guard !inputs.contains(where: { $0.name == input.name }) else { throw .invalid("input '\(input.name)' is given twice") }
            let description = try InferenceCodec.checkedInput(name: input.name, datatype: input.datatype, shape: input.shape.map { Int($0) }, model: model)
            let bytes: SharedBytes
            if let slice {
                guard !input.hasContents else { throw .invalid("input '\(input.name)' is in shared memory region '\(slice.region.name)', so it takes no contents") }
                bytes = SharedBytes(try slice.readInput(description))
            } else if !raw.isEmpty {
                bytes = SharedBytes(raw[rawIndex])
                rawIndex += 1
                guard bytes.count == description.byteCount else {
                    throw .invalid("input '\(input.name)' has \(bytes.count) bytes in raw_input_contents; \(description.datatype.rawValue) \(description.shape) is \(description.byteCount)")
                }
            } else {
                guard input.hasContents else { throw .invalid("input '\(input.name)' has neither contents nor raw_input_contents") }
                bytes = SharedBytes(try typedBytes(input.contents, description))
            }
            inputs.append(TensorData(description, bytes: bytes))
        }
        try InferenceCodec.checkComplete(inputs, model: model)
        var outputs: [DecodedInference.RequestedOutput]?
        if !request.outputs.isEmpty {
            outputs = []
            for output in request.outputs {
                guard model.outputs.contains(where: { $0.name == output.name }) else {
                    throw .invalid("unexpected inference output '\(output.name)' for model '\(model.name)'; its outputs are " + ModelManager.list(model.outputs.map(\.name)))
                }
                outputs!.append(.init(name: output.name, binary: true,
                                      sharedMemory: try sharedMemorySlice(output.parameters, sharedMemory, what: "output '\(output.name)'")))
            }
        }
        return DecodedInference(id: request.id.isEmpty ? nil : request.id, inputs: inputs, outputs: outputs, binaryByDefault: true)
    }

    /// The slice a tensor's `shared_memory_region`, `shared_memory_offset` and
    /// `shared_memory_byte_size` parameters name (nil: none).
    private static func sharedMemorySlice(_ parameters: [String: Inference_InferParameter], _ registry: SharedMemoryRegistry, what: String) throws(ServerError) -> SharedMemorySlice? {
        var region: String?
        if let choice = parameters["shared_memory_region"]?.parameterChoice {
            guard case .stringParam(let text) = choice else { throw .invalid("\(what): parameter shared_memory_region must be a string_param") }
            region = text
        }
        func bytes(_ key: String) throws(ServerError) -> Int? {
            switch parameters[key]?.parameterChoice {
            case nil: return nil
            case .int64Param(let value) where value >= 0: return Int(value)
            case .uint64Param(let value) where value <= UInt64(Int.max): return Int(value)
            default: throw .invalid("\(what): parameter \(key) must be an int64_param of bytes >= 0")
            }
        }
        return try registry.slice(region: region, offset: try bytes("shared_memory_offset"), byteSize: try bytes("shared_memory_byte_size"), what: what)
    }

    /// The typed contents field Triton reads for the datatype, as little-endian bytes.
    private static func typedBytes(_ contents: Inference_InferTensorContents, _ description: TensorDescription) throws(ServerError) -> [UInt8] {
        var bytes: [UInt8] = []
        func append<T: FixedWidthInteger>(_ values: [T]) { for value in values { withUnsafeBytes(of: value.littleEndian) { bytes.append(contentsOf: $0) } } }
        let count: Int
        let field: String
        switch description.datatype {
        case .fp32: append(contents.fp32Contents.map(\.bitPattern)); count = contents.fp32Contents.count; field = "fp32_contents"
        case .fp64: append(contents.fp64Contents.map(\.bitPattern)); count = contents.fp64Contents.count; field = "fp64_contents"
        case .int64: append(contents.int64Contents); count = contents.int64Contents.count; field = "int64_contents"
        case .uint64: append(contents.uint64Contents); count = contents.uint64Contents.count; field = "uint64_contents"
        case .int32: append(contents.intContents); count = contents.intContents.count; field = "int_contents"
        case .int16: append(contents.intContents.map { Int16(truncatingIfNeeded: $0) }); count = contents.intContents.count; field = "int_contents"
        case .int8: append(contents.intContents.map { Int8(truncatingIfNeeded: $0) }); count = contents.intContents.count; field = "int_contents"
        case .uint32: append(contents.uintContents); count = contents.uintContents.count; field = "uint_contents"
        case .uint16: append(contents.uintContents.map { UInt16(truncatingIfNeeded: $0) }); count = contents.uintContents.count; field = "uint_contents"
        case .uint8: append(contents.uintContents.map { UInt8(truncatingIfNeeded: $0) }); count = contents.uintContents.count; field = "uint_contents"
        case .bool: bytes = contents.boolContents.map { $0 ? 1 : 0 }; count = contents.boolContents.count; field = "bool_contents"
        case .fp16, .bf16, .bytes:
            throw .invalid("input '\(description.name)' is \(description.datatype.rawValue): send it in raw_input_contents")
        }
        guard count == description.elementCount else {
            throw .invalid("input '\(description.name)' has \(count) elements in \(field); shape \(description.shape) needs \(description.elementCount)")
        }
        return bytes
    }

    /// Outputs in `raw_output_contents`, as Triton sends them: one entry per output, in order, and
    /// an empty one for an output written to shared memory (Triton's C++ client indexes the entries
    /// by output without checking; perf_analyzer crashes on a response that lacks them).
    static func encode(_ outputs: [TensorData], request: DecodedInference, id: String, model: ServingModel) -> Inference_ModelInferResponse {
        let selected: [(TensorData, SharedMemorySlice?)] = request.outputs.map { wanted in
            wanted.compactMap { want in outputs.first { $0.name == want.name }.map { ($0, want.sharedMemory) } }
        } ?? outputs.map { ($0, nil) }
        return .with { response in
            response.modelName = model.name
            response.modelVersion = String(model.version)
            response.id = id
            response.outputs = selected.map { output, _ in
                .with {
                    $0.name = output.name
                    $0.datatype = output.datatype.rawValue
                    $0.shape = output.shape.map(Int64.init)
                }
            }
            response.rawOutputContents = selected.map { output, slice in slice == nil ? Data(output.bytes) : Data() }
        }
    }

    // MARK: Errors

    static func version(_ text: String) -> String? { text.isEmpty ? nil : text }

    static func rpcError(_ error: ServerError) -> RPCError {
        let code: RPCError.Code = switch error.code {
        case .invalidArgument: .invalidArgument
        case .notFound: .notFound
        case .unavailable: .unavailable
        case .internalError: .internalError
        case .alreadyExists: .alreadyExists
        case .tooLarge: .resourceExhausted
        }
        return RPCError(code: code, message: error.message)
    }

    static func rpc<T>(_ body: () throws(ServerError) -> T) throws(RPCError) -> T {
        do { return try body() } catch { throw rpcError(error) }
    }

    static func rpcAsync<T>(_ body: () async throws(ServerError) -> T) async throws(RPCError) -> T {
        do { return try await body() } catch { throw rpcError(error) }
    }
}
