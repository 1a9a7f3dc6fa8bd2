extension Fast {
    /// Part `threadIndex` of `threadCount` of `0 ..< count`: contiguous, in whole multiples of `granule`
    /// (except at the end), together covering the range exactly once.
    static func partition(_ count: Int, threadIndex: Int, threadCount: Int, granule: Int = 1) -> Range<Int> {
        precondition(threadIndex >= 0 && threadIndex < threadCount, "thread \(threadIndex) of \(threadCount)")
        let units = (count + granule - 1) / granule
        let start = units * threadIndex / threadCount * granule, end = units * (threadIndex + 1) / threadCount * granule
        return Swift.min(start, count)..<Swift.min(end, count)
    }
}
