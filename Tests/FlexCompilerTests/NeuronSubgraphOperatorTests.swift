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

@Suite struct NeuronSubgraphOperatorTests {
    static let attributes = ["num_neuron_cores": "2", "input_shapes": "[(1,3,8,8), (4,)]", "output_shapes": "[(1,10)]"]

    @Test func shapesComeFromTheAttributes() throws {
        let op = try OperatorRegistry.makeOperator(opName: "_neuron_subgraph_op", nodeName: "sg", attributes: Self.attributes)
        #expect(op.inputNames(inputCount: 3) == ["data0", "data1", "neuronbin"])
        #expect(try op.inferShapes([[1, 3, 8, 8], [4], [1234]]) == [[1, 10]])
        #expect(try op.inferTypes([.float32, .float32, .uint8]) == [.float32])
        #expect(throws: OperatorError.self) { try op.inferShapes([[1, 3, 8, 9], [4], [1234]]) }
        #expect(throws: OperatorError.self) { try op.inferTypes([.float32, .float32, .float32]) }
    }

    @Test func badAttributesNameTheAttribute() {
        for (key, value) in [("num_neuron_cores", "0"), ("input_shapes", "(1,3)"), ("output_shapes", "[]"), ("output_dtypes", "[float99]")] {
            var attributes = Self.attributes
            attributes[key] = value
            do {
                _ = try OperatorRegistry.makeOperator(opName: "_neuron_subgraph_op", nodeName: "sg", attributes: attributes)
                Issue.record("\(key)=\(value) was accepted")
            } catch {
                #expect(error.description.contains(key), "\(error)")
            }
        }
        var missing = Self.attributes
        missing["num_neuron_cores"] = nil
        #expect(throws: GraphError.self) {
            try OperatorRegistry.makeOperator(opName: "_neuron_subgraph_op", nodeName: "sg", attributes: missing)
        }
    }
}
