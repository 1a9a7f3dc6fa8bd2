import FlexJSON

/// An inference request after decoding: inputs checked against the model (names, datatypes, shapes,
/// element and byte counts), the outputs asked for, and how each output is to be returned.
struct DecodedInference: Sendable {
    struct RequestedOutput: Sendable {
        var name: String
        /// Per-output `binary_data`; nil: the request-wide default.
        var binary: Bool?
        /// Where the output is to be written instead of the response (`shared_memory_region`).
        var sharedMemory: SharedMemorySlice? = nil
    }

    var id: String?
    var inputs: [TensorData]
    /// nil: every output.
    var outputs: [RequestedOutput]?
    /// `binary_data_output`, or true in raw binary mode.
    var binaryByDefault: Bool

    /// Writes each output asked for in shared memory into its slice.
    func writeSharedMemoryOutputs(_ results: [TensorData]) throws(ServerError) {
        for wanted in outputs ?? [] {
            guard let slice = wanted.sharedMemory, let result = results.first(where: { $0.name == wanted.name }) else { continue }
            try slice.write(result.bytes, output: wanted.name)
        }
    }
    /// The leading dimension of the first input (Triton's `inference_count` counts batch elements).
    var batchSize: UInt64 {
        guard let first = inputs.first?.shape.first, first > 0 else { return 1 }
        return UInt64(first)
    }
}

/// The Open Inference Protocol's JSON body, and Triton's binary tensor extension, in both directions.
/// Pure functions of their arguments.
enum InferenceCodec {
    /// Decodes a REST request body. `headerLength` is `Inference-Header-Content-Length` (nil: the
    /// whole body is JSON; 0: raw binary mode, the body is the one input's bytes). Tensors whose
    /// parameters name a region of `sharedMemory` are read from, or to be written to, it.
    static func decode(body: SharedBytes, headerLength: Int?, model: ServingModel, sharedMemory: SharedMemoryRegistry) throws(ServerError) -> DecodedInference {
        if headerLength == 0 {
            guard model.inputs.count == 1, var input = model.inputs.first else {
                throw .invalid("raw binary request (Inference-Header-Content-Length: 0) for model '\(model.name)', which has \(model.inputs.count) inputs; raw mode needs exactly 1")
            }
            if model.maxBatchSize > 0 { input.shape[0] = 1 }  // raw mode is batch 1
            let expected = input.byteCount
            guard body.count == expected else {
                throw .invalid("raw binary request for model '\(model.name)' has \(body.count) bytes; input '\(input.name)' (\(input.datatype.rawValue) \(input.shape)) takes \(expected)")
            }
            return DecodedInference(id: nil, inputs: [TensorData(input, bytes: body)], outputs: nil, binaryByDefault: true)
        }
        let jsonLength = headerLength ?? body.count
        guard jsonLength <= body.count else {
            throw .invalid("Inference-Header-Content-Length is \(jsonLength) but the body has only \(body.count) bytes")
        }
        let json: JSONValue
        do { json = try body.prefix(jsonLength).withUnsafeBytes { header throws(JSONSyntaxError) in try JSONValue.parse(header, maximumDepth: JSONLimits.depth) } } catch {
            throw .invalid("malformed JSON in the inference request: \(error)")
        }
        guard json.isObject else { throw .invalid("the inference request must be a JSON object, not \(json.kindDescription)") }
        var binary = body.dropFirst(jsonLength)

        var id: String?
        if let value = json["id"] {
            guard let text = value.string else { throw .invalid("the request's \"id\" must be a string, not \(value.kindDescription)") }
            id = text
        }
        let binaryByDefault = try boolParameter(json["parameters"], "binary_data_output", what: "the request") ?? false

        guard let inputList = json["inputs"]?.array else {
            throw .invalid("the inference request needs \"inputs\": an array of {\"name\", \"shape\", \"datatype\", \"data\"}")
        }
        var inputs: [TensorData] = []
        for (index, item) in inputList.enumerated() {
            guard item.isObject else { throw .invalid("inputs[\(index)] must be an object, not \(item.kindDescription)") }
            guard let name = item["name"]?.string else { throw .invalid("inputs[\(index)] needs a \"name\" string") }
            guard !inputs.contains(where: { $0.name == name }) else { throw .invalid("input '\(name)' is given twice") }
            guard let typeName = item["datatype"]?.string else { throw .invalid("input '\(name)' needs a \"datatype\" string (\(TensorDataType.validNames))") }
            guard let shapeList = item["shape"]?.array else { throw .invalid("input '\(name)' needs a \"shape\" array of whole numbers") }
            var shape: [Int] = []
            for dim in shapeList {
                guard let value = dim.int, value >= 0 else { throw .invalid("input '\(name)' has shape \(JSONValue.array(shapeList).serialized); dims must be whole numbers >= 0") }
                shape.append(value)
            }
            let description = try checkedInput(name: name, datatype: typeName, shape: shape, model: model)
            let datatype = description.datatype
            if let slice = try sharedMemorySlice(item["parameters"], sharedMemory, what: "input '\(name)'") {
                guard item["data"] == nil, item["parameters"]?["binary_data_size"] == nil else {
                    throw .invalid("input '\(name)' is in shared memory region '\(slice.region.name)', so it takes neither \"data\" nor binary_data_size")
                }
                inputs.append(TensorData(description, bytes: try slice.readInput(description)))
            } else if let binarySize = try intParameter(item["parameters"], "binary_data_size", what: "input '\(name)'") {
                guard binarySize == description.byteCount else {
                    throw .invalid("input '\(name)' has binary_data_size \(binarySize); \(datatype.rawValue) \(shape) is \(description.byteCount) bytes")
                }
                guard binarySize <= binary.count else {
                    throw .invalid("input '\(name)' has binary_data_size \(binarySize) but only \(binary.count) bytes of binary data remain after the JSON header")
                }
                inputs.append(TensorData(description, bytes: binary.prefix(binarySize)))
                binary = binary.dropFirst(binarySize)
            } else {
                guard let data = item["data"] else { throw .invalid("input '\(name)' has neither \"data\" nor a binary_data_size parameter") }
                var bytes: [UInt8] = []
                bytes.reserveCapacity(description.byteCount)
                var count = 0
                try appendElements(data, datatype, name: name, to: &bytes, count: &count)
                guard count == description.elementCount else {
                    throw .invalid("input '\(name)' has \(count) elements in \"data\"; shape \(shape) needs \(description.elementCount)")
                }
                inputs.append(TensorData(description, bytes: bytes))
            }
        }
        guard binary.isEmpty else {
            throw .invalid("the body has \(binary.count) bytes of binary data that no input's binary_data_size accounts for")
        }
        try checkComplete(inputs, model: model)

        var outputs: [DecodedInference.RequestedOutput]?
        if let list = json["outputs"] {
            guard let items = list.array else { throw .invalid("\"outputs\" must be an array of {\"name\"}") }
            outputs = []
            for (index, item) in items.enumerated() {
                guard let name = item["name"]?.string else { throw .invalid("outputs[\(index)] needs a \"name\" string") }
                guard model.outputs.contains(where: { $0.name == name }) else {
                    throw .invalid("unexpected inference output '\(name)' for model '\(model.name)'; its outputs are " + ModelManager.list(model.outputs.map(\.name)))
                }
                outputs!.append(.init(name: name, binary: try boolParameter(item["parameters"], "binary_data", what: "output '\(name)'"),
                                      sharedMemory: try sharedMemorySlice(item["parameters"], sharedMemory, what: "output '\(name)'")))
            }
        }
        return DecodedInference(id: id, inputs: inputs, outputs: outputs, binaryByDefault: binaryByDefault)
    }

    /// An input's name, datatype and shape checked against `model`'s inputs.
    static func checkedInput(name: String, datatype typeName: String, shape: [Int], model: ServingModel) throws(ServerError) -> TensorDescription {
        guard let expected = model.inputs.first(where: { $0.name == name }) else {
            throw .invalid("unexpected inference input '\(name)' for model '\(model.name)'; its inputs are " + ModelManager.list(model.inputs.map(\.name)))
        }
        guard let datatype = TensorDataType(rawValue: typeName) else {
            throw .invalid("input '\(name)' has datatype '\(typeName)'; valid datatypes: \(TensorDataType.validNames)")
        }
        guard datatype == expected.datatype else {
            throw .invalid("input '\(name)' has datatype \(datatype.rawValue); model '\(model.name)' takes \(expected.datatype.rawValue)")
        }
        if model.maxBatchSize > 0 {
            guard shape.count == expected.shape.count, shape.dropFirst() == expected.shape.dropFirst() else {
                throw .invalid("input '\(name)' has shape \(shape); model '\(model.name)' takes \(expected.shape) (-1: a batch of 1 to \(model.maxBatchSize))")
            }
            guard (1...model.maxBatchSize).contains(shape[0]) else {
                throw .invalid("input '\(name)' has batch \(shape[0]); model '\(model.name)' takes batches of 1 to its max_batch_size \(model.maxBatchSize)")
            }
        } else if shape != expected.shape {
            throw .invalid("input '\(name)' has shape \(shape); model '\(model.name)' takes \(expected.shape)")
        }
        return TensorDescription(name: name, datatype: datatype, shape: shape)
    }

    /// Every input of `model` is in `inputs`.
    static func checkComplete(_ inputs: [TensorData], model: ServingModel) throws(ServerError) {
        for expected in model.inputs where !inputs.contains(where: { $0.name == expected.name }) {
            throw .invalid("model '\(model.name)' expects input '\(expected.name)' (\(expected.datatype.rawValue) \(expected.shape)), which the request lacks")
        }
        if model.maxBatchSize > 0, Set(inputs.compactMap { $0.shape.first }).count > 1 {
            throw .invalid("the inputs of a request to model '\(model.name)' must have one batch size (leading dimension); they have \(inputs.map { $0.shape.first ?? 0 })")
        }
    }

    /// The response body: JSON alone, or (when any output is binary) the JSON header followed by
    /// the binary outputs; `headerLength` is then the JSON's byte count, for
    /// `Inference-Header-Content-Length`.
    static func encode(_ outputs: [TensorData], request: DecodedInference, model: ServingModel) -> (body: [UInt8], headerLength: Int?) {
        let selected: [(TensorData, Bool, SharedMemorySlice?)]
        if let requested = request.outputs {
            selected = requested.compactMap { want in
                outputs.first(where: { $0.name == want.name }).map { ($0, want.binary ?? request.binaryByDefault, want.sharedMemory) }
            }
        } else {
            selected = outputs.map { ($0, request.binaryByDefault, nil) }
        }
        var binary: [UInt8] = []
        var text = "{\"model_name\":"
        JSONValue.writeString(model.name, to: &text)
        text += ",\"model_version\":\"\(model.version)\""
        if let id = request.id {
            text += ",\"id\":"
            JSONValue.writeString(id, to: &text)
        }
        text += ",\"outputs\":["
        for (index, (output, asBinary, slice)) in selected.enumerated() {
            if index > 0 { text += "," }
            text += "{\"name\":"
            JSONValue.writeString(output.name, to: &text)
            text += ",\"datatype\":\"\(output.datatype.rawValue)\",\"shape\":[" + output.shape.map(String.init).joined(separator: ",") + "]"
            if slice != nil {
                // Written to the region already (`DecodedInference.writeSharedMemoryOutputs`). Like
                // Triton, the entry has no `parameters`: its C++ client reads any output that has
                // them as binary data and fails without `binary_data_size`.
                text += "}"
            } else if asBinary {
                text += ",\"parameters\":{\"binary_data_size\":\(output.bytes.count)}}"
                binary.append(contentsOf: output.bytes)
            } else {
                text += ",\"data\":["
                writeElements(output, to: &text)
                text += "]}"
            }
        }
        text += "]}"
        let header = Array(text.utf8)
        if selected.contains(where: { $0.1 && $0.2 == nil }) { return (header + binary, header.count) }
        return (header, nil)
    }

    // MARK: Parameters

    private static func boolParameter(_ parameters: JSONValue?, _ key: String, what: String) throws(ServerError) -> Bool? {
        guard let value = parameters?[key] else { return nil }
        guard let flag = value.bool else { throw .invalid("\(what): parameter \(key) must be true or false, not \(value.kindDescription)") }
        return flag
    }

    /// The slice an input's or output's `shared_memory_*` parameters name (nil: none).
    private static func sharedMemorySlice(_ parameters: JSONValue?, _ registry: SharedMemoryRegistry, what: String) throws(ServerError) -> SharedMemorySlice? {
        var region: String?
        if let value = parameters?["shared_memory_region"] {
            guard let text = value.string else { throw .invalid("\(what): parameter shared_memory_region must be a string, not \(value.kindDescription)") }
            region = text
        }
        return try registry.slice(region: region, offset: try intParameter(parameters, "shared_memory_offset", what: what),
                                  byteSize: try intParameter(parameters, "shared_memory_byte_size", what: what), what: what)
    }

    private static func intParameter(_ parameters: JSONValue?, _ key: String, what: String) throws(ServerError) -> Int? {
        guard let value = parameters?[key] else { return nil }
        guard let number = value.int, number >= 0 else { throw .invalid("\(what): parameter \(key) must be a whole number >= 0, not \(value.serialized)") }
        return number
    }

    // MARK: Elements

    /// Appends `data` (nested arrays or flat, row-major) as little-endian `datatype` elements.
    private static func appendElements(_ data: JSONValue, _ datatype: TensorDataType, name: String, to bytes: inout [UInt8], count: inout Int) throws(ServerError) {
        if case .array(let items) = data {
            for item in items { try appendElements(item, datatype, name: name, to: &bytes, count: &count) }
            return
        }
        count += 1
        func bad(_ expected: String) -> ServerError {
            .invalid("input '\(name)' element \(count - 1) is \(data.serialized.prefix(40)); \(datatype.rawValue) takes \(expected)")
        }
        func append<T: FixedWidthInteger>(_ value: T) {
            withUnsafeBytes(of: value.littleEndian) { bytes.append(contentsOf: $0) }
        }
        switch datatype {
        case .bool:
            guard let flag = data.bool else { throw bad("true or false") }
            bytes.append(flag ? 1 : 0)
        case .bytes:
            guard let text = data.string else { throw bad("strings") }
            let utf8 = Array(text.utf8)
            append(UInt32(utf8.count))
            bytes.append(contentsOf: utf8)
        case .fp32, .fp64, .fp16, .bf16:
            guard case .number(let text) = data, let value = Double(text) else { throw bad("numbers") }
            switch datatype {
            case .fp32: append(Float(value).bitPattern)
            case .fp64: append(value.bitPattern)
            case .fp16: append(Float16(Float(value)).bitPattern)
            default: append(UInt16(truncatingIfNeeded: Float(value).bitPattern >> 16))
            }
        default:
            guard case .number(let text) = data else { throw bad("whole numbers") }
            let signed = [.int8, .int16, .int32, .int64].contains(datatype)
            if signed {
                guard let value = Int64(text) ?? Double(text).flatMap({ $0.rounded() == $0 ? Int64(exactly: $0) : nil }) else { throw bad("whole numbers") }
                switch datatype {
                case .int8: guard let v = Int8(exactly: value) else { throw bad("whole numbers from -128 to 127") }; append(v)
                case .int16: guard let v = Int16(exactly: value) else { throw bad("whole numbers from -32768 to 32767") }; append(v)
                case .int32: guard let v = Int32(exactly: value) else { throw bad("32-bit whole numbers") }; append(v)
                default: append(value)
                }
            } else {
                guard let value = UInt64(text) ?? Double(text).flatMap({ $0.rounded() == $0 ? UInt64(exactly: $0) : nil }) else { throw bad("whole numbers >= 0") }
                switch datatype {
                case .uint8: guard let v = UInt8(exactly: value) else { throw bad("whole numbers from 0 to 255") }; append(v)
                case .uint16: guard let v = UInt16(exactly: value) else { throw bad("whole numbers from 0 to 65535") }; append(v)
                case .uint32: guard let v = UInt32(exactly: value) else { throw bad("32-bit whole numbers >= 0") }; append(v)
                default: append(value)
                }
            }
        }
    }

    /// Writes `tensor`'s elements as a flat, comma-separated JSON list (non-finite floats as null).
    private static func writeElements(_ tensor: TensorData, to text: inout String) {
        let bytes = Array(tensor.bytes)  // indexed from 0 below; JSON output is the slow path anyway
        func load<T: FixedWidthInteger>(_ type: T.Type, _ index: Int) -> T {
            var value = T.zero
            withUnsafeMutableBytes(of: &value) { target in
                for offset in 0..<MemoryLayout<T>.size { target[offset] = bytes[index * MemoryLayout<T>.size + offset] }
            }
            return T(littleEndian: value)
        }
        func float(_ value: Double) -> String { value.isFinite ? "\(value)" : "null" }
        func float(_ value: Float) -> String { value.isFinite ? "\(value)" : "null" }
        let count = tensor.description.elementCount
        var parts: [String] = []
        parts.reserveCapacity(count)
        switch tensor.datatype {
        case .fp32: for i in 0..<count { parts.append(float(Float(bitPattern: load(UInt32.self, i)))) }
        case .fp64: for i in 0..<count { parts.append(float(Double(bitPattern: load(UInt64.self, i)))) }
        case .fp16: for i in 0..<count { parts.append(float(Float(Float16(bitPattern: load(UInt16.self, i))))) }
        case .bf16: for i in 0..<count { parts.append(float(Float(bitPattern: UInt32(load(UInt16.self, i)) << 16))) }
        case .bool: for i in 0..<count { parts.append(bytes[i] != 0 ? "true" : "false") }
        case .uint8: for i in 0..<count { parts.append(String(bytes[i])) }
        case .int8: for i in 0..<count { parts.append(String(Int8(bitPattern: bytes[i]))) }
        case .uint16: for i in 0..<count { parts.append(String(load(UInt16.self, i))) }
        case .int16: for i in 0..<count { parts.append(String(load(Int16.self, i))) }
        case .uint32: for i in 0..<count { parts.append(String(load(UInt32.self, i))) }
        case .int32: for i in 0..<count { parts.append(String(load(Int32.self, i))) }
        case .uint64: for i in 0..<count { parts.append(String(load(UInt64.self, i))) }
        case .int64: for i in 0..<count { parts.append(String(load(Int64.self, i))) }
        case .bytes:
            var offset = 0
            while offset + 4 <= bytes.count {
                let length = Int(UInt32(bytes[offset]) | UInt32(bytes[offset + 1]) << 8 | UInt32(bytes[offset + 2]) << 16 | UInt32(bytes[offset + 3]) << 24)
                let end = min(bytes.count, offset + 4 + length)
                var piece = ""
                JSONValue.writeString(String(decoding: bytes[(offset + 4)..<end], as: UTF8.self), to: &piece)
                parts.append(piece)
                offset = end
            }
        }
        text += parts.joined(separator: ",")
    }
}
