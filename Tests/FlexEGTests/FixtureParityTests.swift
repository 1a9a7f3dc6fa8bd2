import FlexArtifact
import FlexCompiler
import FlexEG
import FlexExecution
import FlexGraph
import FlexKernels
import FlexRuntime
import FlexTestSupport
import MXNetFormat
import Testing

/// Every model MXNet 1.9.1 generated (`Tests/Fixtures/models`) runs through FlexEG's reference
/// executor and matches MXNet's outputs within the fixture's tolerance (relative L2, 1e-4).
@Suite("MXNet fixture parity")
struct FixtureParityTests {
    static let fixtures = (try? Fixture.all()) ?? []

    @Test("fixtures are present") func fixturesArePresent() {
        #expect(Self.fixtures.count >= 30, "expected the committed MXNet fixtures under Tests/Fixtures/models")
    }

    @Test("uncompiled model matches MXNet", arguments: fixtures)
    func matchesMXNet(_ fixture: Fixture) throws {
        let (symbol, args, aux) = try mx.model.loadCheckpoint(fixture.prefix, 0)
        let executor = try symbol.bind(ctx: mx.cpu(), args: args, auxStates: aux, gradReq: .null)
        let outputs = try executor.forward(try fixture.inputs().mapValues(NDArray.init)).map(\.tensor)
        let expected = try fixture.expectedOutputs()
        try #require(outputs.count == expected.count)
        for (index, (actual, reference)) in zip(outputs, expected).enumerated() {
            #expect(actual.shape == reference.shape, "output \(index) shape")
            let error = relativeL2Error(actual, reference)
            #expect(error <= fixture.manifest.tolerance, "output \(index): relative L2 error \(error)")
        }
    }
}
