import FlexArtifact
import FlexCompiler
import FlexEG
import FlexExecution
import FlexGraph
import FlexKernels
import FlexRuntime
import FlexTensor
import FlexTestSupport
import Foundation
import MXNetFormat
import Testing

/// The structure-only ResNet-50 v1 (`Tests/Fixtures/structures`), with generated parameters.
@Suite struct ResNet50PartitionTests {
    struct Structure: Decodable {
        var input: [String: [Int]]
        var params: [String: [Int]]
    }

    static func load() throws -> (graph: Graph, parameters: [String: Tensor], inputShapes: [String: Shape]) {
        let directory = URL(fileURLWithPath: RepositoryPaths.fixtures() + "/structures")
        let symbol = try SymbolFile(contentsOf: directory.appendingPathComponent("resnet50_v1-symbol.json").path)
        let structure = try JSONDecoder().decode(Structure.self, from: Data(contentsOf: directory.appendingPathComponent("resnet50_v1.shapes.json")))
        var parameters: [String: Tensor] = [:]
        var state: UInt32 = 12345
        for (name, dims) in structure.params {
            let tensor = Tensor(zeros: Shape(dims))
            let values = tensor.floats
            let positive = name.hasSuffix("_var") || name.hasSuffix("_gamma")
            for index in 0..<tensor.elementCount {
                state = state &* 1_664_525 &+ 1_013_904_223
                let unit = Float(state >> 8) / Float(1 << 24)
                values[index] = positive ? 0.5 + unit : (unit - 0.5) * 0.1
            }
            parameters[name] = tensor
        }
        return (try Graph(symbol: symbol), parameters, structure.input.mapValues { Shape($0) })
    }

    @Test func fourCoresAreBalancedWithinThirtyPercentOfTheMean() throws {
        let (graph, parameters, inputShapes) = try Self.load()
        let start = Date()
        let model = try compileModel(graph: graph, parameters: parameters, inputShapes: inputShapes, cores: 4)
        let seconds = Date().timeIntervalSince(start)
        let summary = model.summary()
        let times = summary.stages.map(\.estimatedMicroseconds)
        let mean = times.reduce(0, +) / Double(times.count)
        let artifactBytes = summary.subgraphs.reduce(0) { $0 + $1.artifactBytes }
        print("ResNet-50 v1, 4 cores: compiled in \(String(format: "%.2f", seconds)) s; artifact \(artifactBytes / 1_000_000) MB; stage estimates (µs) \(times.map { Int($0) }); max/mean \(String(format: "%.3f", times.max()! / mean))")
        #expect(times.max()! <= 1.3 * mean)
        #expect(summary.stages.allSatisfy { $0.nodes > 0 })
        // BatchNorm folded into every convolution, ReLUs and residual adds fused: 53 convolutions,
        // 2 poolings, 1 dense layer remain.
        #expect(summary.stages.reduce(0) { $0 + $1.nodes } == 56)
        #expect(summary.stages.allSatisfy { $0.peakArenaBytes <= $0.unsharedArenaBytes })
        #expect(summary.stages.map(\.sends.count) .dropLast().allSatisfy { $0 >= 1 })
    }

    @Test func tooManyCoresSaysHowManyTheModelCanUse() throws {
        let (graph, parameters, inputShapes) = try Self.load()
        var program = try Program(graph: graph, parameters: parameters, inputShapes: inputShapes)
        try PassPipeline.standard.run(on: &program)
        let error = expectCompileError { () throws(CompileError) in _ = try StagePartition(program: program, stages: 57) }
        #expect(error == .invalidCoreCount(requested: 57, maximum: 56, computeSteps: 56))
    }
}
