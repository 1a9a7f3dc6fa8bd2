/// FNV-1a, 64-bit: the artifact's checksum. Every step is a bijection of the state, so any single
/// changed byte changes the result.
enum Checksum {
    static let offsetBasis: UInt64 = 0xcbf2_9ce4_8422_2325
    static let prime: UInt64 = 0x0000_0100_0000_01b3

    static func fnv1a64(_ bytes: UnsafeRawBufferPointer, continuing state: UInt64 = offsetBasis) -> UInt64 {
        var hash = state
        for byte in bytes {
            hash ^= UInt64(byte)
            hash &*= prime
        }
        return hash
    }
}
