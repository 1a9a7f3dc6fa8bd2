import FlexGraph
import FlexTensor
import Testing

/// `Reshape` shape inference against MXNet 1.9.1. The first table is the examples of MXNet's
/// `Reshape` documentation; the rest were measured with (venv-mxnet):
/// ```python
/// _, out, _ = mx.sym.Reshape(mx.sym.var('x'), shape=SHAPE, reverse=REVERSE).infer_shape(x=INPUT)
/// ```
@Suite struct ReshapeShapeTests {
    typealias H = TensorOperatorHarness

    struct Case: CustomTestStringConvertible, Sendable {
        let input: [Int]
        let shape: String
        let reverse: Bool
        let output: [Int]
        init(_ input: [Int], _ shape: String, reverse: Bool = false, _ output: [Int]) {
            self.input = input
            self.shape = shape
            self.reverse = reverse
            self.output = output
        }
        var testDescription: String { "\(input) shape=\(shape)\(reverse ? " reverse" : "") → \(output)" }
    }

    static let documented: [Case] = [
        Case([2, 3, 4], "(4,0,2)", [4, 3, 2]),
        Case([2, 3, 4], "(2,0,0)", [2, 3, 4]),
        Case([2, 3, 4], "(6,1,-1)", [6, 1, 4]),
        Case([2, 3, 4], "(3,-1,8)", [3, 1, 8]),
        Case([2, 3, 4], "(-1,)", [24]),
        Case([2, 3, 4], "(-2,)", [2, 3, 4]),
        Case([2, 3, 4], "(2,-2)", [2, 3, 4]),
        Case([2, 3, 4], "(-2,1,1)", [2, 3, 4, 1, 1]),
        Case([2, 3, 4], "(-3,4)", [6, 4]),
        Case([2, 3, 4, 5], "(-3,-3)", [6, 20]),
        Case([2, 3, 4], "(0,-3)", [2, 12]),
        Case([2, 3, 4], "(-3,-2)", [6, 4]),
        Case([2, 3, 4], "(-4,1,2,-2)", [1, 2, 3, 4]),
        Case([2, 3, 4], "(2,-4,-1,3,-2)", [2, 1, 3, 4]),
        Case([10, 5, 4], "(-1,0)", [40, 5]),
        Case([10, 5, 4], "(-1,0)", reverse: true, [50, 4]),
    ]

    static let measured: [Case] = [
        Case([2, 3, 4], "(4,0,-1)", [4, 3, 2]),
        Case([2, 3, 4], "(0,0,0,-1)", [2, 3, 4, 1]),
        Case([2, 3, 4], "(-2,-2)", [2, 3, 4]),
        Case([2, 3, 4, 5], "(0,-3,-1)", [2, 12, 5]),
        Case([2, 3, 4, 5], "(-1,-3)", reverse: true, [6, 20]),
        Case([2, 3, 4, 5], "(0,-3,0)", reverse: true, [2, 12, 5]),
        Case([6, 4], "(-4,2,3,-2)", [2, 3, 4]),
        Case([6, 4], "(0,-4,2,2)", [6, 2, 2]),
        // MXNet writes an inferred -1 at the code's position: after a -4 that is one slot later.
        Case([6, 8, 1], "(-4,2,3,-1,0)", [2, 3, 1, 8]),
        Case([2, 3], "[3, 2]", [3, 2]),
    ]

    @Test(arguments: documented + measured)
    func inference(_ c: Case) throws {
        var attributes = ["shape": c.shape]
        if c.reverse { attributes["reverse"] = "True" }
        #expect(try H.shape("Reshape", attributes, Shape(c.input)) == Shape(c.output))
        #expect(try H.shape("reshape", attributes, Shape(c.input)) == Shape(c.output))
    }

    /// Codes MXNet rejects (`Check failed`) or turns into a shape of another size (which MXNet then
    /// executes on garbage memory); FlexEG rejects them all with the offending shape in the message.
    @Test(arguments: [
        ([2, 3, 4], "(0,0,0,0)"), ([2, 3, 4], "(-2,-3)"), ([2, 3, 4], "(-1,-1)"), ([2, 3, 4], "(0,-1,0,0)"),
        ([2, 3, 4], "(-4,-1,-1,3,4)"), ([2, 3, 4], "(-4,4,-1,3,4)"), ([2, 3, 4], "(-3,-3)"), ([2, 3, 4], "(-3,0,0)"),
        ([2, 3], "(4,-1)"), ([2, 3, 4], "(5,)"), ([2, 3, 4], "(-2,-1)"), ([2, 3, 4], "(-4,2,-1)"),
        ([6, 4], "(-4,-1,0,-2)"), ([6, 4], "(-4,-2,-3,-2)"), ([6, 4], "(-4,2,3,-1)"),
    ])
    func rejected(input: [Int], shape: String) throws {
        let op = try H.make("Reshape", ["shape": shape])
        #expect(throws: OperatorError.self) { try op.inferShapes([Shape(input)]) }
    }

    @Test func invalidCodeIsRejectedWhileParsing() {
        #expect(throws: GraphError.self) { try H.make("Reshape", ["shape": "(-5,)"]) }
        #expect(throws: GraphError.self) { try H.make("Reshape", [:]) }
    }

    @Test func sizeMismatchNamesBothShapes() throws {
        let op = try H.make("Reshape", ["shape": "(5,)"])
        do {
            _ = try op.inferShapes([Shape([2, 3, 4])])
            Issue.record("expected an error")
        } catch {
            #expect(error.description.contains("(2,3,4)") && error.description.contains("(5,)"), "\(error)")
        }
    }

    /// The deprecated `target_shape`: `(2,3,4)` with `target_shape=(0,4)` gives `(6,4)`; with
    /// `keep_highest`, `target_shape=(5,0)` gives `(2,12)` (MXNet 1.9.1).
    @Test func legacyTargetShape() throws {
        #expect(try H.shape("Reshape", ["target_shape": "(0,4)"], [2, 3, 4]) == [6, 4])
        #expect(try H.shape("Reshape", ["target_shape": "(5,0)", "keep_highest": "True"], [2, 3, 4]) == [2, 12])
        let op = try H.make("Reshape", ["target_shape": "(0,4)", "keep_highest": "True"])
        #expect(throws: OperatorError.self) { try op.inferShapes([Shape([2, 3, 4])]) }
    }

    @Test func keepsElementsAndDType() throws {
        let input = H.tensor([Int32](0..<6), [2, 3], .int32)
        let output = try H.run("Reshape", ["shape": "(3,-1)"], [input])[0]
        #expect(output.shape == [3, 2] && output.dtype == .int32)
        #expect(output.toFloatArray() == [0, 1, 2, 3, 4, 5])
    }
}
