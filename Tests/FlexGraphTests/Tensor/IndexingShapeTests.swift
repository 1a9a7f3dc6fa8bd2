import FlexGraph
import FlexTensor
import Testing

/// Shapes, dtypes and the configurations MXNet 1.9.1 refuses, for the indexing operators (their
/// values are checked against MXNet in `ZooOperatorFixtureTests`, fixture `ops_indexing`).
@Suite struct IndexingShapeTests {
    typealias H = TensorOperatorHarness

    @Test func staticShapes() throws {
        #expect(try H.shape("_arange", ["start": "2", "stop": "7", "step": "1.5", "repeat": "2"]) == [8])
        #expect(try H.shape("_arange", ["start": "5"]) == [5])
        #expect(try H.shape("_contrib_arange_like", ["axis": "-1"], [2, 3, 4]) == [4])
        #expect(try H.shape("shape_array", [:], [2, 3, 4]) == [3])
        #expect(try H.make("shape_array").inferTypes([.float32]) == [.int64])
        #expect(try H.shape("tile", ["reps": "(2,)"], [1, 3, 1]) == [1, 3, 2])
        #expect(try H.shape("repeat", ["repeats": "2"], [2, 3]) == [12])
        #expect(try H.shape("stack", ["num_args": "2", "axis": "-1"], [2, 3], [2, 3]) == [2, 3, 2])
        #expect(try H.shape("gather_nd", [:], [3, 4, 5], [2, 6]) == [6, 5])
        #expect(try H.shape("reshape_like", ["lhs_begin": "1", "lhs_end": "-1", "rhs_begin": "-2"], [2, 3, 4, 5], [1, 2, 3, 4]) == [2, 3, 4, 5])
        #expect(try H.shapes("topk", ["ret_typ": "both", "k": "2"], [[3, 5]]) == [[3, 2], [3, 2]])
        #expect(try H.make("topk", ["ret_typ": "value"]).totalOutputCount == 2)
        #expect(try H.shape("topk", ["axis": "None", "k": "3"], [3, 5]) == [3])
        #expect(try H.shape("Pad", ["mode": "reflect", "pad_width": "(0,0,0,0,2,2,3,3)"], [1, 2, 3, 4]) == [1, 2, 7, 10])
    }

    @Test func mxnetRefusalsAreErrors() {
        let cases: [(String, [String: String], [Shape])] = [
            ("topk", ["k": "6"], [[3, 5]]),                                                  // k beyond the axis
            ("Pad", ["mode": "reflect", "pad_width": "(0,0,0,0,3,0,0,0)"], [[1, 1, 3, 3]]),   // reflect pad >= size
            ("Pad", ["mode": "constant", "pad_width": "(0,0,0,0,1,1,1,1)"], [[1, 1, 3, 3, 3]]), // pad_width for 4-D
            ("broadcast_axis", ["axis": "1", "size": "4"], [[2, 3]]),                         // axis of size 3
            ("slice_like", [:], [[2, 3], [2, 4]]),                                            // larger than data
            ("reshape_like", [:], [[2, 3], [4, 2]]),                                          // element counts differ
        ]
        for (op, attributes, shapes) in cases {
            #expect(throws: OperatorError.self, "\(op) \(attributes) \(shapes)") { try H.shapes(op, attributes, shapes) }
        }
        #expect(throws: GraphError.self) { try H.make("Pad", ["mode": "constant", "pad_width": "(1,0,0,0,0,0,0,0)"]) }
        #expect(throws: GraphError.self) { try H.make("Pad", ["mode": "constant", "pad_width": "(0,0,0,0,1,1)"]) }
        #expect(throws: OperatorError.self) {
            try H.make("Pad", ["mode": "constant", "pad_width": "(0,0,0,0,1,1,1,1)"]).inferTypes([.int32])
        }
    }
}
