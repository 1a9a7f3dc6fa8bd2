import FlexTestSupport
import Foundation
import Testing

/// `flexeg demo` end to end: every scene of the seed's example is there with the placement the seed
/// describes, switches only where B and C share core 5, NeuronCore Groups giving FlexEG's cores, the
/// failing load naming starts 0, 1, 2, and outputs equal to MXNet's.
@Suite("flexeg demo")
struct DemoCommandTests {
    let runtimeDirectory: TemporaryDirectory

    init() throws {
        runtimeDirectory = try TemporaryDirectory(prefix: "demo-cli-cores")
    }

    func demo(_ arguments: [String]) throws -> ProcessRunner.Result {
        try CLIRunner.run(["demo"] + arguments, environment: RunTestSupport.environment(runtimeDirectory: runtimeDirectory.path))
    }

    static func cores(_ scene: [String: Any]) -> [String: [Int]] {
        let models = (scene["placement"] as? [String: Any])?["models"] as? [[String: Any]] ?? []
        return Dictionary(uniqueKeysWithValues: models.map { ($0["name"] as? String ?? "?", $0["cores"] as? [Int] ?? []) })
    }

    /// Core index → switches during the scene.
    static func switches(_ scene: [String: Any]) -> [Int: Int] {
        let cores = (scene["placement"] as? [String: Any])?["cores"] as? [[String: Any]] ?? []
        return Dictionary(uniqueKeysWithValues: cores.map { ($0["index"] as? Int ?? -1, $0["switches"] as? Int ?? -1) })
    }

    @Test func jsonHasEveryScene() throws {
        let result = try demo(["--json", "--requests", "8"])
        try #require(result.status == 0, "\(result.stderr)")
        let report = try #require(RunTestSupport.jsonObject(result.stdout))
        let scenes = try #require(report["scenes"] as? [[String: Any]])
        let byName = Dictionary(uniqueKeysWithValues: scenes.map { ($0["name"] as? String ?? "?", $0) })
        #expect(scenes.map { $0["name"] as? String } == ["disjoint", "remapped", "shared", "ncg", "failing_load"])

        let models = try #require(report["models"] as? [[String: Any]])
        #expect(models.map { $0["name"] as? String } == ["A", "B", "C", "D"])
        #expect(models.map { $0["cores"] as? Int } == [2, 4, 3, 4])

        let disjoint = try #require(byName["disjoint"])
        #expect(Self.cores(disjoint) == ["A": [0, 1], "B": [2, 3, 4, 5], "C": [6, 7, 8], "D": [9, 10, 11, 12]])
        #expect(Self.switches(disjoint).values.allSatisfy { $0 == 0 })
        #expect(Self.switches(disjoint).count == 16)

        let remapped = try #require(byName["remapped"])
        #expect(Self.cores(remapped) == ["C": [0, 1, 2], "A": [3, 4], "D": [5, 6, 7, 8], "B": [9, 10, 11, 12]])
        #expect(Self.switches(remapped).values.allSatisfy { $0 == 0 })

        let shared = try #require(byName["shared"])
        #expect(Self.cores(shared) == ["A": [0, 1], "B": [2, 3, 4, 5], "C": [5, 6, 7], "D": [9, 10, 11, 12]])
        let switches = Self.switches(shared)
        #expect((switches[5] ?? 0) > 0, "B and C take turns on core 5")
        #expect(switches.filter { $0.key != 5 }.values.allSatisfy { $0 == 0 })
        let warnings = (shared["placement"] as? [String: Any])?["warnings"] as? [String] ?? []
        #expect(warnings.count == 1)
        #expect(warnings.first?.contains("share NeuronCore 5") == true)

        let groups = try #require(byName["ncg"])
        #expect(Self.cores(groups) == Self.cores(disjoint))
        #expect(groups["same_cores_as_disjoint"] as? Bool == true)
        let device = (groups["placement"] as? [String: Any])?["device"] as? [String: Any]
        #expect(device?["mode"] as? String == "ncg")
        #expect(device?["groups"] as? [[Int]] == [[0, 1], [2, 3, 4, 5], [6, 7, 8], [9, 10, 11, 12]])

        let failing = try #require(byName["failing_load"]?["failed_load"] as? [String: Any])
        #expect(failing["model"] as? String == "A")
        #expect(failing["context"] as? Int == 3)
        #expect(failing["device_cores"] as? Int == 4)
        #expect(failing["valid_starts"] as? [Int] == [0, 1, 2])
        #expect(failing["loaded_at"] as? [Int] == [0, 1, 2])
        #expect((failing["error"] as? String)?.contains("valid start indexes: 0, 1, 2") == true)

        for scene in scenes.prefix(4) {
            let placement = try #require(scene["placement"] as? [String: Any])
            for model in placement["models"] as? [[String: Any]] ?? [] {
                #expect(model["inferences"] as? Int == 8, "\(scene["name"] ?? "?") \(model["name"] ?? "?")")
                #expect(model["errors"] as? Int == 0)
            }
            let error = try #require(scene["outputs_max_relative_error"] as? Double)
            #expect(error <= 1e-4)
        }
        let outputs = try #require(report["outputs"] as? [String: Any])
        #expect(outputs["match"] as? Bool == true)
        #expect((outputs["max_relative_error"] as? Double ?? 1) <= 1e-4)
    }

    @Test func textShowsTheMapsAndTheFailingLoad() throws {
        let result = try demo(["--requests", "4"])
        try #require(result.status == 0, "\(result.stderr)")
        let lines = result.stdout.split(separator: "\n", omittingEmptySubsequences: false).map(String.init)
        #expect(lines.contains("models      [─ A ─] [───── B ─────] [─── C ───] [───── D ─────]"))
        #expect(lines.contains("models      [─── C ───] [─ A ─] [───── D ─────] [───── B ─────]"))
        #expect(lines.contains("                                [─── C ───]"))
        #expect(lines.contains("^ NeuronCore 5 is shared by B and C: they take turns (model switching)"))
        #expect(lines.contains { $0.hasPrefix("groups      [") })
        #expect(lines.contains("error: NRT_LOAD_NOT_ENOUGH_NC: model \"A\" needs 2 consecutive NeuronCores; starting at 3 of 4 leaves 1; valid start indexes: 0, 1, 2"))
        #expect(lines.contains { $0.hasPrefix("Outputs match MXNet in every scene") })
        // The host's oversubscription is noted once, however many runtimes the demo starts.
        #expect(lines.filter { $0.contains("cores are oversubscribed") }.count <= 1)
    }
}
