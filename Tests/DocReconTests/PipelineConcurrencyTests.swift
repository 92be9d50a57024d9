import Foundation
import Testing
@testable import DocRecon

/// The runner's two hand-over points: the work queue pages wait in while files are still being
/// admitted, and the channel readers hand results to the one database writer through.
struct PipelineConcurrencyTests {
    @Test func theHeaviestWorkGoesFirstAndTiesKeepTheirOrder() {
        let q = WorkQueue<String>()
        q.add(["light-1", "light-2"], weight: 10)
        q.add(["heavy-1", "heavy-2"], weight: 90)
        q.add(["middle"], weight: 50)
        q.add(["light-3"], weight: 10)
        q.close()
        var order: [String] = []
        while let x = q.next() { order.append(x) }
        #expect(order == ["heavy-1", "heavy-2", "middle", "light-1", "light-2", "light-3"])
    }

    @Test func aReaderWaitsForWorkAddedLaterAndStopsWhenTheQueueCloses() async throws {
        let q = WorkQueue<Int>()
        let got = LockedBox<[Int]>([])
        let done = LockedBox(false)
        startWorker(name: "test-reader") {
            while let x = q.next() { got.set(got.get() + [x]) }
            done.set(true)
        }
        try await Task.sleep(nanoseconds: 50_000_000)
        #expect(got.get().isEmpty && !done.get())   // nothing queued yet: waiting, not finished
        q.add([1, 2], weight: 1)
        q.add([3], weight: 5)
        try await waitUntil { got.get().count == 3 }
        #expect(Set(got.get()) == [1, 2, 3])
        #expect(!done.get())                        // still open: more files may come
        q.close()
        try await waitUntil { done.get() }
    }

    @Test func cancellingDropsWhatIsStillQueued() {
        let q = WorkQueue<Int>()
        q.add([1, 2, 3], weight: 1)
        #expect(q.next() == 1)
        q.cancel()
        #expect(q.next() == nil)
        q.add([4], weight: 1)      // a closed queue takes nothing more
        #expect(q.next() == nil)
    }

    @Test func aLargeQueueHandsOutEveryItemOnceInWeightOrder() {
        let q = WorkQueue<Int>()
        var rng = SystemRandomNumberGenerator()
        var expected: [(Int64, Int)] = []
        for i in 0..<2_000 {
            let w = Int64.random(in: 0..<50, using: &rng)
            q.add([i], weight: w)
            expected.append((w, i))
        }
        q.close()
        var out: [Int] = []
        while let x = q.next() { out.append(x) }
        let want = expected.sorted { $0.0 != $1.0 ? $0.0 > $1.0 : $0.1 < $1.1 }.map(\.1)
        #expect(out == want)
    }

    @Test func thePipeEndsOnlyWhenNoMoreProducersComeAndTheRegisteredOnesAreDone() throws {
        let ch = RowPipe<Int>(capacity: 4)
        #expect(ch.tryPop() == nil)                 // never blocks
        ch.addProducer(); try ch.push(1); ch.producerFinished()
        #expect(ch.tryPop() == 1)
        // Another reader may still start (ingest adds them as pages are queued): not over yet.
        ch.addProducer()
        startWorker(name: "late") { usleep(50_000); try? ch.push(5); ch.producerFinished() }
        ch.noMoreProducers()
        #expect(ch.pop() == 5)                      // nil here if the first producer had ended it
        #expect(ch.pop() == nil)

        let none = RowPipe<Int>(capacity: 2)
        none.noMoreProducers()
        #expect(none.pop() == nil)                  // no producer registered: nothing will come
    }

    @Test func popGetsEveryItemOfRegisteredProducers() {
        let ch = RowPipe<Int>(capacity: 2)
        ch.addProducer(); ch.addProducer()
        startWorker(name: "p1") { for x in [1, 2, 3] { try? ch.push(x) }; ch.producerFinished() }
        startWorker(name: "p2") { try? ch.push(10); ch.producerFinished() }
        ch.noMoreProducers()
        var got: [Int] = []
        while let x = ch.pop() { got.append(x) }
        #expect(got.sorted() == [1, 2, 3, 10])
    }

    @Test func aConsumerThatFailsStopsBlockedProducers() throws {
        let ch = RowPipe<Int>(capacity: 1)
        try ch.push(1)
        let done = DispatchSemaphore(value: 0)
        let thrown = ResultBox<Bool>()
        startWorker(name: "p") {
            do { try ch.push(2); thrown.value = false } catch { thrown.value = true }
            done.signal()
        }
        ch.fail(CancellationError())
        done.wait()
        #expect(thrown.value == true)
    }

    private func waitUntil(_ cond: @escaping @Sendable () -> Bool) async throws {
        for _ in 0..<400 where !cond() { try await Task.sleep(nanoseconds: 5_000_000) }
        #expect(cond())
    }
}
