@testable import FlexServer
import Foundation
import Glibc
import Testing

/// The system shared memory registry on real POSIX shared memory objects: registration and its
/// errors, slices and their bounds, an object shrunk behind the server's back, and an unregister
/// while a request still holds its region. (`TritonClientTests` drive the extension end to end.)
@Suite struct SystemSharedMemoryTests {
    /// The message of the error `body` throws (nil: it threw none).
    private func message(_ body: () throws -> Void) -> String? {
        do { try body(); return nil } catch { return (error as? ServerError)?.message ?? "\(error)" }
    }

    @Test func registrationStatusAndUnregistration() throws {
        let object = try SharedMemoryObject(size: 256)
        let registry = SharedMemoryRegistry()
        try registry.register(name: "in", key: object.key, offset: 64, byteSize: 128)
        try registry.register(name: "all", key: object.key, offset: 0, byteSize: 256)
        #expect(try registry.status(nil).map(\.name) == ["all", "in"])
        let region = try #require(try registry.status("in").first)
        #expect(region.key == object.key && region.offset == 64 && region.byteSize == 128)

        #expect(message { try registry.register(name: "in", key: object.key, offset: 0, byteSize: 8) }?.contains("already registered") == true)
        #expect(message { try registry.register(name: "x", key: "/flexeg-no-such-object", offset: 0, byteSize: 8) }?.contains("cannot open") == true)
        #expect(message { try registry.register(name: "x", key: object.key, offset: 200, byteSize: 57) }?.contains("which has 256 bytes") == true)
        #expect(message { try registry.register(name: "x", key: object.key, offset: 0, byteSize: 0) }?.contains("at least 1") == true)
        #expect(message { try registry.register(name: "x", key: object.key, offset: Int.max, byteSize: 2) } != nil)
        #expect(message { _ = try registry.status("x") }?.contains("'x'") == true)

        registry.unregister("in")
        registry.unregister("never-registered")
        #expect(try registry.status(nil).map(\.name) == ["all"])
        registry.unregister(nil)
        #expect(try registry.status(nil).isEmpty)
    }

    @Test func registrationsStopAtTheLimitAndResumeAfterAnUnregister() throws {
        let object = try SharedMemoryObject(size: 64)
        let registry = SharedMemoryRegistry(maximumRegions: 3)
        for index in 0..<3 { try registry.register(name: "r\(index)", key: object.key, offset: 0, byteSize: 64) }
        #expect(message { try registry.register(name: "r3", key: object.key, offset: 0, byteSize: 64) }?.contains("3 shared memory regions, its limit") == true)
        registry.unregister("r1")
        try registry.register(name: "r3", key: object.key, offset: 0, byteSize: 64)
        #expect(try registry.status(nil).map(\.name) == ["r0", "r2", "r3"])
    }

    @Test func slicesReadAndWriteInsideTheirRegionOnly() throws {
        let object = try SharedMemoryObject(size: 4096)
        let registry = SharedMemoryRegistry()
        try registry.register(name: "r", key: object.key, offset: 1000, byteSize: 100)
        let slice = try #require(try registry.slice(region: "r", offset: 10, byteSize: 8, what: "input 'data'"))
        try slice.write([1, 2, 3, 4], output: "y")
        #expect(try slice.read() == [1, 2, 3, 4, 0, 0, 0, 0])
        // The region's bytes are the object's bytes from its offset on.
        let whole = try #require(try registry.slice(region: "r", offset: 0, byteSize: 100, what: "input 'data'"))
        #expect(Array(try whole.read()[10..<14]) == [1, 2, 3, 4])

        #expect(try registry.slice(region: nil, offset: nil, byteSize: nil, what: "input 'data'") == nil)
        #expect(message { _ = try registry.slice(region: nil, offset: nil, byteSize: 8, what: "input 'data'") }?.contains("no shared_memory_region") == true)
        #expect(message { _ = try registry.slice(region: "q", offset: nil, byteSize: 8, what: "input 'data'") }?.contains("'q', which is not registered") == true)
        #expect(message { _ = try registry.slice(region: "r", offset: nil, byteSize: nil, what: "input 'data'") }?.contains("shared_memory_byte_size") == true)
        #expect(message { _ = try registry.slice(region: "r", offset: 96, byteSize: 8, what: "input 'data'") }?.contains("which has 100") == true)
        #expect(message { try slice.write([UInt8](repeating: 7, count: 9), output: "y") }?.contains("Give it at least 9") == true)
    }

    @Test func anObjectShrunkAfterRegistrationFailsTheRequestInsteadOfFaulting() throws {
        let object = try SharedMemoryObject(size: 8192)
        let registry = SharedMemoryRegistry()
        try registry.register(name: "r", key: object.key, offset: 0, byteSize: 8192)
        let tail = try #require(try registry.slice(region: "r", offset: 6000, byteSize: 100, what: "input 'data'"))
        object.resize(4096)
        #expect(message { _ = try tail.read() }?.contains("has shrunk") == true)
        #expect(message { try tail.write([1], output: "y") }?.contains("has shrunk") == true)
        let head = try #require(try registry.slice(region: "r", offset: 0, byteSize: 100, what: "input 'data'"))
        #expect(try head.read().count == 100)
    }

    @Test func aSliceKeepsItsRegionMappedAfterUnregister() throws {
        let object = try SharedMemoryObject(size: 64)
        let registry = SharedMemoryRegistry()
        try registry.register(name: "r", key: object.key, offset: 0, byteSize: 64)
        let slice = try #require(try registry.slice(region: "r", offset: 0, byteSize: 4, what: "output 'y'"))
        try slice.write([9, 8, 7, 6], output: "y")
        registry.unregister("r")
        #expect(try slice.read() == [9, 8, 7, 6])
        #expect(message { _ = try registry.slice(region: "r", offset: 0, byteSize: 4, what: "output 'y'") }?.contains("not registered") == true)
    }
}
