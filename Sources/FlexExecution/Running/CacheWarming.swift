/// Reads one byte per 64-byte cache line of every region and returns their sum (keep it, so the reads
/// cannot be optimized away): what a model switch does to bring a stage's weights into cache.
func touchCacheLines(_ regions: [UnsafeRawBufferPointer]) -> UInt64 {
    var sum: UInt64 = 0
    for region in regions {
        for offset in stride(from: 0, to: region.count, by: 64) { sum &+= UInt64(region.load(fromByteOffset: offset, as: UInt8.self)) }
    }
    return sum
}
