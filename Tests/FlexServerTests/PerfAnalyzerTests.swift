import FlexTestSupport
import Foundation
import Testing

/// Triton's own load generator, `perf_analyzer` (C++, on Triton's C++ client library, which reads
/// responses more strictly than the Python one), against a real server in every request mode it has:
/// REST and gRPC, synchronous and asynchronous, gRPC streaming, system shared memory for inputs and
/// outputs, and a batched model at batch 2. Each run is bounded (3 windows of 40 requests, any
/// spread accepted as stable, and `timeout`). Needs `.venv-serve/bin/perf_analyzer` from
/// `Scripts/setup-serve-venv.sh`; without it this FAILS, naming the command.
@Suite(.serialized)
struct PerfAnalyzerTests {
    static var perfAnalyzer: String { RepositoryPaths.root() + "/.venv-serve/bin/perf_analyzer" }

    /// One perf_analyzer run at concurrency 2; returns its exit status, output, and the CSV report's
    /// inferences per second (nil when there is no report).
    static func run(_ arguments: [String], in directory: String) throws -> (result: ProcessRunner.Result, throughput: Double?) {
        let report = directory + "/report-\(UUID().uuidString).csv"
        let result = try ProcessRunner.run("/usr/bin/timeout", ["120", perfAnalyzer] + arguments + [
            "--concurrency-range", "2", "--measurement-mode", "count_windows", "--measurement-request-count", "40",
            "--stability-percentage", "1000", "--max-trials", "3", "-f", report,
        ])
        // The report: a header line, then "concurrency,inferences/s,…" per concurrency.
        let rows = (try? String(contentsOfFile: report, encoding: .utf8))?.split(separator: "\n") ?? []
        let throughput = rows.count == 2 ? Double(rows[1].split(separator: ",")[1]) : nil
        return (result, throughput)
    }

    @Test func everyRequestModeOfTritonsLoadGeneratorIsServed() async throws {
        guard FileManager.default.isExecutableFile(atPath: Self.perfAnalyzer) else {
            Issue.record("perf_analyzer is missing: run `bash Scripts/setup-serve-venv.sh` (makes \(Self.perfAnalyzer))")
            return
        }
        let repository = try DemoRepository()
        try repository.batchModelD()
        let scratch = try TemporaryDirectory(prefix: "perf-analyzer")
        let server = try ServerProcess(arguments: ["--model-repository", repository.path, "--instance", "inf1.6xlarge",
                                                   "--model-control-mode", "explicit", "--load-model", "A", "--load-model", "D"])
        defer { server.stop() }
        let http = ["-i", "http", "-u", "127.0.0.1:\(server.httpPort)"]
        let grpc = ["-i", "grpc", "-u", "127.0.0.1:\(server.grpcPort)"]
        let modes: [(String, [String])] = [
            ("REST", http), ("REST async", http + ["--async"]), ("REST shared memory", http + ["--shared-memory", "system"]),
            ("gRPC", grpc), ("gRPC async", grpc + ["--async"]), ("gRPC streaming", grpc + ["--streaming"]),
            ("gRPC shared memory", grpc + ["--shared-memory", "system"]),
        ]
        for (mode, arguments) in modes {
            let (result, throughput) = try Self.run(["-m", "A"] + arguments, in: scratch.path)
            #expect(result.status == 0 && (throughput ?? 0) > 0, "\(mode): status \(result.status)\n\(result.stdout.suffix(3000))\n\(result.stderr.suffix(2000))")
        }
        // D takes a batch dimension (max_batch_size 4, dynamic batching): requests of batch 2.
        for (mode, arguments) in [("REST", http), ("gRPC", grpc)] {
            let (result, throughput) = try Self.run(["-m", "D", "-b", "2"] + arguments, in: scratch.path)
            #expect(result.status == 0 && (throughput ?? 0) > 0, "D at batch 2, \(mode): status \(result.status)\n\(result.stdout.suffix(3000))\n\(result.stderr.suffix(2000))")
            #expect(result.stdout.contains("Batch size: 2"), "\(result.stdout.prefix(1000))")
        }
        // Every request succeeded (perf_analyzer also sent random data: none was refused).
        let stats = try await server.get("v2/models/stats").json as? [String: Any]
        for entry in stats?["model_stats"] as? [[String: Any]] ?? [] {
            let inference = entry["inference_stats"] as? [String: Any]
            let fail = (inference?["fail"] as? [String: Any])?["count"] as? Int
            let success = (inference?["success"] as? [String: Any])?["count"] as? Int ?? 0
            #expect(fail == 0, "\(entry)")
            #expect(success >= (entry["name"] as? String == "A" ? 7 : 2) * 120, "\(entry)")
        }
        // A model the server does not have: perf_analyzer stops with the server's message.
        let unknown = try Self.run(["-m", "nosuch"] + grpc, in: scratch.path).result
        #expect(unknown.status != 0 && (unknown.stdout + unknown.stderr).contains("unknown model 'nosuch'"), "\(unknown.stdout)\(unknown.stderr)")
        #expect(server.stop() == 0)
    }
}
