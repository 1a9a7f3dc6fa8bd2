import FlexRuntimeTesting
import FlexRuntime
import FlexTensor
import Foundation
import Testing

// Test helpers. Locks here are NSLock/NSCondition (pthread-based), which ThreadSanitizer sees.

/// A value shared between test threads under an `NSLock`.
final class Shared<Value>: @unchecked Sendable {
    private let lock = NSLock()
    private var value: Value

    init(_ value: Value) { self.value = value }

    func withLock<Result>(_ body: (inout Value) throws -> Result) rethrows -> Result {
        lock.lock()
        defer { lock.unlock() }
        return try body(&value)
    }

    var current: Value { withLock { $0 } }
}

/// Stage events in arrival order, with waiting for a condition on them.
final class EventLog: @unchecked Sendable {
    private let condition = NSCondition()
    private var events: [StageEvent] = []

    func record(_ event: StageEvent) {
        condition.lock()
        events.append(event)
        condition.broadcast()
        condition.unlock()
    }

    var all: [StageEvent] {
        condition.lock()
        defer { condition.unlock() }
        return events
    }

    /// Blocks until `predicate` holds for the events so far; false after `timeout` seconds.
    func wait(timeout: Double, until predicate: ([StageEvent]) -> Bool) -> Bool {
        let deadline = Date(timeIntervalSinceNow: timeout)
        condition.lock()
        defer { condition.unlock() }
        while !predicate(events) {
            if !condition.wait(until: deadline) { return predicate(events) }
        }
        return true
    }
}

/// A gate stages can be held at until the test opens it.
final class Gate: @unchecked Sendable {
    private let condition = NSCondition()
    private var isOpen = false
    private var waiting = 0

    /// Blocks until the gate opens (false after `timeout` seconds).
    func pass(timeout: Double = 20) -> Bool {
        let deadline = Date(timeIntervalSinceNow: timeout)
        condition.lock()
        defer { condition.unlock() }
        waiting += 1
        condition.broadcast()
        while !isOpen {
            if !condition.wait(until: deadline) { return isOpen }
        }
        return true
    }

    /// Blocks until `count` threads have reached the gate (false after `timeout` seconds).
    func waitForArrivals(_ count: Int, timeout: Double = 20) -> Bool {
        let deadline = Date(timeIntervalSinceNow: timeout)
        condition.lock()
        defer { condition.unlock() }
        while waiting < count {
            if !condition.wait(until: deadline) { return waiting >= count }
        }
        return true
    }

    func open() {
        condition.lock()
        isOpen = true
        condition.broadcast()
        condition.unlock()
    }
}

/// `parties` threads meet: each `arrive` returns true once all have arrived, false after `timeout`
/// seconds. Proves the arriving threads were running at the same time.
final class Rendezvous: @unchecked Sendable {
    private let condition = NSCondition()
    private let parties: Int
    private var arrived = 0

    init(parties: Int) { self.parties = parties }

    func arrive(timeout: Double = 20) -> Bool {
        let deadline = Date(timeIntervalSinceNow: timeout)
        condition.lock()
        defer { condition.unlock() }
        arrived += 1
        condition.broadcast()
        while arrived < parties {
            if !condition.wait(until: deadline) { return arrived >= parties }
        }
        return true
    }
}

/// Runs `body(i)` for `i in 0..<count`, each on its own thread (not the cooperative pool, so any
/// number may block at once), and returns when all have finished.
func onThreads(_ count: Int, _ body: @escaping @Sendable (Int) -> Void) {
    let group = DispatchGroup()
    for index in 0..<count {
        group.enter()
        let thread = Thread {
            body(index)
            group.leave()
        }
        thread.start()
    }
    group.wait()
}

/// A float32 input of `shape` tagged with `tag` (element i = tag + i).
func taggedInput(_ tag: Float, shape: Shape = [4]) -> [String: Tensor] {
    ["data": Tensor(shape: shape, floats: (0..<shape.elementCount).map { tag + Float($0) })]
}

/// Whether `outputs` are a SyntheticModel's answer for `taggedInput(tag)`: element i = tag + i + k.
func isSyntheticAnswer(_ outputs: [Tensor], tag: Float, stageCount: Int) -> Bool {
    guard outputs.count == 1 else { return false }
    let values = outputs[0].toFloatArray()
    return values == (0..<values.count).map { tag + Float($0) + Float(stageCount) }
}

/// A fresh, empty runtime directory for core lock files, so tests running in parallel never contend.
func makeRuntimeDirectory() -> String {
    let path = FileManager.default.temporaryDirectory.appendingPathComponent("flexeg-test-\(UUID().uuidString)").path
    try! FileManager.default.createDirectory(atPath: path, withIntermediateDirectories: true)
    return path
}

/// Starts a runtime on a device of `cores` NeuronCores with its own runtime directory, runs `body`,
/// then shuts the runtime down and removes the directory.
func withRuntime<Result>(
    cores: Int, environment: [String: String] = [:], memoryPerCore: Int? = nil, pinThreads: Bool = true,
    _ body: (NeuronRuntime) throws -> Result
) throws -> Result {
    let directory = makeRuntimeDirectory()
    defer { try? FileManager.default.removeItem(atPath: directory) }
    var environment = environment
    environment["FLEXEG_RUNTIME_DIR"] = directory
    let runtime = try NeuronRuntime(RuntimeConfiguration(
        deviceCoreCount: cores, memoryPerCore: memoryPerCore, environment: environment, pinThreads: pinThreads))
    defer { try? runtime.shutdown() }
    return try body(runtime)
}

/// `withRuntime` for async bodies.
func withRuntime<Result>(
    cores: Int, environment: [String: String] = [:], _ body: (NeuronRuntime) async throws -> Result
) async throws -> Result {
    let directory = makeRuntimeDirectory()
    defer { try? FileManager.default.removeItem(atPath: directory) }
    var environment = environment
    environment["FLEXEG_RUNTIME_DIR"] = directory
    let runtime = try NeuronRuntime(RuntimeConfiguration(deviceCoreCount: cores, environment: environment))
    defer { try? runtime.shutdown() }
    return try await body(runtime)
}

/// The `RuntimeError` `body` throws, or nil (any other error is recorded as a test issue).
func runtimeError<T>(_ body: () throws -> T) -> RuntimeError? {
    do {
        _ = try body()
        return nil
    } catch let error as RuntimeError {
        return error
    } catch {
        Issue.record("expected a RuntimeError, got \(error)")
        return nil
    }
}

extension Duration {
    /// The duration in (fractional) seconds.
    var inSeconds: Double { Double(components.seconds) + Double(components.attoseconds) * 1e-18 }
}

/// Polls `condition` every millisecond until it holds; false after `timeout` seconds.
func eventually(timeout: Double = 20, _ condition: () -> Bool) -> Bool {
    let deadline = Date(timeIntervalSinceNow: timeout)
    while !condition() {
        if Date() > deadline { return false }
        Thread.sleep(forTimeInterval: 0.001)
    }
    return true
}
