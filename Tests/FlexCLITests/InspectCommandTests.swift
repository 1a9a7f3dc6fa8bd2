import FlexTestSupport
import Foundation
import Testing

@Suite("flexeg inspect")
struct InspectCommandTests {
    @Test func jsonSummaryOfAZooModel() throws {
        let fixture = try Fixture.named("zoo_resnet18_v1")
        let result = try CLIRunner.run(["inspect", fixture.prefix, "--json"])
        #expect(result.status == 0, "\(result.stderr)")
        let json = try #require(try JSONSerialization.jsonObject(with: Data(result.stdout.utf8)) as? [String: Any])
        let inputs = try #require(json["inputs"] as? [[String: Any]])
        #expect(inputs.map { $0["name"] as? String } == ["data"])
        #expect((inputs.first?["shape"] as? [Int]) == [0, 3, 0, 0])
        let operators = try #require(json["operators"] as? [String: Int])
        #expect(operators["Convolution"] ?? 0 > 10)
        #expect((json["unsupported"] as? [Any])?.isEmpty == true)
        #expect(json["parameter_count"] as? Int ?? 0 > 0)
    }

    @Test func listsEveryNodeItCannotRun() throws {
        let fixture = try Fixture.named("zoo_resnet18_v1")
        let scratch = try TemporaryDirectory(prefix: "inspect-cli")
        let prefix = scratch.path + "/model"
        let symbol = try String(contentsOfFile: fixture.prefix + "-symbol.json", encoding: .utf8)
            .replacingOccurrences(of: "\"op\": \"elemwise_add\"", with: "\"op\": \"MysteryAdd\"")
        try symbol.write(toFile: prefix + "-symbol.json", atomically: true, encoding: .utf8)
        try FileManager.default.copyItem(atPath: fixture.prefix + "-0000.params", toPath: prefix + "-0000.params")
        let result = try CLIRunner.run(["inspect", prefix])
        #expect(result.status != 0)
        let mentions = result.stdout.components(separatedBy: "MysteryAdd").count - 1
        #expect(mentions >= 4, "every residual add should be listed: \(result.stdout)")
    }
}
