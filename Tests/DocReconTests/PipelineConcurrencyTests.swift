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

    @Test func pollNeverBlocksAndTakeEndsWhenEveryProducerIsDone() async throws {
        let ch = BoundedChannel<Int>(capacity: 2)
        #expect(ch.poll() == nil)
        #expect(ch.take() == nil)                   // no producer registered: nothing will come
        ch.addProducer(); ch.addProducer()
        startWorker(name: "p1") { ch.put(1); ch.put(2); ch.put(3); ch.producerFinished() }
        startWorker(name: "p2") { ch.put(10); ch.producerFinished() }
        var got: [Int] = []
        while let x = ch.take() { got.append(x) }
        #expect(got.sorted() == [1, 2, 3, 10])
        #expect(ch.poll() == nil)
    }

    private func waitUntil(_ cond: @escaping @Sendable () -> Bool) async throws {
        for _ in 0..<400 where !cond() { try await Task.sleep(nanoseconds: 5_000_000) }
        #expect(cond())
    }
}
