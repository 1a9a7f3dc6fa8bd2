/// Where each short-lived value of one stage lives inside that stage's single activation arena.
///
/// Values whose lifetimes (inclusive step intervals `[firstStep, lastStep]`) overlap never overlap in
/// memory; others may share bytes. Built by greedy best-fit by size: values are placed largest first,
/// each into the smallest gap between values it conflicts with that can hold it (else after them).
/// Offsets and sizes are multiples of `alignment` bytes.
public struct MemoryPlan: Sendable, Equatable {
    public struct Placement: Sendable, Equatable {
        public var value: ValueID
        /// Byte offset in the arena.
        public var offset: Int
        /// Bytes reserved (the value's size rounded up to `alignment`).
        public var size: Int
        /// First and last step (indices within the stage) that write or read the value.
        public var firstStep: Int
        public var lastStep: Int

        public init(value: ValueID, offset: Int, size: Int, firstStep: Int, lastStep: Int) {
            self.value = value
            self.offset = offset
            self.size = size
            self.firstStep = firstStep
            self.lastStep = lastStep
        }

        func overlapsInTime(_ other: Placement) -> Bool {
            firstStep <= other.lastStep && other.firstStep <= lastStep
        }
    }

    /// A value to place: its id, size in bytes and inclusive lifetime in steps.
    public struct Request: Sendable, Equatable {
        public var value: ValueID
        public var bytes: Int
        public var firstStep: Int
        public var lastStep: Int

        public init(value: ValueID, bytes: Int, firstStep: Int, lastStep: Int) {
            self.value = value
            self.bytes = bytes
            self.firstStep = firstStep
            self.lastStep = lastStep
        }
    }

    /// Alignment of every placement (a cache line, as `TensorBuffer`).
    public static let alignment = 64

    /// Placements in the order of the requests they answer.
    public var placements: [Placement]
    /// Arena size: the peak of offset + size over all placements.
    public var arenaBytes: Int
    /// What the values would take without sharing: the sum of their sizes.
    public var unsharedBytes: Int

    public init(placements: [Placement], arenaBytes: Int, unsharedBytes: Int) {
        self.placements = placements
        self.arenaBytes = arenaBytes
        self.unsharedBytes = unsharedBytes
    }

    /// Plans `requests` (any order; `firstStep <= lastStep`).
    public init(requests: [Request]) {
        let order = requests.indices.sorted {
            let (a, b) = (requests[$0], requests[$1])
            if a.bytes != b.bytes { return a.bytes > b.bytes }
            if a.firstStep != b.firstStep { return a.firstStep < b.firstStep }
            return a.value < b.value
        }
        var placed: [Placement] = []
        var result = [Placement?](repeating: nil, count: requests.count)
        for index in order {
            let request = requests[index]
            let size = Self.aligned(request.bytes)
            var candidate = Placement(value: request.value, offset: 0, size: size, firstStep: request.firstStep, lastStep: request.lastStep)
            let conflicts = placed.filter { $0.overlapsInTime(candidate) }.sorted { $0.offset < $1.offset }
            var bestOffset: Int?
            var bestGap = Int.max
            var cursor = 0
            for conflict in conflicts {
                let gap = conflict.offset - cursor
                if gap >= size && gap < bestGap {
                    bestGap = gap
                    bestOffset = cursor
                }
                cursor = max(cursor, conflict.offset + conflict.size)
            }
            candidate.offset = bestOffset ?? cursor
            placed.append(candidate)
            result[index] = candidate
        }
        placements = result.map { $0! }
        arenaBytes = placements.reduce(0) { max($0, $1.offset + $1.size) }
        unsharedBytes = placements.reduce(0) { $0 + $1.size }
    }

    static func aligned(_ bytes: Int) -> Int {
        (max(bytes, 1) + alignment - 1) / alignment * alignment
    }
}
