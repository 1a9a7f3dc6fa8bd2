/// Human-readable byte counts for messages: `1.5 GiB (1610612736 bytes)`. Stateless.
enum ByteCount {
    static func format(_ bytes: Int) -> String {
        let units = ["KiB", "MiB", "GiB", "TiB"]
        var value = Double(bytes)
        var unit = "bytes"
        for candidate in units where value >= 1024 {
            value /= 1024
            unit = candidate
        }
        if unit == "bytes" { return "\(bytes) bytes" }
        let rounded = (value * 10).rounded() / 10
        return "\(rounded) \(unit) (\(bytes) bytes)"
    }
}
