import Foundation
import GRDB
import Testing
@testable import DocRecon

/// Issue 21, item 3: a page or file that takes longer than its deadline is stopped, named with
/// the reason and counted as rejected; the batch goes on, and a C call that never returns cannot
/// stall it (the watchdog abandons the page).
@Suite("Deadlines on every page") struct DeadlineTests {
    /// A valid one-page PDF whose page draws a form XObject that draws the next one `fan` times,
    /// `levels` deep: a 3 KB file whose page is 10^8 fills, in poppler (and cairo) for minutes,
    /// with no way to interrupt the call. (The PDF analogue of the billion-laughs XML.)
    static func nestedFormsPDF(levels: Int = 8, fan: Int = 10) -> Data {
        var objects: [String] = [
            "<< /Type /Catalog /Pages 2 0 R >>",
            "<< /Type /Pages /Kids [3 0 R] /Count 1 >>",
        ]
        let forms = (0...levels).map { "/F\($0) \(5 + $0) 0 R" }.joined(separator: " ")
        objects.append("<< /Type /Page /Parent 2 0 R /MediaBox [0 0 612 792] /Contents 4 0 R /Resources << /XObject << \(forms) >> >> >>")
        let page = "/F\(levels) Do"
        objects.append("<< /Length \(page.utf8.count) >>\nstream\n\(page)\nendstream")
        for k in 0...levels {
            let body = k == 0 ? "0.5 g 100 100 400 500 re f" : Array(repeating: "q /F\(k - 1) Do Q", count: fan).joined(separator: " ")
            let resources = k == 0 ? "<< >>" : "<< /XObject << /F\(k - 1) \(5 + k - 1) 0 R >> >>"
            objects.append("<< /Type /XObject /Subtype /Form /BBox [0 0 612 792] /Resources \(resources) /Length \(body.utf8.count) >>\nstream\n\(body)\nendstream")
        }
        var out = "%PDF-1.4\n"
        var offsets: [Int] = []
        for (i, o) in objects.enumerated() {
            offsets.append(out.utf8.count)
            out += "\(i + 1) 0 obj\n\(o)\nendobj\n"
        }
        let xref = out.utf8.count
        out += "xref\n0 \(objects.count + 1)\n0000000000 65535 f \n"
        for o in offsets { out += String(format: "%010d 00000 n \n", o) }
        out += "trailer\n<< /Size \(objects.count + 1) /Root 1 0 R >>\nstartxref\n\(xref)\n%%EOF\n"
        return Data(out.utf8)
    }

    static func documentStatuses(_ db: String) throws -> [String: String] {
        let q = try DatabaseQueue(path: db)
        return try q.read { db in
            Dictionary(uniqueKeysWithValues: try Row.fetchAll(db, sql: "SELECT original_name, status FROM documents").map {
                ($0["original_name"] as String, $0["status"] as String)
            })
        }
    }

    @Test("a page stuck in poppler is abandoned after its deadline; the next file is read; a re-run refuses it at once")
    func stuckPageIsAbandoned() throws {
        let dir = try TestSupport.tempDir("deadline")
        let nested = dir.appendingPathComponent("nested-forms.pdf")
        try Self.nestedFormsPDF().write(to: nested)
        let good = TestSupport.repoRoot.appendingPathComponent("Samples/sheets/born-digital-01-encounter-form.pdf")
        let db = dir.appendingPathComponent("db.sqlite").path
        let started = Date()
        let r = try TestSupport.run(["--db", db, "ingest", "--no-extract", "--page-timeout", "2", nested.path, good.path], timeout: 120)
        let seconds = Date().timeIntervalSince(started)
        #expect(!r.timedOut)
        #expect(r.status == 2)
        let lines = r.stderr.split(separator: "\n")
        #expect(lines.count == 1, "\(r.stderr)")
        #expect(lines.first?.hasPrefix(nested.path + " page 1: ") == true, "\(r.stderr)")
        #expect(r.stderr.contains("abandoned"), "\(r.stderr)")
        // The deadline (2 s) and the watchdog's grace (5 s), not the minutes the page would take.
        #expect(seconds < 60, "took \(seconds) s")
        let statuses = try Self.documentStatuses(db)
        #expect(statuses["born-digital-01-encounter-form.pdf"] == "ocred")
        #expect(statuses["nested-forms.pdf"] == "failed")
        // The page's failure is stored: a re-run names it again, without reading it again.
        let again = try TestSupport.run(["--db", db, "ingest", "--no-extract", "--page-timeout", "2", nested.path, good.path], timeout: 60)
        #expect(again.status == 2)
        #expect(again.stderr.split(separator: "\n").count == 1)
        #expect(again.stderr.contains("page deadline"))
        #expect(again.stdout.contains("added 0, already present 1, rejected 1"), "\(again.stdout)")
    }

    @Test("Tesseract stops at the page deadline by itself: the page is named as stopped, not abandoned")
    func tesseractStopsAtTheDeadline() throws {
        let dir = try TestSupport.tempDir("deadline-ocr")
        let page = TestSupport.repoRoot.appendingPathComponent("Samples/sheets/image-encounter-form.png")
        let db = dir.appendingPathComponent("db.sqlite").path
        let r = try TestSupport.run(["--db", db, "ingest", "--no-extract", "--no-osd", "--page-timeout", "0.05", page.path], timeout: 120)
        #expect(r.status == 2)
        #expect(r.stderr.split(separator: "\n").count == 1, "\(r.stderr)")
        #expect(r.stderr.hasPrefix(page.path + " page 1: reading it took longer than the page deadline of 0.05 s; it was stopped"), "\(r.stderr)")
    }

    @Test("the monitor's deadline: a recognition past it returns nothing and says so")
    func tesseractDeadline() throws {
        let tess = try Tesseract(dataPath: try TessdataLocator.locate(explicit: nil))
        let pix = try #require(Pix.read(path: TestSupport.repoRoot.appendingPathComponent("Samples/sheets/image-encounter-form.png").path))
        tess.deadline = .now()
        #expect(tess.words(in: pix, dpi: 300).isEmpty)
        #expect(tess.deadlineHit)
        tess.deadline = nil
        #expect(!tess.deadlineHit)
        #expect(tess.words(in: pix, dpi: 300).count > 20)
    }

    @Test("the watchdog's parts: a slot past its time is taken once; a call past its deadline is abandoned")
    func watchdogParts() throws {
        let slot = ReaderSlot<Int>()
        slot.begin(7)
        #expect(slot.overdue(after: 60) == nil)
        Thread.sleep(forTimeInterval: 0.05)
        #expect(slot.overdue(after: 0.01) == 7)
        #expect(slot.overdue(after: 0.01) == nil, "taken once")
        #expect(slot.end() == false, "the reader learns its page was taken")
        let quick = try withDeadline(seconds: 5) { 42 }
        #expect(quick == 42)
        let started = Date()
        let stuck = try withDeadline(seconds: 0.2) { () -> Int in Thread.sleep(forTimeInterval: 3); return 1 }
        #expect(stuck == nil)
        #expect(Date().timeIntervalSince(started) < 2)
    }
}

/// The second look (extraction re-reading crops on the writer thread) under the deadline too.
@Suite("The second look's deadline") struct SecondLookDeadlineTests {
    final class Rereader: FieldRereader, @unchecked Sendable {
        let delay: Double
        private let lock = NSLock()
        private var count = 0
        init(delay: Double) { self.delay = delay }
        var calls: Int { lock.lock(); defer { lock.unlock() }; return count }
        func reread(documentId: Int64, page: Int, box: Box, type: FieldType) -> (text: String, confidence: Double)? {
            lock.lock(); count += 1; lock.unlock()
            Thread.sleep(forTimeInterval: delay)
            return ("06 12 26", 0.9)
        }
    }

    @Test("in time: the readings; stuck: nothing, at the deadline, and no more looks after it")
    func abandonsAStuckLook() {
        let quick = DeadlineRereader(Rereader(delay: 0), seconds: 5)
        #expect(quick.readings(documentId: 1, page: 1, box: Box(0, 0, 10, 10), type: .date).map(\.text) == ["06 12 26"])
        let slow = Rereader(delay: 3)
        let guarded = DeadlineRereader(slow, seconds: 0.2)
        let started = Date()
        #expect(guarded.readings(documentId: 1, page: 1, box: Box(0, 0, 10, 10), type: .date).isEmpty)
        #expect(Date().timeIntervalSince(started) < 2)
        #expect(guarded.isAbandoned)
        #expect(guarded.readings(documentId: 1, page: 2, box: Box(0, 0, 10, 10), type: .date).isEmpty)
        #expect(slow.calls == 1, "the stuck rereader is not called again")
    }
}
