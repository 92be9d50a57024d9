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

    /// Closed with nothing left to hand out.
    var isDrained: Bool { cond.lock(); defer { cond.unlock() }; return closed && heap.isEmpty }

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

/// Starts a thread running `body`, with a stack big enough for Tesseract.
func startWorker(name: String, _ body: @escaping @Sendable () -> Void) {
    let t = Thread { body() }
    t.name = name
    t.stackSize = 16 << 20
    t.start()
}

/// The one bounded hand-off between threads: producers `push` (blocking while `capacity` items
/// wait, so none runs ahead of the consumer by more than that), one consumer `pop`s. Used by the
/// bulk paths (parsing a sheet while another thread writes SQLite, evaluating charges while
/// another formats the sheet) and by ingest (N page readers, one database writer). Each thread
/// keeps its own non-thread-safe handles.
///
/// It ends with `close()`, or, when producers register with `addProducer()`, once
/// `noMoreProducers()` has been said and every registered producer has called
/// `producerFinished()`. A consumer that gives up calls `fail`: producers' `push` then throws
/// instead of waiting.
final class RowPipe<T>: @unchecked Sendable {
    private let cond = NSCondition()
    private var items: [T] = []
    private var closed = false
    private var failed: Error?
    private let capacity: Int
    private var openProducers = 0
    private var producersComplete = false

    init(capacity: Int = 8) { self.capacity = max(1, capacity) }

    /// A producer starts.
    func addProducer() { cond.lock(); openProducers += 1; cond.unlock() }

    /// A registered producer is done.
    func producerFinished() {
        cond.lock()
        openProducers -= 1
        if producersComplete && openProducers == 0 { closed = true }
        cond.broadcast()
        cond.unlock()
    }

    /// No producer will register any more: the pipe closes when the registered ones have finished
    /// (at once if none is running).
    func noMoreProducers() {
        cond.lock()
        producersComplete = true
        if openProducers == 0 { closed = true }
        cond.broadcast()
        cond.unlock()
    }

    /// Blocks while full. Throws the consumer's error if it gave up.
    func push(_ item: T) throws {
        cond.lock(); defer { cond.unlock() }
        while items.count >= capacity && failed == nil && !closed { cond.wait() }
        if let failed { throw failed }
        items.append(item)
        cond.broadcast()
    }

    /// Blocks while empty; nil once closed and drained.
    func pop() -> T? {
        cond.lock(); defer { cond.unlock() }
        while items.isEmpty && !closed { cond.wait() }
        return takeFirst()
    }

    /// Blocks while empty for at most `seconds`: the item, or nil with `closed` saying whether
    /// the pipe is closed and drained (otherwise the wait timed out).
    func pop(waitingAtMost seconds: Double) -> (item: T?, closed: Bool) {
        cond.lock(); defer { cond.unlock() }
        let until = Date(timeIntervalSinceNow: seconds)
        while items.isEmpty && !closed {
            if !cond.wait(until: until) { break }
        }
        if let item = takeFirst() { return (item, false) }
        return (nil, closed)
    }

    /// An item if one is waiting, without blocking.
    func tryPop() -> T? {
        cond.lock(); defer { cond.unlock() }
        return takeFirst()
    }

    /// The first item, if any (the lock is held); wakes a producer waiting for room.
    private func takeFirst() -> T? {
        if items.isEmpty { return nil }
        let item = items.removeFirst()
        cond.broadcast()
        return item
    }

    func close() { cond.lock(); closed = true; cond.broadcast(); cond.unlock() }

    /// The consumer stops the producer with an error.
    func fail(_ e: Error) { cond.lock(); failed = e; closed = true; items.removeAll(); cond.broadcast(); cond.unlock() }
}

/// What one reader thread is busy with, for the watchdog: a page that is still being read after
/// its deadline is taken from the reader (`overdue`), which then drops its result and stops when
/// (if ever) the C call it is stuck in returns. Threads cannot be killed; an abandoned one costs
/// its stack and handles until the process ends, and the batch goes on with a new reader.
final class ReaderSlot<Task>: @unchecked Sendable {
    private let lock = NSLock()
    private var task: Task?
    private var started = DispatchTime.now()
    private var abandoned = false

    /// The reader starts `t`.
    func begin(_ t: Task) { lock.lock(); task = t; started = .now(); lock.unlock() }

    /// The reader has finished its task: false when the watchdog took it meanwhile.
    func end() -> Bool { lock.lock(); defer { lock.unlock() }; task = nil; return !abandoned }

    /// The task, when it has run longer than `seconds`; the slot is then abandoned.
    func overdue(after seconds: Double) -> Task? {
        lock.lock(); defer { lock.unlock() }
        guard !abandoned, let t = task, Double(DispatchTime.now().uptimeNanoseconds - started.uptimeNanoseconds) / 1e9 > seconds else { return nil }
        abandoned = true
        return t
    }
}

/// Runs `body` on its own thread and waits at most `seconds` for it: its result, or nil when the
/// time ran out (the thread is abandoned: it finishes, or not, on its own; what it returns then
/// is dropped). For a C library call that might never return (opening a hostile file).
func withDeadline<T>(seconds: Double, _ body: @escaping @Sendable () throws -> T) throws -> T? {
    let outcome = ResultBox<Result<T, Error>>()
    let done = DispatchSemaphore(value: 0)
    let t = Thread { outcome.value = Result { try body() }; done.signal() }
    t.stackSize = 8 << 20
    t.start()
    guard done.wait(timeout: .now() + seconds) == .success else { return nil }
    return try outcome.value!.get()
}

/// Runs `body` on a new thread; `wait()` returns when it has finished.
final class Worker: @unchecked Sendable {
    private let done = DispatchSemaphore(value: 0)
    private var thrown: Error?

    init(_ body: @escaping () throws -> Void) {
        let job = Handoff(value: body)
        let t = Thread { [self] in
            do { try job.value() } catch { thrown = error }
            done.signal()
        }
        t.stackSize = 4 << 20
        t.start()
    }

    private var joined = false

    /// Waits for the thread (once; later calls return at once); rethrows what it threw.
    func wait() throws {
        if !joined { done.wait(); joined = true }
        if let thrown { throw thrown }
    }
}

/// Moves a value that is used by one thread at a time across a thread boundary.
struct Handoff<T>: @unchecked Sendable { let value: T }

/// A value one thread sets and another reads after `Worker.wait()`.
final class ResultBox<T>: @unchecked Sendable { var value: T? }
