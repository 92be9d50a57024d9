import Foundation

/// Work handed out to worker threads while it is still being added: the heaviest item first
/// (ties in the order added), `next` blocks until there is an item or the queue is closed.
final class WorkQueue<T>: @unchecked Sendable {
    private let cond = NSCondition()
    private var heap: [(weight: Int64, seq: Int, item: T)] = []
    private var seq = 0
    private var closed = false

    /// Adds items of one weight (the higher, the sooner they are handed out); ignored once closed.
    func add(_ items: [T], weight: Int64) {
        guard !items.isEmpty else { return }
        cond.lock()
        guard !closed else { cond.unlock(); return }
        for item in items {
            heap.append((weight, seq, item)); seq += 1
            siftUp(heap.count - 1)
        }
        cond.broadcast()
        cond.unlock()
    }

    /// No more items will come: `next` returns nil once the queue is empty.
    func close() {
        cond.lock(); closed = true; cond.broadcast(); cond.unlock()
    }

    /// Closes the queue and drops what is still waiting (the batch is being abandoned).
    func cancel() {
        cond.lock(); closed = true; heap.removeAll(); cond.broadcast(); cond.unlock()
    }

    func next() -> T? {
        cond.lock(); defer { cond.unlock() }
        while heap.isEmpty && !closed { cond.wait() }
        guard !heap.isEmpty else { return nil }
        let top = heap[0].item
        let last = heap.removeLast()
        if !heap.isEmpty { heap[0] = last; siftDown(0) }
        return top
    }

    private func before(_ a: Int, _ b: Int) -> Bool {
        heap[a].weight != heap[b].weight ? heap[a].weight > heap[b].weight : heap[a].seq < heap[b].seq
    }

    private func siftUp(_ i: Int) {
        var i = i
        while i > 0 {
            let parent = (i - 1) / 2
            guard before(i, parent) else { return }
            heap.swapAt(i, parent); i = parent
        }
    }

    private func siftDown(_ i: Int) {
        var i = i
        while true {
            let l = 2 * i + 1, r = l + 1
            var best = i
            if l < heap.count && before(l, best) { best = l }
            if r < heap.count && before(r, best) { best = r }
            if best == i { return }
            heap.swapAt(i, best); i = best
        }
    }
}

/// A bounded multi-producer, single-consumer channel: `put` blocks while `capacity` items wait,
/// so producers can never run ahead of the one database writer by more than that. Producers
/// register as they start; `take` returns nil once every registered producer has finished.
final class BoundedChannel<T>: @unchecked Sendable {
    private let cond = NSCondition()
    private var buffer: [T] = []
    private let capacity: Int
    private var openProducers = 0

    init(capacity: Int) {
        self.capacity = max(1, capacity)
    }

    func addProducer() {
        cond.lock(); openProducers += 1; cond.unlock()
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
        return pop()
    }

    /// The next item if one is waiting; never blocks.
    func poll() -> T? {
        cond.lock(); defer { cond.unlock() }
        return pop()
    }

    private func pop() -> T? {
        guard !buffer.isEmpty else { return nil }
        let item = buffer.removeFirst()
        cond.broadcast()
        return item
    }
}

/// Starts a thread running `body`, with a stack big enough for Tesseract.
func startWorker(name: String, _ body: @escaping @Sendable () -> Void) {
    let t = Thread { body() }
    t.name = name
    t.stackSize = 16 << 20
    t.start()
}
