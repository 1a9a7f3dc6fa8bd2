import Foundation
import FlexGraph
import FlexTensor
import FlexTestSupport
import Testing

/// FlexEG accepts or rejects an attribute an operator does not declare exactly as MXNet 1.9.1 does,
/// operator by operator; the verdicts were asked of MXNet (`Scripts/fixtures/fx_leniency.py`).
@Suite struct AttributeLeniencyTests {
    struct Verdicts: Decodable { var mxnet: String; var accepts: [String]; var rejects: [String] }

    static func verdicts() throws -> Verdicts {
        let path = RepositoryPaths.fixtures() + "/mxnet_attribute_leniency.json"
        return try JSONDecoder().decode(Verdicts.self, from: Data(contentsOf: URL(fileURLWithPath: path)))
    }

    @Test func everyRegisteredOperatorMatchesMXNet() throws {
        let verdicts = try Self.verdicts()
        #expect(verdicts.mxnet == "1.9.1")
        let accepts = Set(verdicts.accepts)
        let rejects = Set(verdicts.rejects)
        var checked = 0
        for name in OperatorRegistry.supportedNames where accepts.contains(name) || rejects.contains(name) {
            checked += 1
            #expect(OperatorRegistry.ignoresUnknownAttributes(name) == accepts.contains(name),
                    "\(name): MXNet \(accepts.contains(name) ? "ignores" : "rejects") unknown attributes, FlexEG does not")
        }
        #expect(checked > 150, "only \(checked) registered operators found in MXNet's list")
    }

    /// GluonCV's CenterNet decoder: `zeros_like(x, dtype=...)` loads, and the dtype stays the input's.
    @Test func zerosLikeIgnoresItsDTypeAttribute() throws {
        let op = try OperatorRegistry.makeOperator(opName: "zeros_like", nodeName: "node", attributes: ["dtype": "float32"])
        #expect(try op.inferTypes([.int32]) == [.int32])
    }

    @Test func strictOperatorsStillRejectUnknownAttributes() {
        #expect(throws: GraphError.unknownAttribute(node: "node", op: "Convolution", attribute: "no_such_attribute")) {
            try OperatorRegistry.makeOperator(opName: "Convolution", nodeName: "node",
                                              attributes: ["kernel": "(1, 1)", "num_filter": "1", "no_such_attribute": "1"])
        }
    }

    /// `Pooling_v1` does not know `Pooling`'s newer attributes, and MXNet says so.
    @Test func legacyPoolingRejectsTheNewerAttributes() {
        #expect(throws: GraphError.unknownAttribute(node: "node", op: "Pooling_v1", attribute: "count_include_pad")) {
            try OperatorRegistry.makeOperator(opName: "Pooling_v1", nodeName: "node",
                                              attributes: ["kernel": "(2, 2)", "count_include_pad": "False"])
        }
        #expect(throws: GraphError.self) {
            try OperatorRegistry.makeOperator(opName: "Pooling_v1", nodeName: "node", attributes: ["kernel": "(2,)", "pooling_convention": "same"])
        }
    }
}
