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

/// `flexeg compile` end to end: fixtures compiled for 1, 2 and 4 NeuronCores through the CLI, then run
/// with `flexeg infer`, give MXNet's outputs; bad command lines give one clear line and write nothing.
@Suite("flexeg compile")
struct CompileCommandTests {
    let scratch: TemporaryDirectory

    init() throws {
        scratch = try TemporaryDirectory(prefix: "compile-cli")
    }

    /// A residual CNN (batch 2), a depthwise CNN, a graph of five inputs and thirteen outputs, dense
    /// layers fed a rank-3 input (which flattening accepts though the weights imply `(?,12)`), and a
    /// graph with too few operators for 4 cores.
    @Test(arguments: ["zoo_resnet18_v1", "zoo_mobilenet_v2", "ops_elemwise", "ops_fc", "ops_conv1d"])
    func compiledCheckpointInfersMXNetsOutputs(name: String) throws {
        let fixture = try Fixture.named(name)
        let expected = try fixture.expectedOutputs()
        let uncompiled = try CompileCLI.infer(fixture.prefix, on: fixture, outputDirectory: scratch.path + "/plain")
        var compiledCoreCounts: [Int] = []
        for cores in [1, 2, 4] {
            let output = scratch.path + "/k\(cores)"
            let result = try CompileCLI.compile(fixture, cores: cores, output: output)
            if result.status != 0, cores > 1, result.stderr.contains("so it can use at most") {
                // A graph with fewer operators than cores: the error says how many it can use.
                CompileCLI.expectOneLineError(result, mentioning: ["cannot compile for \(cores) NeuronCores"])
                continue
            }
            try #require(result.status == 0, "\(name) for \(cores) cores: \(result.stderr)")
            #expect(result.stderr.isEmpty, "no progress display when stderr is not a terminal: \(result.stderr)")
            #expect(result.stdout.split(separator: "\n").count == 1)
            #expect(result.stdout.contains("compiled for \(cores) NeuronCore"), "\(result.stdout)")
            #expect(result.stdout.contains(output + "-symbol.json") && result.stdout.contains(output + "-0000.params"))
            let subgraphs = try SymbolFile(contentsOf: output + "-symbol.json").nodes.filter { $0.op == "_neuron_subgraph_op" }
            #expect(!subgraphs.isEmpty)
            #expect(subgraphs.allSatisfy { $0.attributes["num_neuron_cores"] == String(cores) })

            let compiled = try CompileCLI.infer(output, on: fixture, outputDirectory: output + "-out")
            for (index, actual) in compiled.enumerated() {
                let reference = expected[index].dtype == .float32 ? expected[index] : expected[index].converted(to: .float32)
                #expect(relativeL2Error(actual, reference) <= 1e-3, "\(name) for \(cores) cores, output \(index) against MXNet")
                #expect(relativeL2Error(actual, uncompiled[index]) <= 1e-3, "\(name) for \(cores) cores, output \(index) against uncompiled infer")
            }
            compiledCoreCounts.append(cores)
        }
        #expect(compiledCoreCounts == (name == "ops_conv1d" ? [1, 2] : [1, 2, 4]))
    }

    @Test func excludedNodesStayOrdinaryMXNetNodes() throws {
        let fixture = try Fixture.named("zoo_resnet18_v1")
        let output = scratch.path + "/excluded"
        let result = try CompileCLI.compile(fixture, cores: 2, output: output,
                                            extra: ["--exclude", "resnetv10_pool1_fwd,resnetv10_dense0_fwd"])
        try #require(result.status == 0, "\(result.stderr)")
        #expect(result.stdout.contains("2 host nodes"), "\(result.stdout)")
        let symbol = try SymbolFile(contentsOf: output + "-symbol.json")
        let ops = Dictionary(symbol.nodes.map { ($0.name, $0.op) }, uniquingKeysWith: { first, _ in first })
        #expect(ops["resnetv10_pool1_fwd"] == "Pooling")
        #expect(ops["resnetv10_dense0_fwd"] == "FullyConnected")
        #expect(ops["_neuron_subgraph_op0"] == "_neuron_subgraph_op")
        let outputs = try CompileCLI.infer(output, on: fixture, outputDirectory: output + "-out")
        #expect(relativeL2Error(outputs[0], try fixture.expectedOutputs()[0]) <= 1e-3)
    }

    /// Each bad command line: one line on stderr naming what to fix, non-zero exit, no files.
    @Test(arguments: [
        (["--input", "data=2,3,x,32"], ["'2,3,x,32' is not a shape", "data=1,3,224,224"]),
        (["--input", "data=2,3,0,32"], ["'2,3,0,32' is not a shape"]),
        (["--input", "data="], ["'data=' is not NAME=SHAPE"]),
        (["--input", "data=2,3,32,32", "--input", "data=2,3,32,32"], ["input 'data' is given twice"]),
        (["--input", "data=2,3,32,32", "--input", "label=2"], ["'label' is not an input of this model", "data"]),
        ([], ["missing the shape of input 'data'", "(?,3,?,?)", "--input data="]),
        (["--input", "data=2,4,32,32"], ["input 'data' is given shape (2,4,32,32); the model takes (?,3,?,?)", "resnetv10_conv0_fwd"]),
        (["--input", "data=2,3,32", "--cores", "1"], ["input 'data'", "(2,3,32)", "4-D data"]),
    ] as [([String], [String])])
    func badInputs(arguments: [String], fragments: [String]) throws {
        let fixture = try Fixture.named("zoo_resnet18_v1")
        let output = scratch.path + "/out"
        let cores = arguments.contains("--cores") ? [] : ["--cores", "2"]
        let result = try CLIRunner.run(["compile", fixture.prefix] + arguments + cores + ["--output", output])
        CompileCLI.expectOneLineError(result, mentioning: fragments)
        #expect(!FileManager.default.fileExists(atPath: output + "-symbol.json"))
    }

    @Test func zeroCoresNamesTheValidRange() throws {
        let result = try CompileCLI.compile(try Fixture.named("zoo_resnet18_v1"), cores: 0, output: scratch.path + "/out")
        CompileCLI.expectOneLineError(result, mentioning: ["cannot compile for 0 NeuronCores", "use 1 to "])
    }

    @Test func tooManyCoresNamesTheMostTheModelCanUse() throws {
        let fixture = try Fixture.named("zoo_resnet18_v1")
        let result = try CompileCLI.compile(fixture, cores: 500, output: scratch.path + "/out")
        CompileCLI.expectOneLineError(result, mentioning: ["cannot compile for 500 NeuronCores", "at most"])
        // The most it names is accepted.
        let most = try #require(result.stderr.split(separator: " ").firstIndex(of: "most").map { result.stderr.split(separator: " ")[$0 + 1] })
        let retry = try CompileCLI.compile(fixture, cores: try #require(Int(most)), output: scratch.path + "/most")
        #expect(retry.status == 0, "\(retry.stderr)")
    }

    @Test func unknownExcludedNode() throws {
        let result = try CompileCLI.compile(try Fixture.named("zoo_resnet18_v1"), cores: 2, output: scratch.path + "/out",
                                            extra: ["--exclude", "resnetv10_dense0_fwd,no_such_node"])
        CompileCLI.expectOneLineError(result, mentioning: ["cannot exclude 'no_such_node'"])
    }

    @Test func missingOutputDirectory() throws {
        let output = scratch.path + "/absent/model"
        let result = try CompileCLI.compile(try Fixture.named("zoo_resnet18_v1"), cores: 2, output: output)
        CompileCLI.expectOneLineError(result, mentioning: ["output directory '\(scratch.path)/absent' does not exist"])
    }

    @Test func unwritableOutputDirectory() throws {
        // Root writes through permission bits, so as root use a directory no one can create files in.
        let directory: String
        if geteuid() == 0 {
            directory = "/proc"
        } else {
            directory = scratch.path + "/readonly"
            try FileManager.default.createDirectory(atPath: directory, withIntermediateDirectories: false, attributes: [.posixPermissions: 0o555])
        }
        let result = try CompileCLI.compile(try Fixture.named("zoo_resnet18_v1"), cores: 2, output: directory + "/model")
        CompileCLI.expectOneLineError(result, mentioning: ["output directory '\(directory)' is not writable"])
    }

    @Test func outputOverSourceIsRefused() throws {
        let fixture = try Fixture.named("zoo_resnet18_v1")
        let result = try CompileCLI.compile(fixture, cores: 2, output: fixture.directory + "/./model")
        CompileCLI.expectOneLineError(result, mentioning: ["is the source checkpoint's prefix"])
        #expect(!(try String(contentsOfFile: fixture.prefix + "-symbol.json", encoding: .utf8)).contains("_neuron_subgraph_op"))
    }

    @Test func missingCheckpoint() throws {
        let result = try CLIRunner.run(["compile", scratch.path + "/nothing", "--input", "data=1,3,8,8", "--cores", "1",
                                        "--output", scratch.path + "/out"])
        CompileCLI.expectOneLineError(result, mentioning: ["nothing-symbol.json"])
    }

    /// On a terminal the command shows one line that it rewrites (`\r`, erase line) with the pass and
    /// a percentage, and erases before the summary. `script` gives the command a pseudo-terminal.
    @Test(.enabled(if: FileManager.default.isExecutableFile(atPath: "/usr/bin/script"), "needs util-linux's script for a pseudo-terminal"))
    func progressLineOnATerminal() throws {
        let fixture = try Fixture.named("zoo_resnet18_v1")
        let output = scratch.path + "/tty"
        let command = ([CLIRunner.executable, "compile", fixture.prefix] + CompileCLI.shapeArguments(fixture)
                       + ["--cores", "2", "--output", output]).joined(separator: " ")
        let result = try ProcessRunner.run("/usr/bin/script", ["-qec", command, "/dev/null"])
        try #require(result.status == 0, "\(result.stdout) \(result.stderr)")
        let erase = "\r\u{1B}[2K"
        let updates = result.stdout.components(separatedBy: erase).dropFirst().map { $0.trimmingCharacters(in: .whitespacesAndNewlines) }
        let progressLines = updates.filter { $0.hasPrefix("compiling [") }
        #expect(progressLines.count >= 5, "\(result.stdout)")
        #expect(progressLines.contains { $0.contains("fold-batchnorm") } && progressLines.contains { $0.contains("partition") })
        #expect(progressLines.allSatisfy { $0.contains("%") && !$0.contains("\n") && $0.count < 80 })
        #expect(updates.last?.hasPrefix("compiled for 2 NeuronCores") == true, "the summary follows the erased line: \(updates.last ?? "")")
    }
}
