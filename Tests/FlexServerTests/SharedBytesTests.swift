@testable import FlexServer
import FlexTensor
import Foundation
import Testing

/// `SharedBytes`: views share one buffer, keep their byte offsets, and copy out whole.
@Suite struct SharedBytesTests {
    @Test func slicesViewTheSameBufferAtTheirOffsets() {
        let bytes = SharedBytes(Array(0..<200).map { UInt8($0) })
        let tail = bytes.dropFirst(64)
        #expect(tail.startIndex == 64 && tail.count == 136)
        #expect(tail.first == 64 && tail[70] == 70)
        #expect(tail.storage === bytes.storage)
        let middle = tail.prefix(10)
        #expect(Array(middle) == Array(64..<74).map { UInt8($0) })
        #expect(middle.withUnsafeBytes { $0.baseAddress } == UnsafeRawPointer(bytes.storage.baseAddress + 64))
    }

    @Test func equalityIsByContentAndCopiesAreWhole() {
        let a: SharedBytes = [1, 2, 3, 4]
        let b = SharedBytes([9, 1, 2, 3, 4] as [UInt8]).dropFirst()
        #expect(a == b)
        #expect(a != SharedBytes([1, 2, 3, 5] as [UInt8]))
        var array: [UInt8] = [0]
        array.append(contentsOf: b)
        #expect(array == [0, 1, 2, 3, 4])
        #expect(Data(b) == Data([1, 2, 3, 4]))
        let empty = SharedBytes([UInt8]())
        #expect(empty.isEmpty && empty.withUnsafeBytes { $0.count } == 0)
    }

    @Test func aCopyOfRawMemoryStartsAligned() {
        let floats: [Float] = [1.5, -2, 3]
        let bytes = floats.withUnsafeBytes { SharedBytes(copying: $0.baseAddress!, count: $0.count) }
        #expect(bytes.count == 12)
        #expect(Int(bitPattern: bytes.withUnsafeBytes { $0.baseAddress }) % TensorBuffer.alignment == 0)
        #expect(bytes.withUnsafeBytes { Array($0.bindMemory(to: Float.self)) } == floats)
    }
}
