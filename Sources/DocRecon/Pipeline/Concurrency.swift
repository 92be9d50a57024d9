import Foundation

/// A fixed list of tasks handed out one at a time to worker threads.
final class TaskQueue<T>: @unchecked Sendable {
    private let lock = NSLock()
    private var items: [T]
    private var index = 0
    init(_ items: [T]) { self.items = items }
    func next() -> T? {
        lock.lock(); defer { lock.unlock() }
        guard index < items.count else { return nil }
        defer { index += 1 }
        return items[index]
    }
}

/// A bounded multi-producer, single-consumer channel: `put` blocks while `capacity` items wait,
/// so producers can never run ahead of the one database writer by more than that.
final class BoundedChannel<T>: @unchecked Sendable {
    private let cond = NSCondition()
    private var buffer: [T] = []
    private let capacity: Int
    private var openProducers: Int

    init(capacity: Int, producers: Int) {
        self.capacity = max(1, capacity)
        self.openProducers = producers
    }

    func put(_ item: T) {
        cond.lock()
        while buffer.count >= capacity { cond.wait() }
        buffer.append(item)
        cond.broadcast()
        cond.unlock()
    }

    func producerFinished() {
        cond.lock()
        openProducers -= 1
        cond.broadcast()
        cond.unlock()
    }

    /// The next item, or nil once every producer has finished and the buffer is empty.
    func take() -> T? {
        cond.lock(); defer { cond.unlock() }
        while buffer.isEmpty && openProducers > 0 { cond.wait() }
        guard !buffer.isEmpty else { return nil }
        let item = buffer.removeFirst()
        cond.broadcast()
        return item
    }
}

/// Starts `count` threads running `body(workerIndex)`, with a stack big enough for Tesseract.
func startWorkers(_ count: Int, name: String, _ body: @escaping @Sendable (Int) -> Void) {
    for i in 0..<count {
        let t = Thread { body(i) }
        t.name = "\(name)-\(i)"
        t.stackSize = 16 << 20
        t.start()
    }
}
