import FlexTensor
import Foundation
import Testing

@Suite("Shape coding")
struct ShapeCodingTests {
    @Test func encodesAsAPlainArray() throws {
        let data = try JSONEncoder().encode(TensorSpec(name: "data", shape: [1, 3, 224, 224]))
        let text = String(decoding: data, as: UTF8.self)
        #expect(text.contains("\"shape\":[1,3,224,224]"), "\(text)")
        #expect(try JSONDecoder().decode(TensorSpec.self, from: data).shape == [1, 3, 224, 224])
    }
}
