import Foundation
import GRDB
import Testing
@testable import DocRecon

/// Issue 21: the defects a hostile probe found, each with the test that fails without its fix.
@Suite("Damaged inputs and tampering") struct RobustnessTests {
    static let header = "PATIENT NAME,DOB,date of service,Type of Care,Type  of Visit,Facility,Room,Assestment,CPT,Servicing Provider,Export Date\n"

    static func export(_ name: String, dos: String, patients: [String], in dir: URL) throws -> String {
        let url = dir.appendingPathComponent(name)
        var text = header
        for (i, p) in patients.enumerated() {
            text += "\"\(p)\",01-0\(i % 9 + 1)-1950,\(dos),LTC,Follow-up,Maple Grove Care Center,10\(i),I10,99309,Avery Quinlan MD,\(dos)\n"
        }
        try text.write(to: url, atomically: true, encoding: .utf8)
        return url.path
    }

    static func runCharges(_ json: String) throws -> Int? {
        let obj = try JSONSerialization.jsonObject(with: Data(json.utf8)) as? [String: Any]
        return (obj?["run"] as? [String: Any])?["charges"] as? Int
    }

    @Test("a back-dated run takes only the imports of its date or before; the later export stays for its own day")
    func backDatedRunTakesOnlyEarlierImports() throws {
        let dir = try TestSupport.tempDir("backdate")
        let db = dir.appendingPathComponent("db.sqlite").path
        let out = dir.appendingPathComponent("out").path
        let d18 = try Self.export("Export 11-18.csv", dos: "11-18-2026", patients: ["ONE, ANN", "TWO, BEN"], in: dir)
        let d19 = try Self.export("Export 11-19.csv", dos: "11-19-2026", patients: ["THREE, CAL"], in: dir)
        let d20 = try Self.export("Export 11-20.csv", dos: "11-20-2026", patients: ["FOUR, DEE", "FIVE, EVE", "SIX, FAY"], in: dir)
        #expect(try TestSupport.run(["import-ice", "--db", db, d18]).status == 0)
        let r18 = try TestSupport.run(["reconcile", "--db", db, "--date", "2026-11-18", "--out", out, "--json"])
        #expect(try Self.runCharges(r18.stdout) == 2)
        // Both later exports arrive; the 11-20 run is made first, then the forgotten 11-19.
        #expect(try TestSupport.run(["import-ice", "--db", db, d19]).status == 0)
        #expect(try TestSupport.run(["import-ice", "--db", db, d20]).status == 0)
        let r19 = try TestSupport.run(["reconcile", "--db", db, "--date", "2026-11-19", "--out", out, "--json"])
        #expect(try Self.runCharges(r19.stdout) == 1, "the 11-20 export is not the 11-19 day's intake: \(r19.stdout)")
        let r20 = try TestSupport.run(["reconcile", "--db", db, "--date", "2026-11-20", "--out", out, "--json"])
        #expect(try Self.runCharges(r20.stdout) == 3)
        // Back-dated now (11-20 exists): with --force, 11-19 again takes its own import only.
        let again = try TestSupport.run(["reconcile", "--db", db, "--date", "2026-11-19", "--out", out, "--json", "--force"])
        #expect(again.status == 0, "\(again.stderr)")
        #expect(try Self.runCharges(again.stdout) == 1)
        // A run dated before every import's charges takes none of them.
        let d21 = try Self.export("Export 11-21.csv", dos: "11-21-2026", patients: ["SEVEN, GUS"], in: dir)
        #expect(try TestSupport.run(["import-ice", "--db", db, d21]).status == 0)
        let early = try TestSupport.run(["reconcile", "--db", db, "--date", "2026-11-17", "--out", out, "--json", "--force"])
        #expect(try Self.runCharges(early.stdout) == 0)
        let ledger = try TestSupport.run(["ledger", "--db", db, "--json", "--status", "all", "--as-of", "2026-11-21"])
        let items = try JSONSerialization.jsonObject(with: Data(ledger.stdout.utf8)) as? [[String: Any]] ?? []
        for e in items {
            let dos = e["date_of_service"] as? String ?? "", seen = e["first_seen"] as? String ?? ""
            #expect(seen >= dos, "an entry first seen (\(seen)) before its date of service (\(dos))")
        }
    }

    /// A database with three audited corrections, made through the review API.
    static func auditedDatabase(in dir: URL) throws -> String {
        let path = dir.appendingPathComponent("audit.sqlite").path
        let db = try AppDatabase.open(path: path)
        try db.write { db in
            try db.execute(sql: """
                INSERT INTO documents (sha256, original_name, original_path, stored_path, kind, byte_size, page_count, status, created_at, updated_at)
                VALUES ('abc', 'sheet.pdf', '/x/sheet.pdf', '/o/abc.pdf', 'pdf', 10, 1, 'extracted', '2026-11-20', '2026-11-20')
                """)
            for (i, field) in ["patient_name", "patient_dob", "account_number"].enumerated() {
                try AuditTrail.append(db, action: .correct, reviewer: "rev", documentId: 1, recordIndex: 0, lineIndex: nil,
                                      field: field, old: "old\(i)", new: "new\(i)", reason: nil, forced: false)
            }
        }
        return path
    }

    /// Runs raw SQL on the file with the append-only triggers dropped, as a tamperer would.
    static func tamper(_ path: String, _ sql: String) throws {
        let q = try DatabaseQueue(path: path)
        try q.write { db in
            try db.execute(sql: "DROP TRIGGER IF EXISTS audit_no_update; DROP TRIGGER IF EXISTS audit_no_delete; " + sql)
        }
    }

    @Test("audit --verify passes an intact trail and names the first broken row of an edited, a deleted and an inserted row",
          arguments: [
            ("UPDATE audit SET new = 'forged' WHERE id = 2", "row 2 was changed or inserted"),
            ("DELETE FROM audit WHERE id = 2", "row 3 does not follow row 1"),
            ("DELETE FROM audit WHERE id = 3", "rows 3-3 were deleted from the end"),
            ("""
             INSERT INTO audit (id, at, reviewer, action, document_id, document_name, document_sha256, record_index, field, old, new, forced, prev_hash, row_hash)
             SELECT 4, at, reviewer, action, document_id, document_name, document_sha256, record_index, field, old, 'x', forced, row_hash, 'f00'
             FROM audit WHERE id = 3
             """, "row 4 was changed or inserted"),
            ("UPDATE audit SET prev_hash = (SELECT row_hash FROM audit WHERE id = 1) WHERE id = 3", "row 3 does not follow row 2"),
          ])
    func auditVerify(sql: String, expected: String) throws {
        let dir = try TestSupport.tempDir("audit")
        let path = try Self.auditedDatabase(in: dir)
        let ok = try TestSupport.run(["--db", path, "audit", "--verify"])
        #expect(ok.status == 0)
        #expect(ok.stdout.hasPrefix("audit trail intact: 3 rows, head "))
        try Self.tamper(path, sql)
        let bad = try TestSupport.run(["--db", path, "audit", "--verify"])
        #expect(bad.status == 1)
        #expect(bad.stderr.contains(expected), "\(bad.stderr)")
    }

    @Test("the chain is kept by every append and survives reopening; rows written before it are chained by the migration")
    func chainBackfill() throws {
        let dir = try TestSupport.tempDir("chain")
        let path = try Self.auditedDatabase(in: dir)
        let db = try AppDatabase.open(path: path)
        let v = try AuditChain.verify(db)
        #expect(v.intact && v.rows == 3)
        // Unchain the rows (as a trail written before migration v14) and run the backfill.
        try Self.tamper(path, "UPDATE audit SET prev_hash = NULL, row_hash = NULL")
        #expect(try !AuditChain.verify(db).intact)
        try db.write { try AuditChain.backfill($0) }
        #expect(try AuditChain.verify(db) == v, "the backfill gives the chain the appends gave")
    }

    @Test("ICE dates are checked for plausibility like paper ones: each impossible row refused with its reason, no value shown")
    func iceDatePlausibility() throws {
        let dir = try TestSupport.tempDir("icedates")
        let csv = dir.appendingPathComponent("dates.csv")
        let rows: [(dob: String, dos: String)] = [
            ("01-02-1950", "11-20-2026"),   // row 2: fine
            ("01-02-1950", "12-31-9999"),   // row 3
            ("01-02-1950", "01-01-0001"),   // row 4
            ("01-02-1950", "92"),           // row 5: a number, read as 1900-04-01
            ("11-21-2026", "11-20-2026"),   // row 6: born after the service
            ("01-01-2999", "11-20-2026"),   // row 7
            ("01-01-1870", "11-20-2026"),   // row 8
        ]
        var text = Self.header
        for (i, r) in rows.enumerated() {
            text += "\"PATIENT\(i), ANN\",\(r.dob),\(r.dos),LTC,Follow-up,Maple Grove Care Center,1,I10,99309,Avery Quinlan MD,11-20-2026\n"
        }
        try text.write(to: csv, atomically: true, encoding: .utf8)
        let db = dir.appendingPathComponent("db.sqlite").path
        let r = try TestSupport.run(["import-ice", "--db", db, csv.path, "--json"])
        #expect(r.status == 2)
        let lines = r.stderr.split(separator: "\n").map(String.init)
        #expect(lines == [
            "dates.csv row 3: date of service is not a plausible date of service (more than a year ahead)",
            "dates.csv row 4: date of service is not a plausible date of service (more than 3 years before today)",
            "dates.csv row 5: date of service is not a plausible date of service (more than 3 years before today)",
            "dates.csv row 6: DOB is after the date of service",
            "dates.csv row 7: DOB is after the date of service",
            "dates.csv row 8: DOB is not a plausible birth date (more than 120 years ago)",
        ], "\(r.stderr)")
        let obj = try JSONSerialization.jsonObject(with: Data(r.stdout.utf8)) as? [String: Any]
        #expect(obj?["rows"] as? Int == 1)
        // --verbose shows the value it is about.
        let csv2 = dir.appendingPathComponent("dates2.csv")
        try (text + "\n").write(to: csv2, atomically: true, encoding: .utf8)
        let v = try TestSupport.run(["import-ice", "--db", db, "--verbose", csv2.path])
        #expect(v.stderr.contains("row 7: DOB is after the date of service (value '2999-01-01')"))
    }

    @Test("a NUL or another control character in a CSV cell refuses the row; nothing of it is stored")
    func controlCharactersInCells() throws {
        let dir = try TestSupport.tempDir("nul")
        let csv = dir.appendingPathComponent("nul.csv")
        var text = Self.header
        text += "\"GOOD, ANN\",01-02-1950,11-20-2026,LTC,Follow-up,Maple Grove Care Center,1,I10,99309,Avery Quinlan MD,11-20-2026\n"
        text += "\"BAD\u{0}, BEN\",01-02-1950,11-20-2026,LTC,Follow-up,Maple Grove Care Center,1,I10,99309,Avery Quinlan MD,11-20-2026\n"
        text += "\"ESC, CAL\",01-02-1950,11-20-2026,LTC,Follow-up,Maple Grove Care Center\u{1b}[2J,1,I10,99309,Avery Quinlan MD,11-20-2026\n"
        text += "\"TAB, DEE\",01-02-1950,11-20-2026,LTC,Follow-up,\"Maple Grove\tCare Center\",1,I10,99309,Avery Quinlan MD,11-20-2026\n"
        try text.write(to: csv, atomically: true, encoding: .utf8)
        let db = dir.appendingPathComponent("db.sqlite").path
        let r = try TestSupport.run(["import-ice", "--db", db, csv.path, "--json"])
        #expect(r.status == 2)
        #expect(r.stderr == "nul.csv row 3: PATIENT NAME holds a control character (a damaged export?)\n"
                + "nul.csv row 4: Facility holds a control character (a damaged export?)\n", "\(r.stderr)")
        let q = try DatabaseQueue(path: db)
        let names = try q.read { try String.fetchAll($0, sql: "SELECT patient_name FROM charges ORDER BY id") }
        #expect(names.count == 2 && names.allSatisfy { !$0.contains("\u{0}") })
    }

    @Test("a file name with a newline or an escape sequence is one line on stderr, escaped")
    func controlCharactersInNames() throws {
        let dir = try TestSupport.tempDir("names")
        let evil = dir.appendingPathComponent("scan\nforged.pdf: all is well\u{1b}[31m.pdf")
        try "not a pdf at all".write(to: evil, atomically: true, encoding: .utf8)
        let db = dir.appendingPathComponent("db.sqlite").path
        let r = try TestSupport.run(["--db", db, "ingest", evil.path])
        #expect(r.status == 2)
        let lines = r.stderr.split(separator: "\n", omittingEmptySubsequences: false).filter { !$0.isEmpty }
        #expect(lines.count == 1, "\(r.stderr)")
        #expect(lines.first?.contains("scan\\nforged.pdf: all is well\\u{1b}[31m.pdf") == true)
        #expect(!r.stderr.contains("\u{1b}"))
        #expect(Printable.oneLine("a\tb\r\u{7f}\u{2028}") == "a\\tb\\r\\u{7f}\\u{2028}")
        #expect(Printable.oneLine("plain, ÄÖü") == "plain, ÄÖü")
    }

    @Test("workbook temporaries a killed run left in --out are removed by the next run; a live writer's are kept")
    func staleTemporariesRemoved() throws {
        let dir = try TestSupport.tempDir("tmpout")
        let out = dir.appendingPathComponent("out")
        try FileManager.default.createDirectory(at: out, withIntermediateDirectories: true)
        // A pid that is not running.
        var dead: Int32 = 999_999
        while kill(dead, 0) == 0 || errno == EPERM { dead -= 1 }
        let stale = [".tmp-\(dead)-General Reconciliation 11-20-2026.xlsx", ".tmp-\(dead)-Master Missing 11-20-2026.xlsx.splice"]
        let live = ".tmp-\(getpid())-Other.xlsx"
        for n in stale + [live] { try Data("x".utf8).write(to: out.appendingPathComponent(n)) }
        let db = dir.appendingPathComponent("db.sqlite").path
        let csv = try Self.export("e.csv", dos: "11-20-2026", patients: ["ONE, ANN"], in: dir)
        #expect(try TestSupport.run(["import-ice", "--db", db, csv]).status == 0)
        let r = try TestSupport.run(["reconcile", "--db", db, "--date", "2026-11-20", "--out", out.path])
        #expect(r.status == 0, "\(r.stderr)")
        let left = try FileManager.default.contentsOfDirectory(atPath: out.path)
        #expect(stale.allSatisfy { !left.contains($0) }, "\(left)")
        #expect(left.contains(live))
    }

    /// What a database holds, as counts and the charges' values (ids aside).
    static func state(_ path: String) throws -> [String] {
        let q = try DatabaseQueue(path: path)
        return try q.read { db in
            var out: [String] = []
            for t in ["documents", "pages", "words", "page_forms"] {
                out.append("\(t) \(try Int.fetchOne(db, sql: "SELECT COUNT(*) FROM \(t)") ?? -1)")
            }
            out += try String.fetchAll(db, sql: """
                SELECT d.original_name || ' ' || d.status || ' ' || COALESCE(d.doc_type, '-') FROM documents d ORDER BY d.original_name
                """)
            out += try String.fetchAll(db, sql: """
                SELECT d.original_name || ' ' || c.record_index || ' ' || c.line_index || ' ' || c.cpt || ' ' || COALESCE(c.amount, -1)
                FROM charges c JOIN documents d ON d.id = c.document_id ORDER BY 1
                """)
            return out
        }
    }

    @Test("two ingests of the same folder at once both finish, and leave the state one ingest leaves")
    func concurrentIngests() throws {
        let dir = try TestSupport.tempDir("concurrent")
        let inbox = dir.appendingPathComponent("inbox")
        try FileManager.default.createDirectory(at: inbox, withIntermediateDirectories: true)
        for n in ["clean-01-superbill.pdf", "clean-04-charge-ticket.pdf", "born-digital-01-encounter-form.pdf"] {
            try FileManager.default.copyItem(at: TestSupport.repoRoot.appendingPathComponent("Samples/sheets/\(n)"),
                                             to: inbox.appendingPathComponent(n))
        }
        let one = dir.appendingPathComponent("one.sqlite").path
        #expect(try TestSupport.run(["--db", one, "ingest", "--jobs", "1", inbox.path]).status == 0)
        let both = dir.appendingPathComponent("both.sqlite").path
        // The database made first, so both start on the same schema.
        #expect(try TestSupport.run(["--db", both, "documents"]).status == 0)
        let results = LockedRuns()
        DispatchQueue.concurrentPerform(iterations: 2) { _ in
            results.add(Result { try TestSupport.run(["--db", both, "ingest", "--jobs", "1", inbox.path]) })
        }
        for r in results.all {
            let run = try r.get()
            #expect(run.status == 0, "\(run.stderr)")
            #expect(!run.stderr.contains("SQLite error"), "\(run.stderr)")
        }
        #expect(try Self.state(both) == Self.state(one))
    }
}

final class LockedRuns: @unchecked Sendable {
    private let lock = NSLock()
    private var runs: [Result<TestSupport.Run, any Error>] = []
    func add(_ r: Result<TestSupport.Run, any Error>) { lock.lock(); runs.append(r); lock.unlock() }
    var all: [Result<TestSupport.Run, any Error>] { lock.lock(); defer { lock.unlock() }; return runs }
}

/// Issue 21, item 7: the scan every binary run of the suite goes through (PHIScan) knows the
/// sample patients and finds them in a message; a run with damaged inputs says none of them.
@Suite("No patient values in messages") struct MessagePHITests {
    @Test("the scan knows the samples' names, dates of birth (as written) and account numbers")
    func scanKnowsTheSamples() {
        #expect(PHIScan.values.count > 40)
        #expect(PHIScan.hits(in: "row 3: PATIENT NAME 'Abernathy, Margaret' is refused") == ["abernathy, margaret"])
        #expect(PHIScan.hits(in: "row 3: DOB 01-15-1950 is after the date of service").contains("01-15-1950"))
        #expect(PHIScan.hits(in: "account AC-740580").contains("ac-740580"))
        #expect(PHIScan.hits(in: "Export.csv row 17: DOB is not a date").isEmpty)
    }

    @Test("damaged copies of the sample exports: every rejection names row and column, never the value")
    func damagedSampleExports() throws {
        let dir = try TestSupport.tempDir("phi")
        let sample = TestSupport.repoRoot.appendingPathComponent("Samples/ice/Export PRM 11-20-2026 Completed (sheets).csv")
        var lines = try String(contentsOf: sample, encoding: .utf8).split(whereSeparator: \.isNewline).map(String.init)
        // A DOB after the date of service, a date of service that is not a date, a control character in a name.
        lines[1] = lines[1].replacingOccurrences(of: ",01-15-1950,", with: ",01-15-2027,")
        lines[2] = lines[2].replacingOccurrences(of: ",03-06-2026,", with: ",03-06-20x6,")
        lines[3] = lines[3].replacingOccurrences(of: "Rivera, Frank", with: "Rivera,\u{7} Frank")
        let damaged = dir.appendingPathComponent("Export damaged.csv")
        try (lines.joined(separator: "\n") + "\n").write(to: damaged, atomically: true, encoding: .utf8)
        let db = dir.appendingPathComponent("db.sqlite").path
        let r = try TestSupport.run(["--db", db, "import-ice", damaged.path])
        #expect(r.status == 2)
        #expect(r.stderr.split(separator: "\n").count == 3, "\(r.stderr)")
        #expect(r.stderr.contains("row 4: Patient Name holds a control character"))
        #expect(PHIScan.hits(in: r.stderr).isEmpty, "\(r.stderr)")
        // With --verbose the values may be shown (the scan leaves such runs alone).
        let v = try TestSupport.run(["--db", dir.appendingPathComponent("v.sqlite").path, "--verbose", "import-ice", damaged.path])
        #expect(v.status == 2)
        #expect(v.stderr.contains("(value '03-06-20x6')"), "verbose shows the values: \(v.stderr)")
    }
}
