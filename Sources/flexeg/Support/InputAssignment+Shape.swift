import FlexArtifact
import FlexCompiler
import FlexEG
import FlexExecution
import FlexGraph
import FlexKernels
import FlexRuntime
import MXNetFormat

extension InputAssignment {
    /// The value as a shape: positive sizes separated by commas (`data=1,3,224,224`), nothing else.
    func shape() throws -> Shape {
        var dims: [Int] = []
        for piece in value.split(separator: ",", omittingEmptySubsequences: false) {
            guard !piece.isEmpty, piece.allSatisfy({ $0.isASCII && $0.isNumber }), let size = Int(piece), size > 0 else {
                throw CommandLineError("input '\(name)': '\(value)' is not a shape; give positive sizes separated by commas, e.g. \(name)=1,3,224,224")
            }
            dims.append(size)
        }
        return Shape(dims)
    }
}
