extension Reference {
    /// Writes the `elementSize`-byte pattern at `element` into each of `count` consecutive elements.
    public static func fill(_ destination: UnsafeMutableRawPointer, count: Int, elementSize: Int,
                            element: UnsafeRawPointer) {
        if count == 0 { return }
        destination.copyMemory(from: element, byteCount: elementSize)
        // Double the filled prefix until the whole range is covered.
        var filled = 1
        while filled < count {
            let chunk = min(filled, count - filled)
            (destination + filled * elementSize).copyMemory(from: destination, byteCount: chunk * elementSize)
            filled += chunk
        }
    }
}
