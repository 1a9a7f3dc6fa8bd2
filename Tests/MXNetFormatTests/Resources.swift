import Foundation

/// The MXNet-written files in `Resources/` (see `Resources/make_resources.py`).
enum Resources {
    static func path(_ name: String, filePath: String = #filePath) -> String {
        URL(fileURLWithPath: filePath).deletingLastPathComponent().appendingPathComponent("Resources/" + name).path
    }
}
