import FlexRuntime
import Glibc

/// One registered system shared memory region (Triton's `system_shared_memory` extension): bytes
/// `offset ..< offset + byteSize` of the POSIX shared memory object `key` (`shm_open`), mapped
/// read-write. Clients put input tensors there and have outputs written there, so a tensor crosses
/// no socket.
///
/// Thread ownership: immutable after `init`; any request may read or write through it at once
/// (keeping concurrent requests off each other's bytes is the client's job, as in Triton). Requests
/// that use the region hold it, so an unregister while they run unmaps it only after they finish.
final class SharedMemoryRegion: Sendable {
    let name: String
    let key: String
    let offset: Int
    let byteSize: Int
    private let descriptor: Int32
    /// The mapping of the object's bytes `0 ..< offset + byteSize` (mmap needs page-aligned offsets).
    private nonisolated(unsafe) let mapping: UnsafeMutableRawPointer

    init(name: String, key: String, offset: Int, byteSize: Int) throws(ServerError) {
        guard byteSize > 0 else { throw .invalid("shared memory region '\(name)': byte_size must be at least 1") }
        let descriptor = shm_open(key, O_RDWR, 0)
        guard descriptor >= 0 else {
            let reason = String(cString: strerror(errno))
            throw .invalid("cannot open system shared memory key '\(key)' for region '\(name)': \(reason). Create it first (shm_open, or tritonclient.utils.shared_memory.create_shared_memory_region)")
        }
        let (end, overflow) = offset.addingReportingOverflow(byteSize)
        let available = Self.objectSize(descriptor)
        guard !overflow, end <= available else {
            close(descriptor)
            throw .invalid("shared memory region '\(name)' asks for bytes \(offset) to \(offset) + \(byteSize) of key '\(key)', which has \(available) bytes")
        }
        guard let mapping = mmap(nil, end, PROT_READ | PROT_WRITE, MAP_SHARED, descriptor, 0), mapping != MAP_FAILED else {
            let reason = String(cString: strerror(errno))
            close(descriptor)
            throw ServerError(.internalError, "cannot map system shared memory key '\(key)' for region '\(name)': \(reason)")
        }
        self.name = name
        self.key = key
        self.offset = offset
        self.byteSize = byteSize
        self.descriptor = descriptor
        self.mapping = mapping
    }

    deinit {
        munmap(mapping, offset + byteSize)
        close(descriptor)
    }

    /// Copies `count` bytes from `at` (relative to the region's start).
    func read(at start: Int, count: Int) throws(ServerError) -> [UInt8] {
        try checkBounds(start, count)
        return [UInt8](UnsafeRawBufferPointer(start: mapping + offset + start, count: count))
    }

    /// Writes `bytes` at `at` (relative to the region's start).
    func write(_ bytes: some Collection<UInt8>, at start: Int) throws(ServerError) {
        try checkBounds(start, bytes.count)
        let target = UnsafeMutableRawBufferPointer(start: mapping + offset + start, count: bytes.count)
        target.copyBytes(from: bytes)
    }

    /// The range lies in the region, and the object still holds it: a client that shrank the object
    /// after registering would otherwise make the access fault (SIGBUS) instead of failing the request.
    private func checkBounds(_ start: Int, _ count: Int) throws(ServerError) {
        guard start >= 0, count >= 0, start <= byteSize, count <= byteSize - start else {
            throw .invalid("bytes \(start) to \(start) + \(count) are outside shared memory region '\(name)', which has \(byteSize)")
        }
        guard offset + start + count <= Self.objectSize(descriptor) else {
            throw .invalid("shared memory key '\(key)' of region '\(name)' has shrunk below the registered \(offset) + \(byteSize) bytes; register the region again")
        }
    }

    private static func objectSize(_ descriptor: Int32) -> Int {
        var status = stat()
        return fstat(descriptor, &status) == 0 ? Int(status.st_size) : 0
    }
}

/// Part of a region that one input or output of a request uses: the request's
/// `shared_memory_region`, `shared_memory_offset` and `shared_memory_byte_size` parameters.
struct SharedMemorySlice: Sendable {
    let region: SharedMemoryRegion
    let offset: Int
    let byteSize: Int

    func read() throws(ServerError) -> [UInt8] { try region.read(at: offset, count: byteSize) }

    /// Reads the input `description` names, whose byte count must be the slice's.
    func readInput(_ description: TensorDescription) throws(ServerError) -> [UInt8] {
        guard byteSize == description.byteCount else {
            throw .invalid("input '\(description.name)' has shared_memory_byte_size \(byteSize); \(description.datatype.rawValue) \(description.shape) is \(description.byteCount) bytes")
        }
        return try read()
    }

    /// Writes an output of `bytes.count` bytes (at most `byteSize`) at the slice's start.
    func write(_ bytes: some Collection<UInt8>, output: String) throws(ServerError) {
        guard bytes.count <= byteSize else {
            throw .invalid("output '\(output)' is \(bytes.count) bytes; its shared_memory_byte_size is \(byteSize). Give it at least \(bytes.count)")
        }
        try region.write(bytes, at: offset)
    }
}

/// The server's registered system shared memory regions, by name.
///
/// Thread ownership: shared by every request; the table is behind a mutex, regions are immutable.
final class SharedMemoryRegistry: Sendable {
    private let regions = Locked<[String: SharedMemoryRegion]>([:])
    /// Each region holds a file descriptor: the cap keeps a client that registers without end from
    /// using up the descriptors every other client's connection needs.
    let maximumRegions: Int

    init(maximumRegions: Int = 256) {
        self.maximumRegions = maximumRegions
    }

    /// Maps `key`'s bytes `offset ..< offset + byteSize` as region `name`.
    func register(name: String, key: String, offset: Int, byteSize: Int) throws(ServerError) {
        guard !name.isEmpty else { throw .invalid("a shared memory region needs a name") }
        try checkRoom(for: name, in: regions.withLock { $0 })
        let region = try SharedMemoryRegion(name: name, key: key, offset: offset, byteSize: byteSize)
        let refusal: ServerError? = regions.withLock { table in
            do throws(ServerError) { try checkRoom(for: name, in: table) } catch { return error }
            table[name] = region
            return nil
        }
        if let refusal { throw refusal }
    }

    private func checkRoom(for name: String, in table: [String: SharedMemoryRegion]) throws(ServerError) {
        guard table[name] == nil else {
            throw ServerError(.alreadyExists, "shared memory region '\(name)' is already registered; unregister it first")
        }
        guard table.count < maximumRegions else {
            throw ServerError(.unavailable, "the server already holds \(maximumRegions) shared memory regions, its limit; unregister some first")
        }
    }

    /// Unregisters `name` (nil: every region). Unknown names are not an error, as in Triton.
    func unregister(_ name: String?) {
        regions.withLock { table in
            if let name { table[name] = nil } else { table.removeAll() }
        }
    }

    /// The regions, sorted by name; only `name` when given (an error when it is not registered).
    func status(_ name: String?) throws(ServerError) -> [SharedMemoryRegion] {
        let table = regions.withLock { $0 }
        guard let name else { return table.values.sorted { $0.name < $1.name } }
        guard let region = table[name] else { throw .notFound("no system shared memory region named '\(name)' is registered") }
        return [region]
    }

    /// The slice a tensor's parameters name, or nil when it names no region. `what` names the tensor.
    func slice(region name: String?, offset: Int?, byteSize: Int?, what: String) throws(ServerError) -> SharedMemorySlice? {
        guard let name else {
            guard offset == nil, byteSize == nil else { throw .invalid("\(what) has shared memory parameters but no shared_memory_region") }
            return nil
        }
        guard let region = regions.withLock({ $0[name] }) else {
            throw .invalid("\(what) names shared memory region '\(name)', which is not registered")
        }
        guard let byteSize else { throw .invalid("\(what) names shared memory region '\(name)' without a shared_memory_byte_size") }
        let offset = offset ?? 0
        guard offset >= 0, byteSize >= 0, offset <= region.byteSize, byteSize <= region.byteSize - offset else {
            throw .invalid("\(what) asks for bytes \(offset) to \(offset) + \(byteSize) of shared memory region '\(name)', which has \(region.byteSize)")
        }
        return SharedMemorySlice(region: region, offset: offset, byteSize: byteSize)
    }
}
