// flexeg-placement-bench: does FlexEG scale like the machine does? In one run, in alternating rounds:
//   (a) one plain compute loop (the fast GEMM, 256x256x256) on one thread pinned to the first CPU;
//   (b) N such loops on N threads pinned to N CPUs                → the machine's speed-up b/a;
//   (c) one copy of a 1-core compiled model on NeuronCore 0;
//   (d) N copies on NeuronCores 0 ..< N (one model each)          → FlexEG's speed-up d/c;
//   (e) the same N copies all on NeuronCore 0 (sharing one core)  → e/c, and the switches counted.
// Targets (issue 4): (d/c) / (b/a) ≥ 0.9; e/c ≤ 1.1 with switches > 0.
// Build and run in release:
//   swift run -c release flexeg-placement-bench [--rounds R] [--seconds S] [--copies N] [--fixture NAME]
// The model is demo model B (ResNet-like, 1x3x32x32) compiled for 1 NeuronCore, or the MXNet fixture
// Tests/Fixtures/models/NAME with --fixture. N defaults to 2 (this machine's CPUs); NeuronCore i is
// pinned to the i-th CPU of the process's affinity mask.
import CFlexShims
import Dispatch
import FlexEG
import FlexKernels
import FlexRuntime
import Foundation

struct Options {
    var rounds = 5
    var seconds = 1.0
    var copies = 2
    var fixture: String?

    init(_ arguments: [String]) {
        var iterator = arguments.dropFirst().makeIterator()
        func value<T>(_ name: String, _ parse: (String) -> T?) -> T {
            guard let text = iterator.next(), let parsed = parse(text) else { usage("\(name) needs a value") }
            return parsed
        }
        while let argument = iterator.next() {
            switch argument {
            case "--rounds": rounds = value(argument) { Int($0).flatMap { $0 >= 1 ? $0 : nil } }
            case "--seconds": seconds = value(argument) { Double($0).flatMap { $0 > 0 ? $0 : nil } }
            case "--copies": copies = value(argument) { Int($0).flatMap { $0 >= 2 ? $0 : nil } }
            case "--fixture": fixture = value(argument) { $0 }
            default: usage("unknown argument \(argument)")
            }
        }
    }
}

func usage(_ problem: String) -> Never {
    print("flexeg-placement-bench: \(problem)")
    print("usage: flexeg-placement-bench [--rounds R ≥ 1] [--seconds S > 0] [--copies N ≥ 2] [--fixture NAME]")
    exit(2)
}

/// CPU seconds this process has used (all threads): over a measurement, ÷ its wall time = how many
/// CPUs the process actually got (less than the threads it ran when other processes compete).
func processCPUTime() -> Double {
    var time = timespec()
    clock_gettime(CLOCK_PROCESS_CPUTIME_ID, &time)
    return Double(time.tv_sec) + Double(time.tv_nsec) * 1e-9
}

func wallTime() -> Double {
    var time = timespec()
    clock_gettime(CLOCK_MONOTONIC, &time)
    return Double(time.tv_sec) + Double(time.tv_nsec) * 1e-9
}

/// Runs `body(i)` for `i in 0 ..< count` on threads of their own, thread i pinned to `cpus[i]` when
/// given; all start together once every thread is pinned. Returns when all have finished.
func onThreads(_ count: Int, pinnedTo cpus: [Int]?, _ body: @escaping @Sendable (Int) -> Void) {
    let ready = DispatchGroup()
    let done = DispatchGroup()
    let start = DispatchSemaphore(value: 0)
    for index in 0..<count {
        ready.enter()
        done.enter()
        Thread {
            if let cpus {
                let error = flexeg_pin_current_thread(Int32(cpus[index]))
                if error != 0 { print("warning: cannot pin a thread to CPU \(cpus[index]) (errno \(error)); it runs unpinned") }
            }
            ready.leave()
            start.wait()
            body(index)
            done.leave()
        }.start()
    }
    ready.wait()
    for _ in 0..<count { start.signal() }
    done.wait()
}

/// Completions counted by several threads, and the first error one of them met.
final class Counter: @unchecked Sendable {
    private let lock = NSLock()
    private var count = 0
    private var lastEnd = 0.0
    private var error: (any Error)?

    func add(_ value: Int, endedAt end: Double) {
        lock.lock()
        count += value
        lastEnd = max(lastEnd, end)
        lock.unlock()
    }

    func fail(_ error: any Error) {
        lock.lock()
        if self.error == nil { self.error = error }
        lock.unlock()
    }

    var firstError: (any Error)? {
        lock.lock()
        defer { lock.unlock() }
        return error
    }

    /// Completions per second from `start` to the last thread's end.
    func rate(since start: Double) -> Double {
        lock.lock()
        defer { lock.unlock() }
        return Double(count) / (lastEnd - start)
    }
}

// MARK: (a), (b): plain compute loops

/// One thread's GEMM: `C[n x n] = A[n x n] · B[n x n]`, operands and scratch its own.
final class GEMMLoop: @unchecked Sendable {
    static let size = 256
    let a: UnsafeMutablePointer<Float>
    let b: UnsafeMutablePointer<Float>
    let c: UnsafeMutablePointer<Float>
    let scratch: UnsafeMutablePointer<Float>

    init() {
        let n = Self.size
        a = .allocate(capacity: n * n)
        b = .allocate(capacity: n * n)
        c = .allocate(capacity: n * n)
        for index in 0..<(n * n) {
            a[index] = Float(index % 13) * 0.01
            b[index] = Float(index % 7) * 0.02
        }
        let left = Fast.GEMM.Operand.strided(a, rowStride: n, columnStride: 1)
        let right = Fast.GEMM.Operand.strided(b, rowStride: n, columnStride: 1)
        scratch = .allocate(capacity: Fast.GEMM.scratchCount(m: n, n: n, k: n, left: left, right: right))
    }

    func multiply() {
        let n = Self.size
        Fast.GEMM.multiply(m: n, n: n, k: n, left: .strided(a, rowStride: n, columnStride: 1),
                           right: .strided(b, rowStride: n, columnStride: 1), output: c, outputRowStride: n, scratch: scratch)
    }
}

/// A measured rate and the CPUs the process used meanwhile (CPU seconds ÷ wall seconds).
struct Measurement {
    var rate: Double
    var cpusUsed: Double
    var switches = 0
    /// Time the cores spent switching models (activating a stage's weights), seconds.
    var switchSeconds = 0.0
}

/// GEMMs per second of `threads` loops pinned to `cpus`, each running for `seconds`.
func gemmRate(threads: Int, cpus: [Int], seconds: Double) -> Measurement {
    let loops = (0..<threads).map { _ in GEMMLoop() }
    for loop in loops { loop.multiply() }
    let counter = Counter()
    let cpuStart = processCPUTime()
    let start = wallTime()
    onThreads(threads, pinnedTo: Array(cpus.prefix(threads))) { index in
        let deadline = wallTime() + seconds
        var count = 0
        repeat {
            loops[index].multiply()
            count += 1
        } while wallTime() < deadline
        counter.add(count, endedAt: wallTime())
    }
    return Measurement(rate: counter.rate(since: start), cpusUsed: (processCPUTime() - cpuStart) / (wallTime() - start))
}

// MARK: (c), (d), (e): copies of a compiled model on NeuronCores

/// Inferences per second of copies of `model` loaded at `contexts` (one loaded instance per entry),
/// each kept busy by two sender threads for `seconds`; switches counted on all cores meanwhile.
func modelRate(runtime: NeuronRuntime, model: CompiledPipelineModel, input: Tensor, contexts: [Int], seconds: Double) throws -> Measurement {
    let copies = try contexts.map { try runtime.load(model, at: $0) }
    defer { for copy in copies { try? copy.unload() } }
    let inputs = [model.inputs[0].name: input]
    for copy in copies { _ = try copy.infer(inputs) }
    let before = runtime.snapshot().cores.reduce(0) { $0 + $1.switches }
    let switchTimeBefore = runtime.snapshot().cores.reduce(0) { $0 + $1.switchSeconds }
    let sendersPerCopy = 2
    let counter = Counter()
    let cpuStart = processCPUTime()
    let start = wallTime()
    onThreads(copies.count * sendersPerCopy, pinnedTo: nil) { index in
        let copy = copies[index / sendersPerCopy]
        let deadline = wallTime() + seconds
        var count = 0
        repeat {
            do {
                _ = try copy.infer(inputs)
                count += 1
            } catch {
                counter.fail(error)
                return
            }
        } while wallTime() < deadline
        counter.add(count, endedAt: wallTime())
    }
    let cpusUsed = (processCPUTime() - cpuStart) / (wallTime() - start)
    if let error = counter.firstError { throw error }
    let after = runtime.snapshot().cores.reduce(0) { $0 + $1.switches }
    let switchTime = runtime.snapshot().cores.reduce(0) { $0 + $1.switchSeconds } - switchTimeBefore
    return Measurement(rate: counter.rate(since: start), cpusUsed: cpusUsed, switches: after - before, switchSeconds: switchTime)
}

// MARK: The model

/// The benchmark's model compiled for one NeuronCore, MXNet's input for it, and its relative L2 error
/// against MXNet's output.
func prepareModel(fixture: String?) throws -> (CompiledPipelineModel, Tensor, Double, String) {
    let root = URL(fileURLWithPath: #filePath).deletingLastPathComponent().deletingLastPathComponent().deletingLastPathComponent().path
    let directory: String, prefix: String, name: String
    if let fixture {
        (directory, name) = (root + "/Tests/Fixtures/models/" + fixture, fixture)
        prefix = directory + "/model"
    } else {
        (directory, name) = (root + "/Sources/flexeg/DemoModels/model_b", "demo model B (model_b)")
        prefix = directory + "/model_b"
    }
    let checkpoint = try Checkpoint.load(prefix: prefix, epoch: 0)
    let graph = try Graph(symbol: checkpoint.symbol)
    let input = try Tensor(npyFile: directory + "/in_data.npy")
    let expected = try Tensor(npyFile: directory + "/out_0.npy")
    let compiled = try CompiledModel(Compiler.compile(graph: graph, parameters: checkpoint.argParams.merging(checkpoint.auxParams) { $1 },
                                                      inputShapes: ["data": input.shape], cores: 1))
    let output = compiled.makeStageRunner(stage: 0).run([input])[0]
    var difference = 0.0, reference = 0.0
    for (actual, wanted) in zip(output.toFloatArray(), expected.toFloatArray()) {
        difference += (Double(actual) - Double(wanted)) * (Double(actual) - Double(wanted))
        reference += Double(wanted) * Double(wanted)
    }
    let error = output.shape == expected.shape ? (difference / max(reference, .leastNonzeroMagnitude)).squareRoot() : .infinity
    return (CompiledPipelineModel(name: "bench", compiled: compiled), input, error, name)
}

// MARK: Main

func median(_ values: [Double]) -> Double {
    let sorted = values.sorted()
    return sorted.count % 2 == 1 ? sorted[sorted.count / 2] : (sorted[sorted.count / 2 - 1] + sorted[sorted.count / 2]) / 2
}

func run() throws {
    let options = Options(CommandLine.arguments)
    let cpus = HostCPUs.available()
    let copies = options.copies
    if cpus.count < copies {
        print("warning: \(copies) copies but only \(cpus.count) CPUs in the affinity mask: loops and cores share CPUs")
    }
    let (model, input, error, modelName) = try prepareModel(fixture: options.fixture)
    let lockDirectory = NSTemporaryDirectory() + "/flexeg-placement-bench-\(ProcessInfo.processInfo.processIdentifier)"
    try FileManager.default.createDirectory(atPath: lockDirectory, withIntermediateDirectories: true)
    defer { try? FileManager.default.removeItem(atPath: lockDirectory) }
    let runtime = try NeuronRuntime(RuntimeConfiguration(deviceCoreCount: copies, environment: ["FLEXEG_RUNTIME_DIR": lockDirectory]))
    defer { try? runtime.shutdown() }

    print("flexeg-placement-bench: \(options.rounds) rounds of \(options.seconds) s per measurement, \(copies) copies, host CPUs \(cpus.map(String.init).joined(separator: ","))")
    print("loop: \(GEMMLoop.size)x\(GEMMLoop.size)x\(GEMMLoop.size) fast GEMM (\(Fast.InstructionSet.active.rawValue)); "
        + "model: \(modelName) \(input.shape) compiled for 1 NeuronCore, output vs MXNet: relative L2 error \(String(format: "%.1e", error))")
    let cores = runtime.snapshot().cores.map { "NC\($0.index)→CPU\($0.cpu.map(String.init) ?? "?")" }.joined(separator: " ")
    print("NeuronCores: \(cores)")
    for warning in runtime.warnings { print(warning) }
    print("")

    let header = ["round", "1 loop/s", "\(copies) loops/s", "CPUs", "machine x", "1 copy/s", "\(copies) copies/s", "CPUs", "FlexEG x",
                  "ratio", "shared/s", "shared x", "switches", "µs/switch"]
    printCells(header, header: header)
    var rows: [[Double]] = []
    for round in 1...options.rounds {
        let one = gemmRate(threads: 1, cpus: cpus, seconds: options.seconds)
        let many = gemmRate(threads: copies, cpus: cpus, seconds: options.seconds)
        let single = try modelRate(runtime: runtime, model: model, input: input, contexts: [0], seconds: options.seconds)
        let spread = try modelRate(runtime: runtime, model: model, input: input, contexts: Array(0..<copies), seconds: options.seconds)
        let shared = try modelRate(runtime: runtime, model: model, input: input, contexts: Array(repeating: 0, count: copies), seconds: options.seconds)
        let machine = many.rate / one.rate
        let flex = spread.rate / single.rate
        let row = [one.rate, many.rate, many.cpusUsed, machine, single.rate, spread.rate, spread.cpusUsed, flex, flex / machine,
                   shared.rate, shared.rate / single.rate, Double(shared.switches),
                   shared.switches > 0 ? shared.switchSeconds / Double(shared.switches) * 1e6 : 0]
        rows.append(row)
        printRow(String(round), row, header: header)
    }
    let medians = (0..<rows[0].count).map { column in median(rows.map { $0[column] }) }
    printRow("median", medians, header: header)
    // A clean round: the N-thread measurements (b) and (d) got at least 95% of N CPUs.
    let clean = rows.filter { $0[2] >= 0.95 * Double(copies) && $0[6] >= 0.95 * Double(copies) }
    let cleanMedians = clean.isEmpty ? nil : (0..<rows[0].count).map { column in median(clean.map { $0[column] }) }
    if let cleanMedians { printRow("clean", cleanMedians, header: header) }
    print("")
    print("median: of each column over all rounds; clean: over the \(clean.count) of \(rows.count) rounds in which (b) and (d) got")
    print("at least 95% of \(copies) CPUs (CPUs = CPU seconds the process got / wall seconds; less means other processes ran).")
    let summary = cleanMedians ?? medians
    let ratio = summary[8]
    print(String(format: "FlexEG speed-up with %d copies on %d cores: %.2fx; the machine's with %d loops: %.2fx; ratio %.2f (target >= 0.90): %@",
                 copies, copies, summary[7], copies, summary[3], ratio, ratio >= 0.9 ? "met" : "NOT met"))
    print(String(format: "%d copies sharing NeuronCore 0: %.2fx one copy (target <= 1.10): %@; %.0f switches per %.1f s, %.1f µs each "
                 + "(activating a stage: reading every weight byte its kernels read, %@)",
                 copies, summary[10], summary[10] <= 1.1 ? "met" : "NOT met", summary[11], options.seconds, summary[12],
                 formatBytes(model.weightBytes(stage: 0)) as NSString))
    if cleanMedians == nil { print("(no clean round: the machine was busy throughout; these are medians over all rounds)") }
}

/// `bytes` as KiB or MiB.
func formatBytes(_ bytes: Int) -> String {
    bytes >= 1 << 20 ? String(format: "%.1f MiB", Double(bytes) / Double(1 << 20)) : String(format: "%.0f KiB", Double(bytes) / 1024)
}

/// A table row: rates and counts whole, CPUs and ratios with two decimals.
func printRow(_ label: String, _ values: [Double], header: [String]) {
    let cells = [label] + values.enumerated().map { column, value in
        [2, 3, 6, 7, 8, 10, 12].contains(column) ? String(format: "%.2f", value) : String(format: "%.0f", value)
    }
    printCells(cells, header: header)
}

/// Cells left-aligned in columns as wide as their titles (at least 9).
func printCells(_ cells: [String], header: [String]) {
    let line = zip(cells, header).map { cell, title in cell.padding(toLength: max(9, title.count), withPad: " ", startingAt: 0) }.joined(separator: " ")
    print(line.replacingOccurrences(of: " +$", with: "", options: .regularExpression))
}

do {
    try run()
} catch {
    print("flexeg-placement-bench: error: \(error)")
    exit(1)
}
