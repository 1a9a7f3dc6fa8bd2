/// A first-in first-out queue with O(1) amortized `append` and `popFirst`.
///
/// Thread ownership: a plain value; the owner guards it (every use in FlexRuntime sits inside a `Locked`).
struct FIFO<Element> {
    private var storage: [Element?] = []
    private var head = 0

    var count: Int { storage.count - head }

    mutating func append(_ element: Element) {
        storage.append(element)
    }

    mutating func popFirst() -> Element? {
        guard head < storage.count else { return nil }
        let element = storage[head]
        storage[head] = nil
        head += 1
        if head == storage.count {
            storage.removeAll(keepingCapacity: true)
            head = 0
        } else if head >= 64 && head * 2 >= storage.count {
            storage.removeFirst(head)
            head = 0
        }
        return element
    }

    /// Removes the first element matching `predicate`; returns whether one was removed.
    mutating func removeFirst(where predicate: (Element) -> Bool) -> Bool {
        guard let index = storage[head...].firstIndex(where: { $0.map(predicate) ?? false }) else { return false }
        storage.remove(at: index)
        return true
    }

    /// Removes and returns every element, oldest first.
    mutating func removeAll() -> [Element] {
        let elements = storage[head...].compactMap { $0 }
        storage.removeAll()
        head = 0
        return elements
    }
}
