import FlexTestSupport
import Foundation
#if canImport(FoundationNetworking)
import FoundationNetworking
#endif

/// A real `flexeg serve` process on ephemeral loopback ports (`--http-port 0 --metrics-port 0`),
/// started from the `flexeg` binary SwiftPM builds beside the test bundle. Its NeuronCore locks live
/// in a private `FLEXEG_RUNTIME_DIR`, so it never contends with other runs on the machine. `stop()`
/// sends SIGTERM and waits (bounded) for a clean exit; `deinit` kills it if a test did not.
final class ServerProcess: @unchecked Sendable {
    let process = Process()
    let httpPort: Int
    let metricsPort: Int
    let grpcPort: Int
    let output: String
    let errors: String
    private let directory: TemporaryDirectory

    /// Starts the server and waits (at most `timeout` seconds) for its `ready` line.
    /// `runtimeDirectory`: the `FLEXEG_RUNTIME_DIR` to use (default: a private one).
    init(arguments: [String], environment: [String: String] = [:], runtimeDirectory: String? = nil, timeout: Double = 120) throws {
        directory = try TemporaryDirectory(prefix: "flexeg-serve-test")
        output = directory.path + "/stdout"
        errors = directory.path + "/stderr"
        _ = FileManager.default.createFile(atPath: output, contents: nil)
        _ = FileManager.default.createFile(atPath: errors, contents: nil)
        try FileManager.default.createDirectory(atPath: directory.path + "/runtime", withIntermediateDirectories: true)
        process.executableURL = URL(fileURLWithPath: Self.executable)
        process.arguments = ["serve", "--http-port", "0", "--metrics-port", "0", "--grpc-port", "0"] + arguments
        var env = ProcessInfo.processInfo.environment
        for key in ["NEURON_RT_VISIBLE_CORES", "NEURON_RT_NUM_CORES", "NEURONCORE_GROUP_SIZES"] { env[key] = nil }
        env["FLEXEG_RUNTIME_DIR"] = runtimeDirectory ?? directory.path + "/runtime"
        process.environment = env.merging(environment) { $1 }
        process.standardOutput = try FileHandle(forWritingTo: URL(fileURLWithPath: output))
        process.standardError = try FileHandle(forWritingTo: URL(fileURLWithPath: errors))
        try process.run()

        let deadline = Date().addingTimeInterval(timeout)
        var http: Int?, metrics: Int?, grpc: Int?
        while Date() < deadline {
            let text = (try? String(contentsOfFile: output, encoding: .utf8)) ?? ""
            http = Self.port(in: text, after: "HTTP listening on ")
            metrics = Self.port(in: text, after: "metrics listening on ")
            grpc = Self.port(in: text, after: "gRPC listening on ")
            if text.contains("flexeg serve: ready"), http != nil, grpc != nil { break }
            guard process.isRunning else { break }
            Thread.sleep(forTimeInterval: 0.05)
        }
        guard let http, process.isRunning else {
            let stderr = (try? String(contentsOfFile: errors, encoding: .utf8)) ?? ""
            let exited = !process.isRunning
            if process.isRunning { process.terminate() }
            process.waitUntilExit()
            throw ServerStartFailure(
                description: "flexeg " + (process.arguments ?? []).joined(separator: " ") + " did not become ready within \(timeout) s: " + stderr,
                exitStatus: exited ? process.terminationStatus : nil,
                stdout: (try? String(contentsOfFile: output, encoding: .utf8)) ?? "",
                stderr: stderr)
        }
        httpPort = http
        metricsPort = metrics ?? 0
        grpcPort = grpc ?? 0
    }

    deinit {
        if process.isRunning { kill(process.processIdentifier, SIGKILL) }
    }

    var stdout: String { (try? String(contentsOfFile: output, encoding: .utf8)) ?? "" }
    var stderr: String { (try? String(contentsOfFile: errors, encoding: .utf8)) ?? "" }

    /// SIGTERM, then waits at most `timeout` seconds; returns the exit status (nil: it did not exit,
    /// and was killed).
    @discardableResult
    func stop(timeout: Double = 30) -> Int32? {
        guard process.isRunning else { return process.terminationStatus }
        kill(process.processIdentifier, SIGTERM)
        let deadline = Date().addingTimeInterval(timeout)
        while process.isRunning, Date() < deadline { Thread.sleep(forTimeInterval: 0.05) }
        if process.isRunning {
            kill(process.processIdentifier, SIGKILL)
            return nil
        }
        return process.terminationStatus
    }

    /// `.build/<config>/flexeg`, found by walking up from the test binary.
    static var executable: String {
        var directory = URL(fileURLWithPath: CommandLine.arguments[0]).deletingLastPathComponent()
        while !FileManager.default.fileExists(atPath: directory.appendingPathComponent("flexeg").path), directory.path != "/" {
            directory.deleteLastPathComponent()
        }
        return directory.appendingPathComponent("flexeg").path
    }

    private static func port(in text: String, after marker: String) -> Int? {
        guard let range = text.range(of: marker) else { return nil }
        let rest = text[range.upperBound...].prefix { $0 != "\n" }
        return rest.split(separator: ":").last.flatMap { Int($0) }
    }

    // MARK: HTTP

    struct Reply: Sendable {
        var status: Int
        var headers: [String: String]
        var body: Data
        var text: String { String(decoding: body, as: UTF8.self) }
        var json: Any? { try? JSONSerialization.jsonObject(with: body, options: [.fragmentsAllowed]) }
        /// `{"error": ...}`'s message.
        var error: String? { (json as? [String: Any])?["error"] as? String }
    }

    func get(_ path: String, port: Int? = nil) async throws -> Reply {
        try await request("GET", path, body: nil, port: port)
    }

    func post(_ path: String, _ body: Data? = nil, headers: [String: String] = [:]) async throws -> Reply {
        try await request("POST", path, body: body, headers: headers)
    }

    func post(_ path: String, json: String) async throws -> Reply {
        try await request("POST", path, body: Data(json.utf8), headers: ["Content-Type": "application/json"])
    }

    func request(_ method: String, _ path: String, body: Data?, headers: [String: String] = [:], port: Int? = nil) async throws -> Reply {
        var request = URLRequest(url: URL(string: "http://127.0.0.1:\(port ?? httpPort)/\(path)")!)
        request.httpMethod = method
        request.httpBody = body
        request.timeoutInterval = 60
        for (key, value) in headers { request.setValue(value, forHTTPHeaderField: key) }
        let (data, response) = try await URLSession.shared.data(for: request)
        let http = response as! HTTPURLResponse
        var fields: [String: String] = [:]
        for (key, value) in http.allHeaderFields { fields[String(describing: key).lowercased()] = String(describing: value) }
        return Reply(status: http.statusCode, headers: fields, body: data)
    }

    func metrics() async throws -> String {
        try await get("metrics", port: metricsPort).text
    }
}

struct ServerStartFailure: Error, CustomStringConvertible {
    var description: String
    /// The server's exit status when it exited by itself before becoming ready (nil: it was still
    /// running at the deadline, and was stopped).
    var exitStatus: Int32?
    var stdout: String
    var stderr: String
}

/// A temporary Triton-layout repository holding the seed's four demo models (`Sources/flexeg/
/// DemoModels`, copied, symlinks resolved) under the example repository's configs, so tests never
/// write compiled caches into the checkout.
final class DemoRepository: Sendable {
    let directory: TemporaryDirectory
    var path: String { directory.path }
    static let models = [("A", "model_a"), ("B", "model_b"), ("C", "model_c"), ("D", "model_d")]

    init(startIndexes: [String: Int]? = nil) throws {
        directory = try TemporaryDirectory(prefix: "flexeg-repository")
        let root = RepositoryPaths.root()
        for (name, source) in Self.models {
            let version = path + "/\(name)/1"
            try FileManager.default.createDirectory(atPath: version, withIntermediateDirectories: true)
            let demo = root + "/Sources/flexeg/DemoModels/\(source)/\(source)"
            try FileManager.default.copyItem(atPath: demo + "-symbol.json", toPath: version + "/model-symbol.json")
            try FileManager.default.copyItem(atPath: demo + "-0000.params", toPath: version + "/model-0000.params")
            var config = try String(contentsOfFile: root + "/Examples/model-repository/\(name)/config.pbtxt", encoding: .utf8)
            if let start = startIndexes?[name] {
                config = config.replacingOccurrences(
                    of: #"key: "NEURON_CORE_START_INDEX" value { string_value: "\#(Self.defaultStart(name))" }"#,
                    with: #"key: "NEURON_CORE_START_INDEX" value { string_value: "\#(start)" }"#)
            }
            try config.write(toFile: path + "/\(name)/config.pbtxt", atomically: true, encoding: .utf8)
        }
    }

    static func defaultStart(_ name: String) -> Int { ["A": 0, "B": 2, "C": 6, "D": 9][name]! }

    /// Makes D a dynamically batched model (`max_batch_size: 4`, 500 µs queue delay), still on 4 cores
    /// from 9: its requests then queue in a batcher that its unloads must drain.
    func batchModelD() throws {
        try """
            name: "D"
            max_batch_size: 4
            input [ { name: "data", data_type: TYPE_FP32, dims: [ 3, 32, 32 ] } ]
            dynamic_batching { max_queue_delay_microseconds: 500 }
            parameters { key: "NEURON_CORES" value { string_value: "4" } }
            parameters { key: "NEURON_CORE_START_INDEX" value { string_value: "9" } }
            """.write(toFile: path + "/D/config.pbtxt", atomically: true, encoding: .utf8)
    }

    /// MXNet's input and output for demo model `name` (`in_data.npy`, `out_0.npy`), as float32 lists.
    static func mxnetPair(_ name: String) throws -> (input: [Float], expected: [Float]) {
        let source = models.first { $0.0 == name }!.1
        let folder = RepositoryPaths.root() + "/Sources/flexeg/DemoModels/\(source)"
        return (try NPYFloats.read(folder + "/in_data.npy"), try NPYFloats.read(folder + "/out_0.npy"))
    }
}

/// Reads a little-endian float32 `.npy` file (the demo models' inputs and MXNet outputs).
enum NPYFloats {
    static func read(_ path: String) throws -> [Float] {
        let data = try Data(contentsOf: URL(fileURLWithPath: path))
        let bytes = [UInt8](data)
        let major = bytes[6]
        let headerLength = major == 1 ? Int(bytes[8]) | Int(bytes[9]) << 8
            : Int(bytes[8]) | Int(bytes[9]) << 8 | Int(bytes[10]) << 16 | Int(bytes[11]) << 24
        let start = (major == 1 ? 10 : 12) + headerLength
        let header = String(decoding: bytes[(major == 1 ? 10 : 12)..<start], as: UTF8.self)
        precondition(header.contains("<f4"), "\(path) is not little-endian float32: \(header)")
        return stride(from: start, to: bytes.count - 3, by: 4).map { offset in
            Float(bitPattern: UInt32(bytes[offset]) | UInt32(bytes[offset + 1]) << 8 | UInt32(bytes[offset + 2]) << 16 | UInt32(bytes[offset + 3]) << 24)
        }
    }
}
