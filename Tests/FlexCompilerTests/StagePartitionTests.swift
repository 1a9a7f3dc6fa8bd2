import FlexArtifact
import FlexCompiler
import FlexExecution
import FlexGraph
import FlexKernels
import FlexRuntime
import FlexTensor
import MXNetFormat
import FlexTestSupport
import Testing

@Suite struct StagePartitionTests {
    /// `count` relus in a chain on a `[n]` input.
    static func chain(_ count: Int, n: Int = 64) throws -> Program {
        var builder = GraphBuilder()
        var value = builder.variable("data")
        for index in 0..<count { value = try builder.activation("act\(index)", "relu", value) }
        return try Program(graph: builder.graph(value), parameters: [:], inputShapes: ["data": [n]])
    }

    @Test func equalStepsSplitEvenly() throws {
        let program = try Self.chain(8)
        let partition = try StagePartition(program: program, stages: 4)
        #expect(partition.stageOfStep == [0, 0, 1, 1, 2, 2, 3, 3])
        #expect(partition.estimatedSeconds.count == 4)
    }

    @Test func boundaryBytesCountValuesCrossingEachCut() throws {
        var builder = GraphBuilder()
        let data = builder.variable("data")
        let a = try builder.activation("a", "relu", data)
        let b = try builder.activation("b", "relu", a)
        let c = builder.node("c", op: TestAddOperator(), data, b)
        let program = try Program(graph: builder.graph(c), parameters: [:], inputShapes: ["data": [10]])
        // Cut 0: data. Cut 1: data, a. Cut 2: data, b. Cut 3: c (output).
        #expect(StagePartition.boundaryBytes(of: program) == [40, 80, 80, 40])
    }

    @Test func tooManyCoresNamesTheMaximum() throws {
        let program = try Self.chain(3)
        let error = expectCompileError { () throws(CompileError) in _ = try StagePartition(program: program, stages: 5) }
        #expect(error == .invalidCoreCount(requested: 5, maximum: 3, computeSteps: 3))
        #expect(error?.description.contains("at most 3 NeuronCores") == true)
        #expect(expectCompileError { () throws(CompileError) in _ = try StagePartition(program: program, stages: 0) } != nil)
    }
}
