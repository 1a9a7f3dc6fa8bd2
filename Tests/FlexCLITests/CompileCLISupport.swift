import FlexArtifact
import FlexCompiler
import FlexEG
import FlexExecution
import FlexGraph
import FlexKernels
import FlexRuntime
import FlexTestSupport
import Foundation
import MXNetFormat
import Testing

/// What the `flexeg compile` tests share: compiling and running fixtures through the CLI.
enum CompileCLI {
    /// `--input NAME=SHAPE` for each of the fixture's inputs.
    static func shapeArguments(_ fixture: Fixture) -> [String] {
        fixture.manifest.inputs.flatMap { ["--input", "\($0.name)=" + $0.shape.map(String.init).joined(separator: ",")] }
    }

    /// `--input NAME=FILE.npy` for each of the fixture's inputs.
    static func fileArguments(_ fixture: Fixture) -> [String] {
        fixture.manifest.inputs.flatMap { ["--input", "\($0.name)=\(fixture.directory)/\($0.file)"] }
    }

    /// `flexeg compile` of `fixture` for `cores` NeuronCores into `output`.
    static func compile(_ fixture: Fixture, cores: Int, output: String, extra: [String] = []) throws -> ProcessRunner.Result {
        try CLIRunner.run(["compile", fixture.prefix] + shapeArguments(fixture) + ["--cores", String(cores), "--output", output] + extra)
    }

    /// `flexeg infer` of the checkpoint at `prefix` on `fixture`'s inputs; its outputs in head order.
    static func infer(_ prefix: String, on fixture: Fixture, outputDirectory: String) throws -> [Tensor] {
        let result = try CLIRunner.run(["infer", prefix] + fileArguments(fixture) + ["--output-dir", outputDirectory])
        try #require(result.status == 0, "flexeg infer \(prefix): \(result.stderr)")
        return try fixture.manifest.outputs.indices.map { try Tensor(npyFile: outputDirectory + "/out_\($0).npy") }
    }

    /// The command failed with exactly one line on stderr mentioning every fragment.
    static func expectOneLineError(_ result: ProcessRunner.Result, mentioning fragments: [String],
                                   sourceLocation: SourceLocation = #_sourceLocation) {
        #expect(result.status != 0, "expected a failure: \(result.stdout)", sourceLocation: sourceLocation)
        let lines = result.stderr.split(separator: "\n")
        #expect(lines.count == 1, "expected one line on stderr, got: \(result.stderr)", sourceLocation: sourceLocation)
        #expect(result.stderr.hasPrefix("flexeg: error: "), "\(result.stderr)", sourceLocation: sourceLocation)
        for fragment in fragments {
            #expect(result.stderr.contains(fragment), "stderr should mention '\(fragment)': \(result.stderr)", sourceLocation: sourceLocation)
        }
    }
}
