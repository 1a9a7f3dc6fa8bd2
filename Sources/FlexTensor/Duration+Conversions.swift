// Shared by the runtime, the execution layer and the tools (package access: not public API).
extension Duration {
    /// The duration in seconds (fractional).
    package var seconds: Double {
        let parts = components
        return Double(parts.seconds) + Double(parts.attoseconds) * 1e-18
    }

    /// The duration in whole nanoseconds, clamped to zero for negative durations.
    package var wholeNanoseconds: Int {
        let parts = components
        guard parts.seconds >= 0 else { return 0 }
        let (scaled, overflow) = parts.seconds.multipliedReportingOverflow(by: 1_000_000_000)
        return overflow ? Int.max : Int(clamping: scaled + parts.attoseconds / 1_000_000_000)
    }
}
