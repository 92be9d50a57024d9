import Foundation
import GRDB
import Testing
@testable import DocRecon
#if canImport(FoundationXML)
import FoundationXML
#endif

/// The static HTML report: well-formed pages, one box per extracted value over the page image,
/// owner-only files that stay inside --out, and the overview's charts.
@Suite struct ReportTests {
    /// Collects the elements of an XHTML page (it must parse as XML).
    final class Collector: NSObject, XMLParserDelegate {
        var elements: [(name: String, attrs: [String: String])] = []
        var text = ""
        var error: Error?
        func parser(_ parser: XMLParser, didStartElement name: String, namespaceURI: String?, qualifiedName: String?, attributes: [String: String] = [:]) {
            elements.append((name, attributes))
        }
        func parser(_ parser: XMLParser, foundCharacters string: String) { text += string }
        func parser(_ parser: XMLParser, parseErrorOccurred e: Error) { error = e }
    }

    static func parse(_ path: String) throws -> Collector {
        let c = Collector()
        let p = XMLParser(data: try Data(contentsOf: URL(fileURLWithPath: path)))
        p.delegate = c
        let ok = p.parse()
        #expect(ok, "\(path): \(String(describing: c.error ?? p.parserError))")
        return c
    }

    static func perms(_ path: String) throws -> Int { try FileManager.default.attributesOfItem(atPath: path)[.posixPermissions] as! Int }

    @Test func documentPageHasOneBoxPerExtractedValueOverItsImage() throws {
        let (path, db) = try ReviewFixture.database("report")
        try Corrections.correct(db, FieldKey(documentId: 1, recordIndex: 0, lineIndex: 0, name: "units"), input: "2", reviewer: "ann", reason: "typo")
        let out = try TestSupport.tempDir("report-out").appendingPathComponent("site").path
        let r = try TestSupport.run(["--db", path, "report", "--out", out, "--json"])
        #expect(r.status == 0, "\(r.stderr)")
        let summary = try JSONSerialization.jsonObject(with: Data(r.stdout.utf8)) as! [String: Any]
        #expect(summary["page_images"] as? Int == 1)

        let values = try db.read { db in try ExtractionStore.fields(db, documentId: 1) + ExtractionStore.lines(db, documentId: 1) }
        let withBox = values.filter { $0.box != nil }
        #expect(withBox.count >= 20)
        let page = try Self.parse(out + "/doc-1.html")
        let boxes = page.elements.filter { $0.name == "rect" && $0.attrs["class"] == "box" }
        #expect(boxes.count == withBox.count)
        // Coloured by status: the corrected cell, the values needing review, the rest ok.
        func count(_ s: String) -> Int { boxes.filter { $0.attrs["data-status"] == s }.count }
        #expect(count("corrected") == 1 && count("needs_review") == 2 && count("ok") == withBox.count - 3)
        // Each box sits where its value is, in page pixels; the overlay's viewBox is the page.
        let npi = withBox.first { $0.name == "provider_npi" }!.box!
        #expect(boxes.contains { $0.attrs["data-field"] == "provider_npi" && $0.attrs["x"] == String(npi.x0) && $0.attrs["y"] == String(npi.y0)
                                 && $0.attrs["width"] == String(npi.width) })
        let p1 = try db.read { try Page.fetchOne($0, sql: "SELECT * FROM pages WHERE document_id = 1")! }
        #expect(page.elements.contains { $0.name == "svg" && $0.attrs["viewBox"] == "0 0 \(p1.width) \(p1.height)" })
        // Hover text: value, raw and confidence; for a corrected value what was extracted and who changed it.
        #expect(page.text.contains("record 1 line 1 · units\nvalue: 2\nraw: 1\nconfidence: 0.99\nstatus: corrected\nextracted: 1\ncorrected by ann at "))
        #expect(page.text.contains("value: 1887761504\nraw: 1887761504\nconfidence: 0.15\nstatus: needs_review"))
        // The page image beside it, a real PNG, and nothing loaded from the network.
        let image = page.elements.first { $0.name == "image" }!.attrs["href"]!
        #expect(image == "doc-1-p1.png")
        #expect(try Data(contentsOf: URL(fileURLWithPath: out + "/" + image)).starts(with: [0x89, 0x50, 0x4E, 0x47]))
        for f in try FileManager.default.contentsOfDirectory(atPath: out) where f.hasSuffix(".html") {
            let html = try String(contentsOfFile: out + "/" + f, encoding: .utf8)
            #expect(html.range(of: #"(src|href)="(https?:)?//"#, options: .regularExpression) == nil, "\(f)")
            #expect(!html.contains("<script"), "\(f)")
        }
        // Owner-only.
        #expect(try Self.perms(out) == 0o700)
        for f in try FileManager.default.contentsOfDirectory(atPath: out) { #expect(try Self.perms(out + "/" + f) == 0o600, "\(f)") }
        // The overview parses, links the document, counts fields by status and corrections per field.
        let index = try Self.parse(out + "/index.html")
        #expect(index.elements.contains { $0.name == "a" && $0.attrs["href"] == "doc-1.html" })
        #expect(index.text.contains("Fields by status") && index.text.contains("Corrections per field") && index.text.contains("units: 1"))
        #expect(index.text.contains("Pages per minute"))
    }

    @Test func filesStayInsideOutAndLinksAreNotFollowed() throws {
        let db = try AppDatabase.inMemory()
        let id = try ExtractStoreTests.store(ExtractLayoutTests.superbill(), name: "../../escape.pdf", in: db)
        _ = try ExtractStoreTests.extractor().extract(documentId: id, in: db)
        let dir = try TestSupport.tempDir("report-links")
        let out = dir.appendingPathComponent("site").path
        try FileManager.default.createDirectory(atPath: out, withIntermediateDirectories: true)
        let victim = dir.appendingPathComponent("victim.txt").path
        try "keep me".write(toFile: victim, atomically: true, encoding: .utf8)
        try FileManager.default.createSymbolicLink(atPath: out + "/index.html", withDestinationPath: victim)
        let s = try ReportBuilder(db: db, out: out).write()
        #expect(try String(contentsOfFile: victim, encoding: .utf8) == "keep me")
        #expect(try FileManager.default.attributesOfItem(atPath: out + "/index.html")[.type] as? FileAttributeType == .typeRegular)
        // Named from ids only, whatever the document is called; no image (no original), boxes still drawn.
        #expect(Set(try FileManager.default.contentsOfDirectory(atPath: out)) == ["index.html", "doc-\(id).html", "ledger.html", "sets.html"])
        #expect(try FileManager.default.contentsOfDirectory(atPath: dir.path).sorted() == ["site", "victim.txt"])
        #expect(s.pageImages == 0 && s.missingImages.count == 1 && s.boxes > 10)
        let page = try Self.parse(out + "/doc-\(id).html")
        #expect(page.text.contains("../../escape.pdf") && page.text.contains("page image unavailable"))
        // A file where the folder should be is refused, not overwritten.
        let file = dir.appendingPathComponent("victim.txt").path
        #expect(throws: (any Error).self) { try ReportBuilder(db: db, out: file).write() }
    }

    @Test func overviewChartsLedgerAgingAndMatchedSetsWhenThoseTablesExist() throws {
        let (db, a, _) = try ReviewCorrectionTests.extracted()
        // Ledger entries as the reconciliation stores them.
        try db.write { db in
            // Days outstanding from the date of service (the ledger's default `aging_from`) as of 2026-11-23.
            for (i, dos) in ["2026-11-20", "2026-11-01", "2026-10-20", "2026-09-01", "2026-06-01"].enumerated() {
                try db.execute(sql: """
                    INSERT INTO ledger_entries (key, patient_name, patient_dob, date_of_service, facility, cpt, type_of_care, type_of_visit,
                      servicing_provider, source, status, reason, first_seen, last_attempt, attempts, resolved_on)
                    VALUES (?, 'DOE, JANE', NULL, ?, 'Maple Grove SNF', '99213', '', '', '', 'ice', 'open', 'Missing DX', '2026-11-22', '2026-11-22', 1, NULL)
                    """, arguments: [String(repeating: "0", count: 63) + String(i), dos])
            }
            try db.execute(sql: """
                INSERT INTO ledger_entries (key, patient_name, patient_dob, date_of_service, facility, cpt, type_of_care, type_of_visit,
                  servicing_provider, source, status, reason, first_seen, last_attempt, attempts, resolved_on)
                VALUES (?, 'ROE, R', NULL, '2026-01-01', 'X', '99213', '', '', '', 'ice', 'resolved', NULL, '2026-01-01', '2026-01-01', 1, '2026-02-01')
                """, arguments: [String(repeating: "0", count: 63) + "9"])
        }
        // The matcher's sets: paper charges with no ICE rows are paper-only sets.
        _ = try Matcher.shipped(rulesDir: ExtractFixtures.rulesDir).recomputeAll(db)
        let paperOnly = try db.read { try Int.fetchOne($0, sql: "SELECT count(*) FROM match_sets WHERE status = 'paper-only'") ?? 0 }
        #expect(paperOnly > 0)
        let out = try TestSupport.tempDir("report-ledger").path
        var builder = ReportBuilder(db: db, out: out, today: CalendarDate(year: 2026, month: 11, day: 23)!)
        builder.images = false
        builder.ledgerSettings = ReconciliationSettings()
        _ = try builder.write()
        let index = try Self.parse(out + "/index.html")
        // Aging of the five open entries with the ledger's buckets (30/60/90/120):
        // 3 and 22 days (0-30), 34 days (31-60), 83 days (61-90), 175 days (120+).
        #expect(index.text.contains("0-30 days: 2") && index.text.contains("31-60 days: 1") && index.text.contains("61-90 days: 1"))
        #expect(index.text.contains("91-120 days: 0") && index.text.contains("120+ days: 1"))
        #expect(index.elements.contains { $0.name == "a" && $0.attrs["href"] == "ledger.html" })
        let ledger = try Self.parse(out + "/ledger.html")
        #expect(ledger.text.contains("Open entries (5)") && !ledger.text.contains("ROE, R"))
        let doc = try Self.parse(out + "/doc-\(a).html")
        #expect(doc.text.contains("Matched sets") && doc.text.contains("paper-only") && doc.text.contains("paper_charge #"))
        #expect(try Self.parse(out + "/sets.html").text.contains("paper-only: \(paperOnly)"))
    }
}
