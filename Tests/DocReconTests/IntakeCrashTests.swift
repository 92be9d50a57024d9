import Foundation
import GRDB
import Testing
@testable import DocRecon

/// Crash safety and determinism of the page pipeline, through the built binary.
@Suite(.serialized) struct IntakeCrashTests {
    /// Eight distinct scanned pages: the fixture rendered at eight resolutions (distinct bytes).
    static func corpus(_ dir: URL, count: Int = 8) throws -> URL {
        let inbox = dir.appendingPathComponent("inbox")
        try FileManager.default.createDirectory(at: inbox, withIntermediateDirectories: true)
        let pdf = try PDFDocument(path: TestSupport.fixture("intake/born-digital.pdf").path)
        for i in 0..<count {
            let pix = try pdf.render(1, dpi: 200 + i * 7, maxPixels: ReadSettings.defaultMaxPixels)
            try pix.pngData()!.write(to: inbox.appendingPathComponent(String(format: "scan-%02d.png", i)))
        }
        return inbox
    }

    /// The content of a database, independent of row ids and timings.
    static func content(_ path: String) throws -> [String] {
        let q = try DatabaseQueue(path: path)
        return try q.read { db in
            try String.fetchAll(db, sql: """
                SELECT d.sha256 || ' ' || d.status || ' p' || p.number || ' ' || p.status || ' ' || p.width || 'x' || p.height
                       || ' ' || p.source || ' ' || COALESCE(group_concat(w.text || '@' || w.x0 || ',' || w.y0 || ',' || w.x1 || ',' || w.y1 || ':' || w.confidence, ' '), '')
                FROM documents d JOIN pages p ON p.document_id = d.id LEFT JOIN words w ON w.page_id = p.id
                GROUP BY p.id ORDER BY d.sha256, p.number
                """)
        }
    }

    static func pagesCommitted(_ path: String) -> Int {
        guard FileManager.default.fileExists(atPath: path), let q = try? DatabaseQueue(path: path) else { return 0 }
        return (try? q.read { try Int.fetchOne($0, sql: "SELECT count(*) FROM pages") ?? 0 }) ?? 0
    }

    @Test func parallelIngestGivesTheSameWordsAsOneJob() throws {
        let dir = try TestSupport.tempDir("par")
        let inbox = try Self.corpus(dir, count: 4)
        let one = dir.appendingPathComponent("one.sqlite").path, two = dir.appendingPathComponent("two.sqlite").path
        #expect(try TestSupport.run(["--db", one, "ingest", "--jobs", "1", inbox.path]).status == 0)
        #expect(try TestSupport.run(["--db", two, "ingest", "--jobs", "2", inbox.path]).status == 0)
        let a = try Self.content(one), b = try Self.content(two)
        #expect(a.count == 4)
        #expect(a == b)
    }

    @Test func killedMidBatchThenRerunEqualsACleanRun() throws {
        let dir = try TestSupport.tempDir("kill")
        let inbox = try Self.corpus(dir)
        let clean = dir.appendingPathComponent("clean.sqlite").path
        #expect(try TestSupport.run(["--db", clean, "ingest", "--jobs", "2", inbox.path]).status == 0)

        let crashed = dir.appendingPathComponent("crashed.sqlite").path
        // Kill at several moments: before any page, after a few, after most.
        for threshold in [0, 2, 5] {
            let p = Process()
            p.executableURL = TestSupport.binary
            p.arguments = ["--db", crashed, "ingest", "--jobs", "2", inbox.path]
            p.standardOutput = FileHandle.nullDevice
            p.standardError = FileHandle.nullDevice
            try p.run()
            let deadline = Date().addingTimeInterval(60)
            while p.isRunning && Self.pagesCommitted(crashed) < threshold + 1 && Date() < deadline {
                if threshold == 0 && FileManager.default.fileExists(atPath: crashed) { usleep(30_000); break }
                usleep(20_000)
            }
            kill(p.processIdentifier, SIGKILL)
            p.waitUntilExit()
        }
        let rerun = try TestSupport.run(["--db", crashed, "ingest", "--jobs", "2", inbox.path, "--json"])
        #expect(rerun.status == 0, "\(rerun.stderr)")
        #expect(try Self.content(crashed) == Self.content(clean))
        let q = try DatabaseQueue(path: crashed)
        try q.read { db in
            let integrity = try String.fetchOne(db, sql: "PRAGMA integrity_check")
            let docs = try Int.fetchOne(db, sql: "SELECT count(*) FROM documents")
            let unfinished = try Int.fetchOne(db, sql: "SELECT count(*) FROM documents WHERE status NOT IN ('ocred', 'extracted')")
            let wordless = try Int.fetchOne(db, sql: "SELECT count(*) FROM pages p WHERE NOT EXISTS (SELECT 1 FROM words w WHERE w.page_id = p.id)")
            #expect(integrity == "ok")
            #expect(docs == 8 && unfinished == 0 && wordless == 0)
        }
        // And once more: a no-op.
        let again = try TestSupport.run(["--db", crashed, "ingest", inbox.path, "--json"])
        let s = try JSON.decoder().decode(IngestSummary.self, from: Data(again.stdout.utf8))
        #expect(s.added == 0 && s.alreadyPresent == 8 && s.pages == 0)
    }
}
