import Foundation

/// A model repository in Triton's layout:
///
/// ```
/// DIR/<name>/config.pbtxt        (or config.json; optional, may hold just `name`)
/// DIR/<name>/<version>/model-symbol.json + model-0000.params   (plain or compiled checkpoint)
/// ```
///
/// Model names are directory names inside DIR. A name with `/`, `..`, a leading `.`, or whose
/// directory resolves (through symlinks) outside DIR is refused. The version served is the highest
/// numbered version directory (Triton's default policy, `latest { num_versions: 1 }`).
///
/// Thread ownership: an immutable value; every method reads the file system anew.
public struct ModelRepository: Sendable {
    /// The repository directory, symlinks resolved.
    public let root: String

    public init(path: String) throws(ServerError) {
        let url = URL(fileURLWithPath: path).standardizedFileURL.resolvingSymlinksInPath()
        var isDirectory: ObjCBool = false
        guard FileManager.default.fileExists(atPath: url.path, isDirectory: &isDirectory), isDirectory.boolValue else {
            throw .invalid("the model repository \(path) is not a directory")
        }
        root = url.path
    }

    /// Names of the model directories in the repository, sorted.
    public func modelNames() -> [String] {
        let entries = (try? FileManager.default.contentsOfDirectory(atPath: root)) ?? []
        return entries.filter { (try? directory(of: $0)) != nil }.sorted()
    }

    /// Refuses a model name that is not one directory name: empty, with `/`, `\\`, NUL or a leading `.`.
    static func checkName(_ name: String) throws(ServerError) {
        guard !name.isEmpty, !name.contains("/"), !name.contains("\\"), !name.hasPrefix("."), !name.contains("\0") else {
            throw .notFound("model name '\(name)' is not a directory name inside the model repository (no '/', '..' or leading '.')")
        }
    }

    /// The directory of model `name`, confined to the repository.
    func directory(of name: String) throws(ServerError) -> String {
        try Self.checkName(name)
        let resolved = URL(fileURLWithPath: root).appendingPathComponent(name).resolvingSymlinksInPath().path
        guard resolved.hasPrefix(root + "/") else {
            throw .notFound("model '\(name)' resolves to \(resolved), outside the model repository \(root); FlexEG serves only models inside it")
        }
        var isDirectory: ObjCBool = false
        guard FileManager.default.fileExists(atPath: resolved, isDirectory: &isDirectory), isDirectory.boolValue else {
            throw .notFound("model '\(name)' is not in the model repository \(root) (models: \(modelNames().joined(separator: ", ")))")
        }
        return resolved
    }

    /// What a load of `name` reads: its config file (if any) and the version to serve.
    struct ModelFiles: Sendable {
        var name: String
        var config: ModelConfig
        var version: Int
        var versionDirectory: String
    }

    /// Reads model `name`'s config and picks its version. `override` (the load API's `config`)
    /// merges over the file's config.
    func files(of name: String, override: ModelConfig?) throws(ServerError) -> ModelFiles {
        try Self.files(in: try directory(of: name), name: name, override: override)
    }

    /// The same for a model directory outside any repository (a load's uploaded files).
    static func files(in directory: String, name: String, override: ModelConfig?) throws(ServerError) -> ModelFiles {
        var config = ModelConfig()
        let pbtxt = directory + "/config.pbtxt", json = directory + "/config.json"
        if let text = try? String(contentsOfFile: pbtxt, encoding: .utf8) {
            config = try ModelConfig(ConfigNode.parseText(text, what: pbtxt), what: pbtxt)
        } else if let data = FileManager.default.contents(atPath: json) {
            config = try ModelConfig(ConfigNode.parseJSON(data, what: json), what: json)
        }
        if let override { config = config.merged(with: override) }
        try config.checkConsistent(what: "model '\(name)'" + (override != nil ? " (its config with the load's override)" : ""))
        if let configured = config.name, configured != name {
            throw .invalid("model '\(name)': its config names it '\(configured)'; the name must be the directory's")
        }
        let entries = (try? FileManager.default.contentsOfDirectory(atPath: directory)) ?? []
        let versions = entries.compactMap { entry -> Int? in
            guard let number = Int(entry), number >= 0, String(number) == entry else { return nil }
            var isDirectory: ObjCBool = false
            return FileManager.default.fileExists(atPath: directory + "/" + entry, isDirectory: &isDirectory) && isDirectory.boolValue ? number : nil
        }
        guard let version = versions.max() else {
            throw .invalid("model '\(name)' has no version directory: put its checkpoint in \(directory)/1/ (model-symbol.json, model-0000.params)")
        }
        return ModelFiles(name: name, config: config, version: version, versionDirectory: directory + "/\(version)")
    }
}
