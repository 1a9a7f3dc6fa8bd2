import FlexTestSupport
import Foundation
import Testing

/// Long-running `flexeg run --hold` processes and readers of `flexeg ls/monitor` output, for the
/// observability command tests.
enum ObservabilityTestSupport {
    /// A `flexeg run ... --hold SECONDS` child serving its models on the cores `visibleCores`, tagged
    /// `tag`. Killed (SIGKILL) and reaped by `stop()` or when released, so no test leaves it behind;
    /// `--hold` bounds its life anyway.
    final class HeldRun {
        let process = Process()
        let tag: String
        private let log: TemporaryDirectory

        init(models: [String], visibleCores: String, tag: String, runtimeDirectory: String, holdSeconds: Int = 120) throws {
            self.tag = tag
            log = try TemporaryDirectory(prefix: "held-run")
            process.executableURL = URL(fileURLWithPath: CLIRunner.executable)
            process.arguments = ["run", "--cores", "8", "--requests", "4"] + models.flatMap { ["--model", $0] } + ["--hold", "\(holdSeconds)"]
            var environment = ProcessInfo.processInfo.environment.filter { !$0.key.hasPrefix("NEURON") && !$0.key.hasPrefix("FLEXEG_") }
            environment["FLEXEG_RUNTIME_DIR"] = runtimeDirectory
            environment["NEURON_RT_VISIBLE_CORES"] = visibleCores
            environment["NEURON_PROCESS_TAG"] = tag
            process.environment = environment
            FileManager.default.createFile(atPath: log.path + "/out", contents: nil)
            let output = try FileHandle(forWritingTo: URL(fileURLWithPath: log.path + "/out"))
            process.standardOutput = output
            process.standardError = output
            process.standardInput = FileHandle.nullDevice
            try process.run()
            try output.close()
        }

        var pid: Int32 { process.processIdentifier }

        /// What it printed so far (for failure messages).
        var output: String { (try? String(contentsOfFile: log.path + "/out", encoding: .utf8)) ?? "" }

        func stop() {
            if process.isRunning { kill(pid, SIGKILL) }
            process.waitUntilExit()
        }

        deinit { stop() }
    }

    /// Calls `condition` every 0.2 s until it holds; false after `timeout` seconds.
    static func eventually(timeout: Double, _ condition: () throws -> Bool) rethrows -> Bool {
        let deadline = Date(timeIntervalSinceNow: timeout)
        while Date() < deadline {
            if try condition() { return true }
            Thread.sleep(forTimeInterval: 0.2)
        }
        return try condition()
    }

    /// `flexeg ls --json` in `runtimeDirectory`: the one device object.
    static func lsDevice(_ runtimeDirectory: String, _ extra: [String] = []) throws -> [String: Any] {
        let result = try CLIRunner.run(["ls", "--json"] + extra, environment: ["FLEXEG_RUNTIME_DIR": runtimeDirectory])
        try #require(result.status == 0, "flexeg ls --json: \(result.stderr)")
        let devices = try #require(try JSONSerialization.jsonObject(with: Data(result.stdout.utf8)) as? [[String: Any]],
                                   "ls --json prints an array of devices: \(result.stdout.prefix(300))")
        try #require(devices.count == 1)
        return devices[0]
    }

    /// The `neuron_processes` of an `ls --json` device, by pid.
    static func processes(_ device: [String: Any]) -> [Int32: [String: Any]] {
        let list = device["neuron_processes"] as? [[String: Any]] ?? []
        return Dictionary(list.map { (Int32($0["pid"] as? Int ?? -1), $0) }, uniquingKeysWith: { first, _ in first })
    }

    /// Names and NeuronCores of the models a `neuron_processes` entry lists.
    static func models(_ process: [String: Any]?) -> [String: [Int]] {
        let list = process?["models"] as? [[String: Any]] ?? []
        return Dictionary(list.map { ($0["name"] as? String ?? "?", $0["neuroncore_ids"] as? [Int] ?? []) }, uniquingKeysWith: { first, _ in first })
    }

    /// An HTTP GET of `path` on 127.0.0.1:`port`: the status line and body.
    static func httpGet(port: Int, path: String) throws -> (status: String, body: String) {
        let descriptor = socket(AF_INET, Int32(SOCK_STREAM.rawValue), 0)
        try #require(descriptor >= 0)
        defer { close(descriptor) }
        var timeout = timeval(tv_sec: 5, tv_usec: 0)
        _ = setsockopt(descriptor, SOL_SOCKET, SO_RCVTIMEO, &timeout, socklen_t(MemoryLayout<timeval>.size))
        var address = sockaddr_in()
        address.sin_family = sa_family_t(AF_INET)
        address.sin_port = in_port_t(UInt16(port).bigEndian)
        address.sin_addr = in_addr(s_addr: UInt32(0x7f00_0001).bigEndian)
        let connected = withUnsafePointer(to: &address) {
            $0.withMemoryRebound(to: sockaddr.self, capacity: 1) { connect(descriptor, $0, socklen_t(MemoryLayout<sockaddr_in>.size)) }
        }
        try #require(connected == 0, "connect to 127.0.0.1:\(port): errno \(errno)")
        let request = Array("GET \(path) HTTP/1.1\r\nHost: 127.0.0.1\r\n\r\n".utf8)
        _ = send(descriptor, request, request.count, 0)
        var response = Data()
        var buffer = [UInt8](repeating: 0, count: 65536)
        while true {
            let count = recv(descriptor, &buffer, buffer.count, 0)
            guard count > 0 else { break }
            response.append(contentsOf: buffer[0..<count])
        }
        let text = String(decoding: response, as: UTF8.self)
        let parts = text.components(separatedBy: "\r\n\r\n")
        return (parts[0].components(separatedBy: "\r\n")[0], parts.dropFirst().joined(separator: "\r\n\r\n"))
    }

    /// SIGKILLs `pid` and all its descendants (children listed before the parent dies).
    static func killTree(_ pid: Int32) {
        let listed = (try? String(contentsOfFile: "/proc/\(pid)/task/\(pid)/children", encoding: .utf8)) ?? ""
        kill(pid, SIGKILL)
        for child in listed.split(separator: " ").compactMap({ Int32($0) }) { killTree(child) }
        var status: Int32 = 0
        _ = waitpid(pid, &status, WNOHANG)
    }

    /// Python (standard library only) printing the RGB of each `x,y` argument in the PNG file argv[1]
    /// (8-bit RGB or RGBA, not interlaced), one `r,g,b` line each.
    static let pngPixelScript = #"""
        import sys, struct, zlib
        data = open(sys.argv[1], "rb").read()
        pos, chunks = 8, {}
        while pos < len(data):
            length, kind = struct.unpack(">I4s", data[pos:pos + 8])
            chunks.setdefault(kind, b"")
            chunks[kind] += data[pos + 8:pos + 8 + length]
            pos += 12 + length
        width, height, depth, colour = struct.unpack(">IIBB", chunks[b"IHDR"][:10])
        assert depth == 8 and colour in (2, 6), (depth, colour)
        channels = 3 if colour == 2 else 4
        raw, stride, rows, previous = zlib.decompress(chunks[b"IDAT"]), width * channels, [], bytearray(width * channels)
        for y in range(height):
            kind, line = raw[y * (stride + 1)], bytearray(raw[y * (stride + 1) + 1:(y + 1) * (stride + 1)])
            for i in range(stride):
                a = line[i - channels] if i >= channels else 0
                b = previous[i]
                c = previous[i - channels] if i >= channels else 0
                if kind == 1: line[i] = (line[i] + a) & 255
                elif kind == 2: line[i] = (line[i] + b) & 255
                elif kind == 3: line[i] = (line[i] + (a + b) // 2) & 255
                elif kind == 4:
                    p = a + b - c
                    pa, pb, pc = abs(p - a), abs(p - b), abs(p - c)
                    line[i] = (line[i] + (a if pa <= pb and pa <= pc else b if pb <= pc else c)) & 255
            rows.append(line)
            previous = line
        for point in sys.argv[2:]:
            x, y = map(int, point.split(","))
            print(",".join(str(v) for v in rows[y][x * channels:x * channels + 3]))
        """#

    /// The first executable named `name` on the usual paths, if any.
    static func tool(_ name: String) -> String? {
        ["/usr/bin/", "/usr/local/bin/", "/bin/"].map { $0 + name }.first { FileManager.default.isExecutableFile(atPath: $0) }
    }
}
