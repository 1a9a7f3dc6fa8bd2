import FlexJSON
import FlexTensor
import Foundation
import HTTPTypes
import Hummingbird
import Logging
import NIOCore

/// The Open Inference Protocol over HTTP/REST as Triton serves it, with Triton's model repository,
/// configuration and statistics extensions. Every handler runs on the request's task; an error is
/// answered as `{"error": "..."}` with Triton's status mapping, logged, and leaves the server serving.
struct HTTPEndpoints: Sendable {
    let state: ServerState
    let maxRequestBytes: Int
    let logger: Logger

    static let inferenceHeaderLength = HTTPField.Name("Inference-Header-Content-Length")!

    func router() -> Router<BasicRequestContext> {
        let router = Router(context: BasicRequestContext.self)
        router.get("v2/health/live") { _, _ in Self.health([("live", .bool(true))], true) }
        router.get("v2/health/ready") { _, _ in Self.health([("ready", .bool(state.isReady))], state.isReady) }
        router.get("v2") { request, _ in respond(request) { Self.json(state.serverMetadata) } }
        router.get("v2/models") { request, _ in
            respond(request) { Self.json(.object([("models", .array(state.manager.servingModels.map { .string($0.name) }))])) }
        }
        router.get("v2/models/stats") { request, _ in respond(request) { Self.json(state.statistics(of: nil, version: nil)) } }
        for versioned in [false, true] {
            let base: RouterPath = versioned ? "v2/models/:name/versions/:version" : "v2/models/:name"
            let version: @Sendable (BasicRequestContext) -> String? = { context in versioned ? context.parameters.get("version") : nil }
            router.get(base) { request, context in
                respond(request) {
                    Self.json(try state.modelMetadata(try context.parameters.require("name"), version: version(context)))
                }
            }
            router.get(RouterPath(stringLiteral: base.description + "/ready")) { _, context in
                let name = context.parameters.get("name") ?? ""
                let ready = state.manager.isReady(name, version: version(context))
                return Self.health([("name", .string(name)), ("ready", .bool(ready))], ready)
            }
            router.get(RouterPath(stringLiteral: base.description + "/config")) { request, context in
                respond(request) {
                    Self.json(try state.manager.model(try context.parameters.require("name"), version: version(context)).config.json)
                }
            }
            router.get(RouterPath(stringLiteral: base.description + "/stats")) { request, context in
                respond(request) { Self.json(try state.statisticsChecked(of: try context.parameters.require("name"), version: version(context))) }
            }
            router.post(RouterPath(stringLiteral: base.description + "/infer")) { request, context in
                let name = context.parameters.get("name") ?? ""
                let requestVersion = version(context)
                return await respondAsync(request) {
                    let headerLength = try Self.headerLength(request)
                    let body = try await collect(request, alignedOffset: headerLength ?? 0)
                    // Refused before the model counts it, as are the other framing errors.
                    if let headerLength, headerLength > body.count {
                        throw ServerError.invalid("Inference-Header-Content-Length is \(headerLength) but the body has only \(body.count) bytes")
                    }
                    let result = try await state.infer(name, version: requestVersion, body: body, headerLength: headerLength)
                    var headers = HTTPFields()
                    if let length = result.headerLength {
                        headers[.contentType] = "application/octet-stream"
                        headers[Self.inferenceHeaderLength] = String(length)
                    } else {
                        headers[.contentType] = "application/json"
                    }
                    return Response(status: .ok, headers: headers, body: ResponseBody(byteBuffer: ByteBuffer(bytes: result.body)))
                }
            }
        }
        router.post("v2/repository/index") { request, _ in
            await respondAsync(request) {
                let body = try await collect(request)
                var readyOnly = false
                if !body.isEmpty {
                    let json: JSONValue
                    do { json = try JSONValue.parse(body, maximumDepth: JSONLimits.depth) } catch let error as JSONSyntaxError { throw ServerError.invalid("malformed JSON in the repository index request: \(error)") }
                    if let ready = json["ready"] {
                        guard let flag = ready.bool else { throw ServerError.invalid("\"ready\" must be true or false, not \(ready.kindDescription)") }
                        readyOnly = flag
                    }
                }
                return Self.json(state.repositoryIndex(readyOnly: readyOnly))
            }
        }
        router.post("v2/repository/models/:name/load") { request, context in
            let name = context.parameters.get("name") ?? ""
            return await respondAsync(request) {
                let body = try await collect(request)
                try await state.load(name, body: body)
                return Self.empty(.ok)
            }
        }
        router.post("v2/repository/models/:name/unload") { request, context in
            let name = context.parameters.get("name") ?? ""
            return await respondAsync(request) {
                let body = try await collect(request)
                try await state.unload(name, body: body)
                return Self.empty(.ok)
            }
        }
        // Triton's system shared memory extension.
        router.get("v2/systemsharedmemory/status") { request, _ in respond(request) { Self.json(try state.sharedMemoryStatus(nil)) } }
        router.get("v2/systemsharedmemory/region/:region/status") { request, context in
            respond(request) { Self.json(try state.sharedMemoryStatus(try context.parameters.require("region"))) }
        }
        router.post("v2/systemsharedmemory/region/:region/register") { request, context in
            let name = context.parameters.get("region") ?? ""
            return await respondAsync(request) {
                let (key, offset, byteSize) = try Self.sharedMemoryRegistration(try await collect(request))
                try state.registerSharedMemory(name, key: key, offset: offset, byteSize: byteSize)
                return Self.empty(.ok)
            }
        }
        router.post("v2/systemsharedmemory/unregister") { request, _ in
            await respondAsync(request) {
                _ = try await collect(request)
                state.unregisterSharedMemory(nil)
                return Self.empty(.ok)
            }
        }
        router.post("v2/systemsharedmemory/region/:region/unregister") { request, context in
            let name = context.parameters.get("region") ?? ""
            return await respondAsync(request) {
                _ = try await collect(request)
                state.unregisterSharedMemory(name)
                return Self.empty(.ok)
            }
        }
        return router
    }

    /// A register request's `{"key": "/name", "offset": bytes, "byte_size": bytes}` (offset may be left out: 0).
    private static func sharedMemoryRegistration(_ body: SharedBytes) throws(ServerError) -> (key: String, offset: Int, byteSize: Int) {
        let json: JSONValue
        do { json = try JSONValue.parse(body, maximumDepth: JSONLimits.depth) } catch {
            throw .invalid("malformed JSON in the shared memory register request: \(error)")
        }
        guard let key = json["key"]?.string, !key.isEmpty else {
            throw .invalid("the shared memory register request needs {\"key\": the shared memory object's name, \"offset\": bytes, \"byte_size\": bytes}")
        }
        func bytes(_ field: String, default value: Int?) throws(ServerError) -> Int {
            guard let item = json[field] else {
                if let value { return value }
                throw .invalid("the shared memory register request for key '\(key)' needs \"\(field)\", a whole number of bytes")
            }
            guard let number = item.int, number >= 0 else { throw .invalid("\"\(field)\" must be a whole number of bytes >= 0, not \(item.serialized)") }
            return number
        }
        return (key, try bytes("offset", default: 0), try bytes("byte_size", default: nil))
    }

    // MARK: Bodies

    /// The request body, at most `maxRequestBytes` (413 beyond), copied once from the network's
    /// buffers. With `Content-Length` the copy goes straight into the body's own buffer, placed so that
    /// byte `alignedOffset` (where a binary request's first tensor starts) lands on a 64-byte boundary:
    /// that tensor is then handed to the cores in place. Without it (chunked), chunks are gathered first.
    private func collect(_ request: Request, alignedOffset: Int = 0) async throws -> SharedBytes {
        let length = request.headers[.contentLength].flatMap { Int($0) }
        if let length, length > maxRequestBytes { throw Self.tooLarge(length, maxRequestBytes) }
        guard let length else {
            var bytes: [UInt8] = []
            for try await chunk in request.body {
                guard chunk.readableBytes <= maxRequestBytes - bytes.count else { throw Self.tooLarge(nil, maxRequestBytes) }
                chunk.withUnsafeReadableBytes { bytes.append(contentsOf: $0) }
            }
            return SharedBytes(bytes)
        }
        guard length >= 0 else { throw ServerError.invalid("Content-Length must be a whole number of bytes >= 0, not \(length)") }
        let alignment = TensorBuffer.alignment
        let start = (alignment - alignedOffset % alignment) % alignment
        let storage = TensorBuffer(uninitializedByteCount: start + length)
        var end = start
        for try await chunk in request.body {
            // HTTP/1.1 framing stops the body at Content-Length; this guard only keeps a bug from writing past the buffer.
            guard chunk.readableBytes <= start + length - end else { throw ServerError.invalid("the request body is longer than its Content-Length \(length)") }
            chunk.withUnsafeReadableBytes { source in
                if let base = source.baseAddress { (storage.baseAddress + end).copyMemory(from: base, byteCount: source.count) }
            }
            end += chunk.readableBytes
        }
        guard end == start + length else { throw ServerError.invalid("the request body ended after \(end - start) of its Content-Length \(length) bytes") }
        return SharedBytes(viewing: storage, start..<end)
    }

    private static func tooLarge(_ length: Int?, _ limit: Int) -> ServerError {
        ServerError(.tooLarge, "the request body" + (length.map { " (\($0) bytes)" } ?? "") + " is over the server's limit of \(limit) bytes (flexeg serve --max-request-bytes)")
    }

    /// `Inference-Header-Content-Length`, read before the body so the body can be laid out around it.
    private static func headerLength(_ request: Request) throws(ServerError) -> Int? {
        guard let text = request.headers[inferenceHeaderLength] else { return nil }
        guard let value = Int(text.trimmingCharacters(in: .whitespaces)), value >= 0 else {
            throw .invalid("Inference-Header-Content-Length must be a whole number of bytes >= 0, not '\(text)'")
        }
        return value
    }

    // MARK: Responses

    private func respond(_ request: Request, _ body: () throws -> Response) -> Response {
        do { return try body() } catch { return failure(error, request) }
    }

    private func respondAsync(_ request: Request, _ body: () async throws -> Response) async -> Response {
        do { return try await body() } catch { return failure(error, request) }
    }

    private func failure(_ error: any Error, _ request: Request) -> Response {
        let serverError = error as? ServerError ?? ServerError(.internalError, "\(error)")
        logger.warning("error response", metadata: [
            "method": "\(request.method)", "path": "\(request.uri.path)", "status": "\(serverError.code.httpStatus)", "error": "\(serverError.message)",
        ])
        var headers = HTTPFields()
        headers[.contentType] = "application/json"
        let body = JSONValue.object([("error", .string(serverError.message))]).serialized
        return Response(status: HTTPResponse.Status(code: serverError.code.httpStatus), headers: headers,
                        body: ResponseBody(byteBuffer: ByteBuffer(string: body)))
    }

    static func json(_ value: JSONValue) -> Response {
        var headers = HTTPFields()
        headers[.contentType] = "application/json"
        return Response(status: .ok, headers: headers, body: ResponseBody(byteBuffer: ByteBuffer(string: value.serialized)))
    }

    /// A health or readiness answer: the status as Triton sends it (200, or 400 for false; its
    /// clients read only that) and the Open Inference Protocol's body (`{"live": true}`,
    /// `{"ready": …}`, `{"name": …, "ready": …}`), which KServe's clients read.
    static func health(_ members: [(key: String, value: JSONValue)], _ isTrue: Bool) -> Response {
        var response = json(.object(members))
        response.status = isTrue ? .ok : .badRequest
        return response
    }

    /// Triton answers load and unload with a status and no body.
    static func empty(_ status: HTTPResponse.Status) -> Response {
        var headers = HTTPFields()
        headers[.contentLength] = "0"
        return Response(status: status, headers: headers)
    }
}
