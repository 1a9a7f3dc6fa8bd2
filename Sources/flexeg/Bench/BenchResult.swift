import FlexArtifact
import FlexCompiler
import FlexEG
import FlexExecution
import FlexGraph
import FlexKernels
import FlexRuntime
import Foundation
import MXNetFormat

/// The measurements of one `flexeg bench` run and their text and JSON forms.
struct BenchResult {
    var model: String
    /// NeuronCores per copy (pipeline stages).
    var cores: Int
    var copies: Int
    /// Requests in flight per copy.
    var concurrency: Int
    /// Batch elements per request.
    var batch: Int
    var compiledHere: Bool
    var compileSeconds: Double
    /// Timed requests completed.
    var requests: Int
    /// Wall time of the timed phase, seconds.
    var seconds: Double
    /// Submit-to-outputs time of every timed request, seconds.
    var latenciesSeconds: [Double]
    var flopsPerRequest: Double
    /// Fraction of the timed phase each NeuronCore spent running stages (device core order).
    var coreBusy: [Double]
    /// Process CPU time ÷ wall time during the timed phase (≈ CPUs kept busy).
    var cpuUtilization: Double

    /// Inferences per second, counting each batch element.
    var throughput: Double { seconds > 0 ? Double(requests * batch) / seconds : 0 }
    var gflops: Double { seconds > 0 ? flopsPerRequest * Double(requests) / seconds / 1e9 : 0 }

    /// The nearest-rank percentile `p` (0...100) of the latencies, milliseconds.
    func latencyMilliseconds(percentile p: Double) -> Double {
        let sorted = latenciesSeconds.sorted()
        guard !sorted.isEmpty else { return 0 }
        let rank = max(1, Int((p / 100 * Double(sorted.count)).rounded(.up)))
        return sorted[min(rank, sorted.count) - 1] * 1000
    }

    var meanLatencyMilliseconds: Double {
        latenciesSeconds.isEmpty ? 0 : latenciesSeconds.reduce(0, +) / Double(latenciesSeconds.count) * 1000
    }

    /// One JSON object (keys sorted): `throughput`, `latency_ms` {`p50`, `p90`, `p99`, `mean`, `min`, `max`},
    /// `gflops`, and the run's settings and utilization.
    func json(steps: [StepProfile] = []) -> String {
        var object: [String: Any] = [
            "model": model,
            "cores": cores,
            "copies": copies,
            "concurrency": concurrency,
            "batch": batch,
            "compiled": compiledHere ? "in memory" : "checkpoint",
            "compile_seconds": compileSeconds,
            "requests": requests,
            "seconds": seconds,
            "throughput": throughput,
            "latency_ms": [
                "p50": latencyMilliseconds(percentile: 50),
                "p90": latencyMilliseconds(percentile: 90),
                "p99": latencyMilliseconds(percentile: 99),
                "mean": meanLatencyMilliseconds,
                "min": (latenciesSeconds.min() ?? 0) * 1000,
                "max": (latenciesSeconds.max() ?? 0) * 1000,
            ],
            "gflops": gflops,
            "flops_per_inference": flopsPerRequest / Double(batch),
            "core_busy": coreBusy,
            "cpu_util": cpuUtilization,
        ]
        if !steps.isEmpty {
            object["steps"] = steps.map(Self.stepObject)
        }
        // Every value is a finite number, a string or an array/object of them.
        let data = try! JSONSerialization.data(withJSONObject: object, options: [.prettyPrinted, .sortedKeys])
        return String(decoding: data, as: UTF8.self)
    }

    func text(steps: [StepProfile] = []) -> String {
        let coreList = coreBusy.enumerated().map { String(format: "%d: %.0f%%", $0.offset, $0.element * 100) }.joined(separator: ", ")
        return [
            "\(model): \(copies) cop\(copies == 1 ? "y" : "ies") × \(cores) NeuronCore\(cores == 1 ? "" : "s"), "
                + "\(concurrency) in flight per copy, batch \(batch)"
                + (compiledHere ? String(format: " (compiled in %.1f s)", compileSeconds) : ""),
            String(format: "  throughput  %.2f inferences/s (%d requests in %.2f s)", throughput, requests, seconds),
            String(format: "  latency     p50 %.2f ms  p90 %.2f ms  p99 %.2f ms", latencyMilliseconds(percentile: 50),
                   latencyMilliseconds(percentile: 90), latencyMilliseconds(percentile: 99)),
            String(format: "  compute     %.1f GFLOP/s (%.3g GFLOP per inference)", gflops, flopsPerRequest / Double(batch) / 1e9),
            String(format: "  CPU use     %.2f CPUs; cores busy %@", cpuUtilization, coreList),
        ].joined(separator: "\n") + (steps.isEmpty ? "" : "\n" + Self.profileTable(steps))
    }

    static func stepObject(_ step: StepProfile) -> [String: Any] {
        let gflops = step.seconds > 0 ? step.flops / step.seconds / 1e9 : 0
        return ["stage": step.stage, "name": step.name, "op": step.opName, "kernel": step.kernel, "isa": step.instructionSet, "epilogue": step.epilogue,
                "ms": step.seconds * 1000, "gflops": gflops]
    }

    /// Per-kernel totals, then the 25 slowest steps.
    static func profileTable(_ steps: [StepProfile]) -> String {
        let total = steps.reduce(0) { $0 + $1.seconds }
        var lines = [String(format: "steps: %d, %.3f ms per run on the calling thread", steps.count, total * 1000)]
        var byKernel: [String: (seconds: Double, flops: Double, count: Int)] = [:]
        for step in steps {
            let key = step.instructionSet == "-" ? step.kernel : step.kernel + "@" + step.instructionSet
            byKernel[key, default: (0, 0, 0)].seconds += step.seconds
            byKernel[key, default: (0, 0, 0)].flops += step.flops
            byKernel[key, default: (0, 0, 0)].count += 1
        }
        for (kernel, sum) in byKernel.sorted(by: { $0.value.seconds > $1.value.seconds }) {
            lines.append("  " + kernel.padding(toLength: 24, withPad: " ", startingAt: 0) + String(format: "%4d steps %9.3f ms %5.1f%% %8.1f GFLOP/s", sum.count, sum.seconds * 1000,
                                total > 0 ? sum.seconds / total * 100 : 0, sum.seconds > 0 ? sum.flops / sum.seconds / 1e9 : 0))
        }
        lines.append("slowest steps:")
        for step in steps.sorted(by: { $0.seconds > $1.seconds }).prefix(25) {
            let epilogue = step.epilogue.isEmpty ? "" : " [" + step.epilogue.joined(separator: ", ") + "]"
            let kernel = step.instructionSet == "-" ? step.kernel : step.kernel + "@" + step.instructionSet
            lines.append(String(format: "  %8.3f ms %8.1f GFLOP/s  %@ (%@) {%@}%@", step.seconds * 1000,
                                step.seconds > 0 ? step.flops / step.seconds / 1e9 : 0, step.name as NSString, step.opName as NSString,
                                kernel as NSString, epilogue as NSString))
        }
        return lines.joined(separator: "\n")
    }
}
