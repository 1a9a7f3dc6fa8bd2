import Foundation

/// The Python interpreter of the MXNet 1.9.1 venv, for tests that compare with MXNet itself.
///
/// Tests that need it use `.enabled(if: MXNetPython.path() != nil, "...")`, so machines without the
/// venv report them as skipped, never as passed.
public enum MXNetPython {
    /// `$FLEXEG_MXNET_PYTHON` when set (and only it: setting it to a missing path disables the MXNet
    /// tests), else `.venv-mxnet/bin/python` in this checkout, else in the main checkout when this one
    /// is a git worktree; nil when that is not an executable file.
    public static func path(from filePath: String = #filePath) -> String? {
        var candidates: [String] = []
        if let configured = ProcessInfo.processInfo.environment["FLEXEG_MXNET_PYTHON"], !configured.isEmpty {
            candidates = [configured]
        } else {
            candidates.append(RepositoryPaths.root(from: filePath) + "/.venv-mxnet/bin/python")
            if let main = RepositoryPaths.mainCheckout(from: filePath) { candidates.append(main + "/.venv-mxnet/bin/python") }
        }
        return candidates.first { FileManager.default.isExecutableFile(atPath: $0) }
    }

    /// `Scripts/fixtures/mxnet_readback.py`.
    public static func readbackScript(from filePath: String = #filePath) -> String {
        RepositoryPaths.root(from: filePath) + "/Scripts/fixtures/mxnet_readback.py"
    }

    /// Runs `mxnet_readback.py` with `arguments` and returns its parsed JSON output. Throws
    /// `ProcessFailure` (with MXNet's stderr) when the script fails.
    public static func readback(_ arguments: [String], from filePath: String = #filePath) throws -> [String: Any] {
        guard let python = path(from: filePath) else { throw ProcessFailure(command: "mxnet_readback.py", status: -1, stderr: "no MXNet python") }
        let result = try ProcessRunner.run(python, [readbackScript(from: filePath)] + arguments)
        try result.check()
        guard let json = try JSONSerialization.jsonObject(with: Data(result.stdout.utf8)) as? [String: Any] else {
            throw ProcessFailure(command: "mxnet_readback.py", status: result.status, stderr: "output is not a JSON object: \(result.stdout.prefix(200))")
        }
        return json
    }
}
