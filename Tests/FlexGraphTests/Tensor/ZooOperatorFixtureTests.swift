import FlexGraph
import FlexTensor
import FlexTestSupport
import MXNetFormat
import Testing

/// Fixtures of the operators the GluonCV/GluonNLP zoo needs (`Scripts/fixtures/fx_zoo_ops.py`), run
/// by `GraphExecutor` and compared head by head with MXNet 1.9.1's outputs: every output must have
/// MXNet's dtype, integer outputs must be equal element for element, floating-point ones within the
/// manifest's relative L2 tolerance (1e-4).
@Suite struct ZooOperatorFixtureTests {
    static let names = ["ops_compare", "ops_fill", "ops_indexing", "ops_int_arith", "ops_int_unary", "ops_nn_zoo", "ops_detection", "ops_roialign", "ops_rnn", "ops_v1", "ops_deformable"]

    @Test(arguments: names)
    func matchesMXNet(_ name: String) throws {
        try ZooFixture.check(name)
    }

    /// GluonCV's and GluonNLP's own code exported at toy size (`fx_gluoncv.py`, `fx_gluonnlp.py`): the CenterNet
    /// decoder (int64 `zeros_like(dtype=…)`, `gather_nd`, `topk`), a whole SSD ending in `box_nms`, a
    /// 2-layer BERT (interleaved attention) and an LSTM language model (fused `RNN`).
    @Test(arguments: ["gluoncv_centernet_decoder", "gluoncv_ssd_tiny", "gluonnlp_bert_tiny", "gluonnlp_lstm_lm_tiny"])
    func gluonCVModelsMatchMXNet(_ name: String) throws {
        try ZooFixture.check(name)
    }
}

/// Runs one fixture and compares dtypes and values with MXNet's (exact for integers).
enum ZooFixture {
    static func check(_ name: String, sourceLocation: SourceLocation = #_sourceLocation) throws {
        let fixture = try Fixture.named(name)
        let unregistered = fixture.manifest.operators.filter { OperatorRegistry.byName[$0] == nil }
        try #require(unregistered.isEmpty, "\(name) uses unregistered operators \(unregistered)", sourceLocation: sourceLocation)
        let checkpoint = try Checkpoint.load(prefix: fixture.prefix, epoch: 0)
        let graph = try Graph(symbol: checkpoint.symbol)
        let parameters = checkpoint.argParams.merging(checkpoint.auxParams) { first, _ in first }
        let outputs = try GraphExecutor(graph: graph, parameters: parameters).forward(try fixture.inputs())
        let expected = try fixture.expectedOutputs()
        try #require(outputs.count == expected.count, sourceLocation: sourceLocation)
        for (index, (actual, reference)) in zip(outputs, expected).enumerated() {
            let output = graph.outputNames[index]
            #expect(actual.shape == reference.shape, "\(output): shape \(actual.shape) vs MXNet's \(reference.shape)", sourceLocation: sourceLocation)
            #expect(actual.dtype == reference.dtype, "\(output): dtype \(actual.dtype) vs MXNet's \(reference.dtype)", sourceLocation: sourceLocation)
            guard actual.shape == reference.shape, actual.dtype == reference.dtype else { continue }
            if reference.dtype.isFloatingPoint {
                let error = relativeL2Error(actual, reference)
                #expect(error <= fixture.manifest.tolerance, "\(output): relative L2 error \(error)", sourceLocation: sourceLocation)
            } else {
                let mismatches = (0..<reference.elementCount).filter { actual.integerElement(at: $0) != reference.integerElement(at: $0) }
                let first = mismatches.first ?? 0
                let message = "\(output): \(mismatches.count) elements differ, first at \(first): "
                    + "\(actual.integerElement(at: first)) vs MXNet's \(reference.integerElement(at: first))"
                #expect(mismatches.isEmpty, Comment(rawValue: message), sourceLocation: sourceLocation)
            }
        }
    }
}

extension Tensor {
    /// Element `index` of an integer tensor, exactly.
    func integerElement(at index: Int) -> Int64 {
        switch dtype {
        case .int32: Int64(rawPointer.load(fromByteOffset: index * 4, as: Int32.self))
        case .int64: rawPointer.load(fromByteOffset: index * 8, as: Int64.self)
        case .int8: Int64(rawPointer.load(fromByteOffset: index, as: Int8.self))
        case .uint8: Int64(rawPointer.load(fromByteOffset: index, as: UInt8.self))
        default: Int64(element(at: index))
        }
    }
}
