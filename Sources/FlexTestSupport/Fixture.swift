import FlexTensor
import Foundation

/// One MXNet-generated fixture (`Tests/Fixtures/models/<name>/`): a checkpoint, its inputs and the
/// outputs MXNet 1.9.1 computed for them, described by `manifest.json`.
public struct Fixture: Sendable, CustomStringConvertible {
    public struct Manifest: Decodable, Sendable {
        public struct Input: Decodable, Sendable { public var name: String; public var file: String; public var shape: [Int] }
        public struct Output: Decodable, Sendable { public var file: String; public var shape: [Int] }
        public var name: String
        public var inputs: [Input]
        public var outputs: [Output]
        public var operators: [String]
        public var tolerance: Double
    }

    public let directory: String
    public let manifest: Manifest

    public init(directory: String) throws {
        self.directory = directory
        let data = try Data(contentsOf: URL(fileURLWithPath: directory + "/manifest.json"))
        manifest = try JSONDecoder().decode(Manifest.self, from: data)
    }

    /// Every fixture, in `index.json` order.
    public static func all(from filePath: String = #filePath) throws -> [Fixture] {
        try RepositoryPaths.fixtureModels(from: filePath).map(Fixture.init(directory:))
    }

    /// The fixture named `name`.
    public static func named(_ name: String, from filePath: String = #filePath) throws -> Fixture {
        try Fixture(directory: RepositoryPaths.fixtures(from: filePath) + "/models/" + name)
    }

    public var name: String { manifest.name }
    /// Checkpoint prefix (`<dir>/model`, epoch 0).
    public var prefix: String { directory + "/model" }
    public var description: String { name }

    /// Inputs by name, as stored (float32).
    public func inputs() throws -> [String: Tensor] {
        var result: [String: Tensor] = [:]
        for input in manifest.inputs { result[input.name] = try Tensor(npyFile: directory + "/" + input.file) }
        return result
    }

    /// MXNet's outputs in head order.
    public func expectedOutputs() throws -> [Tensor] {
        try manifest.outputs.map { try Tensor(npyFile: directory + "/" + $0.file) }
    }
}
