import Foundation
import Glibc

/// A POSIX shared memory object of `size` bytes under a fresh key, mapped read-write for the test
/// (a client's side of the system shared memory extension); unlinked when released.
final class SharedMemoryObject: @unchecked Sendable {
    let key: String
    let size: Int
    private let descriptor: Int32
    private let mapping: UnsafeMutableRawPointer

    init(size: Int) throws {
        key = "/flexeg-test-\(UUID().uuidString)"
        self.size = size
        descriptor = shm_open(key, O_RDWR | O_CREAT | O_EXCL, 0o600)
        guard descriptor >= 0, ftruncate(descriptor, off_t(size)) == 0,
              let mapping = mmap(nil, size, PROT_READ | PROT_WRITE, MAP_SHARED, descriptor, 0), mapping != MAP_FAILED else {
            throw POSIXError(.init(rawValue: errno) ?? .EIO)
        }
        self.mapping = mapping
    }

    /// Changes the object's size (the mapping stays `size` bytes: touch only what remains).
    func resize(_ newSize: Int) { _ = ftruncate(descriptor, off_t(newSize)) }

    func write(_ bytes: [UInt8], at offset: Int) {
        precondition(offset + bytes.count <= size)
        bytes.withUnsafeBytes { (mapping + offset).copyMemory(from: $0.baseAddress!, byteCount: bytes.count) }
    }

    func read(at offset: Int, count: Int) -> [UInt8] {
        precondition(offset + count <= size)
        return [UInt8](UnsafeRawBufferPointer(start: mapping + offset, count: count))
    }

    deinit {
        munmap(mapping, size)
        close(descriptor)
        shm_unlink(key)
    }
}
