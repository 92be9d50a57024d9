import Foundation
import GRDB
import Testing
@testable import DocRecon

/// Reconcile's work after the row loop: where the run's billed keys are stored, how often the
/// run's row is written, and the paper-charge check before a run.
@Suite("Reconcile tail")
struct ReconcileTailTests {
    static let rules = try! ReconRules.load(dir: TestSupport.repoRoot.appendingPathComponent("Rules").path)
    static let header = "Patient Name,DOB,Date of Service,Type of Care,Type of Visit,Facility,Assessment,CPT,Servicing Provider,Export Date"

    /// One export line; `dx` empty makes it `Missing DX` (the encounter key does not change).
    static func line(_ i: Int, dx: String) -> String {
        "\"PATIENT\(i), TEST\",03-0\(1 + i % 9)-19\(40 + i),2026-10-0\(1 + i % 5),LTC,Follow-up,Maple Grove Care Center,\(dx),9930\(7 + i % 3),"
            + "Avery Quinlan MD,11-20-2026"
    }

    static func write(_ lines: [String], _ dir: URL, _ name: String) throws -> String {
        let url = dir.appendingPathComponent(name)
        try ([header] + lines).joined(separator: "\n").appending("\n").write(to: url, atomically: true, encoding: .utf8)
        return url.path
    }

    static func key(_ i: Int) -> EncounterKey {
        EncounterKey.make(patientName: "PATIENT\(i), TEST", dob: CalendarDate(iso: "19\(40 + i)-03-0\(1 + i % 9)"),
                          dateOfService: CalendarDate(iso: "2026-10-0\(1 + i % 5)"), facility: "Maple Grove Care Center", cpt: "9930\(7 + i % 3)")
    }

    @Test("a first run writes its run row once, billed-key blob included")
    func runRowWrittenOnce() throws {
        let dir = try TestSupport.tempDir("tail-once")
        let db = try AppDatabase.inMemory()
        let csv = try Self.write((0..<40).map { Self.line($0, dx: $0 % 4 == 0 ? "" : "I10") }, dir, "day1.csv")
        _ = try IceImporter.importFile(csv, into: db, rules: Self.rules)
        final class Seen: @unchecked Sendable { var runUpdates: [String] = [] }
        let seen = Seen()
        try db.writer.writeWithoutTransaction { db in
            db.trace(options: .statement) { event in
                if case .statement(let st) = event, st.sql.hasPrefix("UPDATE recon_runs") { seen.runUpdates.append(st.sql) }
            }
        }
        let date = CalendarDate(iso: "2026-11-20")!
        let r = try Reconciler.run(db: db, rules: Self.rules, options: ReconcileOptions(date: date, outDir: dir.appendingPathComponent("out").path))
        try db.writer.writeWithoutTransaction { db in db.trace(options: []) }
        // One UPDATE of the run's row (a 3 MB blob at 100,000 rows is rewritten by every UPDATE of it).
        #expect(seen.runUpdates.count == 1)
        #expect(seen.runUpdates.first?.contains("billed_keys") == true)
        let blob = try #require(try db.read { try Data.fetchOne($0, sql: "SELECT billed_keys FROM recon_runs") })
        let billed = (0..<40).filter { $0 % 4 != 0 }.map(Self.key).sorted()
        #expect(LedgerStore.keys(fromBlob: blob) == billed)
        #expect(r.added == 10 && r.openAfter == 10)
    }

    @Test("a re-run folds the ledger with its own billed keys, its new intake included")
    func rerunUsesItsOwnBilledKeys() throws {
        let dir = try TestSupport.tempDir("tail-rerun")
        let db = try AppDatabase.inMemory()
        let day1 = CalendarDate(iso: "2026-11-19")!, day2 = CalendarDate(iso: "2026-11-20")!
        let out = dir.appendingPathComponent("out").path
        // Day one: encounters 0..<8, the even ones without a diagnosis (open).
        _ = try IceImporter.importFile(try Self.write((0..<8).map { Self.line($0, dx: $0 % 2 == 0 ? "" : "I10") }, dir, "a.csv"),
                                       into: db, rules: Self.rules)
        #expect(try Reconciler.run(db: db, rules: Self.rules, options: ReconcileOptions(date: day1, outDir: out)).openAfter == 4)
        // Day two bills encounter 1 again: nothing changes.
        _ = try IceImporter.importFile(try Self.write([Self.line(1, dx: "I10")], dir, "b.csv"), into: db, rules: Self.rules)
        let second = try Reconciler.run(db: db, rules: Self.rules, options: ReconcileOptions(date: day2, outDir: out))
        #expect(second.resolved == 0 && second.openAfter == 4)
        // A later export bills encounters 0 and 2; day two is reconciled again and resolves them.
        _ = try IceImporter.importFile(try Self.write([Self.line(0, dx: "I10"), Self.line(2, dx: "J20")], dir, "c.csv"),
                                       into: db, rules: Self.rules)
        let again = try Reconciler.run(db: db, rules: Self.rules, options: ReconcileOptions(date: day2, outDir: out))
        #expect(again.rerun)
        #expect(again.resolved == 2 && again.openAfter == 2)
        let entries = try db.read { try LedgerStore.loadEntries($0) }
        #expect(Set(entries.filter { $0.status == .open }.map(\.key)) == Set([4, 6].map(Self.key)))
        #expect(Set(entries.filter { $0.status == .resolved }.map(\.key)) == Set([0, 2].map(Self.key)))
        #expect(entries.filter { $0.status == .resolved }.allSatisfy { $0.resolvedOn == day2 })
        let blob = try #require(try db.read { try Data.fetchOne($0, sql: "SELECT billed_keys FROM recon_runs WHERE run_date = ?", arguments: [day2]) })
        #expect(LedgerStore.keys(fromBlob: blob) == [0, 1, 2].map(Self.key).sorted())
        // Master Missing lists the two still open (and a header).
        #expect(try ReconTest.rows(try XlsxReader(path: again.masterWorkbook)).count == 3)
    }

    @Test("the paper-charge check reads an index, not every charge; it sees a paper charge with or without a document")
    func paperCheck() throws {
        let db = try AppDatabase.inMemory()
        let sql = "SELECT EXISTS (SELECT 1 FROM charges WHERE source = 'paper')"
        let plan = try db.read { try Row.fetchAll($0, sql: "EXPLAIN QUERY PLAN " + sql).map { $0["detail"] as String } }
        #expect(plan.contains { $0.contains("USING INDEX charges_paper") || $0.contains("USING COVERING INDEX charges_paper") }, "\(plan)")
        #expect(try db.read { try PaperVsIce.hasPaperCharges($0) } == false)
        try db.write { db in
            var ice = Charge(source: .ice, patientName: "PATIENT1, TEST", patientDob: nil, dateOfService: nil, cpt: "99309")
            try ice.insert(db)
        }
        #expect(try db.read { try PaperVsIce.hasPaperCharges($0) } == false)
        try db.write { db in
            var paper = Charge(source: .paper, patientName: "PATIENT2, TEST", patientDob: nil, dateOfService: nil, cpt: "99308")
            try paper.insert(db)
        }
        #expect(try db.read { try PaperVsIce.hasPaperCharges($0) } == true)
    }
}

@Suite("Rules loaded aside")
struct PendingRulesTests {
    @Test("rules read on their own thread are the rules, and a bad folder gives the same error as a direct load")
    func pendingRules() throws {
        let dir = TestSupport.repoRoot.appendingPathComponent("Rules").path
        let aside = try PendingRules(dir: dir).value()
        let direct = try ReconRules.load(dir: dir)
        #expect(aside.ice.columns.map(\.header) == direct.ice.columns.map(\.header))
        #expect(aside.settings.generalTitle == direct.settings.generalTitle && aside.settings.masterTitle == direct.settings.masterTitle)
        let missing = "/nonexistent-rules-\(getpid())"
        var directError = "", asideError = ""
        do { _ = try ReconRules.load(dir: missing) } catch { directError = "\(error)" }
        do { _ = try PendingRules(dir: missing).value() } catch { asideError = "\(error)" }
        #expect(!directError.isEmpty && asideError == directError)
    }
}
