import Foundation

/// A bounded hand-off between two threads (a producer and one consumer), for the bulk paths:
/// parsing a sheet while another thread writes SQLite, or evaluating charges while another
/// thread feeds libxlsxwriter. Each thread keeps its own non-thread-safe handles.
final class RowPipe<T>: @unchecked Sendable {
    private let cond = NSCondition()
    private var items: [T] = []
    private var closed = false
    private var failed: Error?
    private let capacity: Int

    init(capacity: Int = 8) { self.capacity = capacity }

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
        if items.isEmpty { return nil }
        let item = items.removeFirst()
        cond.broadcast()
        return item
    }

    /// An item if one is waiting, without blocking.
    func tryPop() -> T? {
        cond.lock(); defer { cond.unlock() }
        if items.isEmpty { return nil }
        let item = items.removeFirst()
        cond.broadcast()
        return item
    }

    func close() { cond.lock(); closed = true; cond.broadcast(); cond.unlock() }

    /// The consumer stops the producer with an error.
    func fail(_ e: Error) { cond.lock(); failed = e; closed = true; items.removeAll(); cond.broadcast(); cond.unlock() }

    var error: Error? { cond.lock(); defer { cond.unlock() }; return failed }
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
