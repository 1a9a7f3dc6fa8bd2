import Foundation

/// Byte counts as people read them: `512 B`, `1.50 KiB`, `97.5 MiB` (powers of 1024; three
/// significant digits).
func formatBytes(_ bytes: Int) -> String {
    scaled(Double(bytes), step: 1024, units: ["B", "KiB", "MiB", "GiB", "TiB"])
}

/// Floating-point operation counts: `830 FLOP`, `1.21 MFLOP`, `3.87 GFLOP` (powers of 1000).
func formatFlops(_ flops: Double) -> String {
    scaled(flops, step: 1000, units: ["FLOP", "kFLOP", "MFLOP", "GFLOP", "TFLOP"])
}

/// `count` and `noun`, plural unless `count` is 1: `1 step`, `4 NeuronCores`.
func counted(_ count: Int, _ noun: String) -> String {
    "\(count) \(noun)\(count == 1 ? "" : "s")"
}

private func scaled(_ amount: Double, step: Double, units: [String]) -> String {
    var value = amount
    var unit = 0
    while value >= step, unit < units.count - 1 {
        value /= step
        unit += 1
    }
    if unit == 0 { return String(format: "%.0f", value) + " " + units[0] }
    return String(format: value < 10 ? "%.2f" : value < 100 ? "%.1f" : "%.0f", value) + " " + units[unit]
}
