import FlexRuntime
import Foundation

// Starts a NeuronRuntime on a device of `<device core count>` cores, with the core selection taken
// from this process's environment (NEURON_RT_VISIBLE_CORES, FLEXEG_RUNTIME_DIR, ...), prints
// `holding <device cores> pid <pid>` and keeps the cores until its standard input closes (then it
// shuts down cleanly) or it is killed. On failure it prints `error: <description>` and exits 1.
//
// Usage: FlexRuntimeCoreHolder <device core count>

/// Writes `line` to standard output unbuffered, so the parent sees it at once.
func say(_ line: String) {
    FileHandle.standardOutput.write(Data((line + "\n").utf8))
}

guard CommandLine.arguments.count == 2, let deviceCoreCount = Int(CommandLine.arguments[1]) else {
    say("usage: FlexRuntimeCoreHolder <device core count>")
    exit(2)
}
do {
    let runtime = try NeuronRuntime(RuntimeConfiguration(deviceCoreCount: deviceCoreCount, pinThreads: false))
    say("holding \(runtime.deviceCores.map(String.init).joined(separator: ",")) pid \(getpid())")
    while readLine() != nil {}
    try runtime.shutdown()
} catch {
    say("error: \(error)")
    exit(1)
}
