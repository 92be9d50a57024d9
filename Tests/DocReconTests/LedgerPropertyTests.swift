import Foundation
import GRDB
import Testing
@testable import DocRecon

/// The ledger over random daily sequences: encounters appear unbillable, get fixed, reappear.
/// After every run the stored ledger must equal a plain reference model of the ledger rules, with
/// no duplicates, nothing resolved lost, first seen ≤ last attempt and counts that agree; and
/// re-running a date (the latest, or an earlier one with --force) must reproduce its workbooks
/// cell for cell.
@Suite("Ledger properties")
struct LedgerPropertyTests {
    struct Encounter: Hashable {
        var name: String, dob: CalendarDate, dos: CalendarDate, facility: String, cpt: String
        var key: EncounterKey { EncounterKey.make(patientName: name, dob: dob, dateOfService: dos, facility: facility, cpt: cpt) }
    }
    struct ModelEntry: Equatable {
        var status: LedgerStatus, reason: String, firstSeen: CalendarDate, lastAttempt: CalendarDate, attempts: Int, resolvedOn: CalendarDate?
    }

    typealias RNG = SplitMix64

    static let rules = try! ReconRules.load(dir: TestSupport.repoRoot.appendingPathComponent("Rules").path)

    /// Every cell of every sheet, read back with our reader.
    static func cells(_ path: String) throws -> [[[String]]] {
        let names = try XlsxReader(path: path).sheetNames
        return try names.map { try ReconTest.rows(try XlsxReader(path: path, sheet: $0)).map { [String($0.0)] + $0.1.map(\.text) } }
    }

    /// Ledger entry keys in the order the rows were stored (rowid).
    static func storedKeyOrder(_ db: AppDatabase) throws -> [String] {
        try db.read { try String.fetchAll($0, sql: "SELECT key FROM ledger_entries ORDER BY rowid") }
    }

    @Test("random daily runs keep the ledger equal to the reference fold", arguments: [1, 2, 3, 4] as [UInt64])
    func randomRuns(seed: UInt64) throws {
        var rng = RNG(state: seed)
        let start = ReconTest.date(2026, 10, 1)
        let facilities = ["Maple Grove Care Center", "Harbor View Health"]
        let pool: [Encounter] = (0..<24).map { i in
            Encounter(name: "PATIENT\(i), TEST", dob: ReconTest.date(1930 + i, 1 + i % 12, 1 + i % 27),
                      dos: start.adding(days: -(i % 5)), facility: facilities[i % 2], cpt: ["99309", "99308", "99307"][i % 3])
        }
        let db = try AppDatabase.inMemory()
        let dir = try TestSupport.tempDir("ledger")
        var model: [Encounter: ModelEntry] = [:]
        var everResolved: [EncounterKey: CalendarDate] = [:]
        var workbooks: [CalendarDate: [[[[String]]]]] = [:]
        let days = 9
        for d in 0..<days {
            let date = start.adding(days: d)
            // The day's export: a random subset, each billable or not (Missing DX / no provider,
            // which leave the encounter key unchanged).
            var lines = ["Patient Name,DOB,Date of Service,Type of Care,Type of Visit,Facility,Assessment,CPT,Servicing Provider,Export Date"]
            var today: [(Encounter, String?)] = []
            for e in pool where rng.int(3) == 0 {
                let roll = rng.int(10)
                let reason: String? = roll < 4 ? "Missing DX" : (roll < 5 ? "Provider validation failed" : nil)
                today.append((e, reason))
                lines.append("\"\(e.name)\",\(e.dob.usDashed),\(e.dos.iso),LTC,Follow-up,\(e.facility),\(reason == "Missing DX" ? "" : "I10"),"
                             + "\(e.cpt),\(reason == "Provider validation failed" ? "" : "Avery Quinlan MD"),\(date.usDashed)")
            }
            let csv = dir.appendingPathComponent("day\(d).csv")
            try (lines.joined(separator: "\n") + "\n").write(to: csv, atomically: true, encoding: .utf8)
            _ = try IceImporter.importFile(csv.path, into: db, rules: Self.rules)
            let out = dir.appendingPathComponent("out").path
            let result = try Reconciler.run(db: db, rules: Self.rules, options: ReconcileOptions(date: date, outDir: out))

            // Reference model of the ledger rules.
            var added = 0, updated = 0, resolved = 0
            for (e, reason) in today {
                if let reason {
                    if var m = model[e] {
                        if m.status == .open { m.lastAttempt = date; m.reason = reason; m.attempts += 1; model[e] = m; updated += 1 }
                    } else {
                        model[e] = ModelEntry(status: .open, reason: reason, firstSeen: date, lastAttempt: date, attempts: 1, resolvedOn: nil)
                        added += 1
                    }
                } else if var m = model[e], m.status == .open {
                    m.status = .resolved; m.resolvedOn = date; m.lastAttempt = date; model[e] = m; resolved += 1
                }
            }

            let entries = try db.read { db in try LedgerStore.loadEntries(db) }
            // The first run stores its entries in key order (appended to the key index, not scattered).
            if d == 0 { #expect(try Self.storedKeyOrder(db) == entries.map(\.key.hex).sorted()) }
            #expect(Set(entries.map(\.key)).count == entries.count, "no duplicate keys")
            #expect(entries.count == model.count)
            let byKey = Dictionary(uniqueKeysWithValues: entries.map { ($0.key, $0) })
            for (e, m) in model {
                let got = try #require(byKey[e.key], "entry for \(e.name)")
                #expect(ModelEntry(status: got.status, reason: got.reason ?? "", firstSeen: got.firstSeen, lastAttempt: got.lastAttempt,
                                   attempts: got.attempts, resolvedOn: got.resolvedOn) == m, "day \(d) \(e.name)")
                #expect(got.fields.patientName == e.name && got.fields.patientDob == e.dob && got.fields.dateOfService == e.dos
                        && got.fields.facility == e.facility && got.fields.cpt == e.cpt, "every key field stored")
                #expect(got.firstSeen <= got.lastAttempt)
            }
            for (k, on) in everResolved { #expect(byKey[k]?.status == .resolved && byKey[k]?.resolvedOn == on, "resolved entry kept") }
            for e in entries where e.status == .resolved { everResolved[e.key] = e.resolvedOn }
            let open = model.values.filter { $0.status == .open }.count
            #expect(result.added == added && result.updated == updated && result.resolved == resolved && result.openAfter == open)
            #expect(result.charges == today.count && result.notBilled == today.filter { $0.1 != nil }.count)

            let master = try Self.cells(result.masterWorkbook)
            #expect(master[0].count == open + 1, "Master Missing rows = open entries")
            workbooks[date] = [try Self.cells(result.generalWorkbook), master]
        }

        // Re-running the latest date with the same inputs changes nothing.
        let before = try db.read { db in try LedgerStore.loadEntries(db).sorted(by: LedgerFold.order) }
        let last = start.adding(days: days - 1)
        let out = dir.appendingPathComponent("rerun").path
        let again = try Reconciler.run(db: db, rules: Self.rules, options: ReconcileOptions(date: last, outDir: out))
        #expect(again.rerun)
        #expect(try Self.storedKeyOrder(db) == before.map(\.key.hex).sorted(), "a re-run rewrites the entries in key order")
        #expect([try Self.cells(again.generalWorkbook), try Self.cells(again.masterWorkbook)] == workbooks[last]!)
        #expect(try db.read { db in try LedgerStore.loadEntries(db).sorted(by: LedgerFold.order) } == before)

        // An earlier date is refused without --force; with it, the same inputs give that day's workbooks again.
        let middle = start.adding(days: days / 2)
        #expect(throws: ReconcileRefused.self) { try Reconciler.run(db: db, rules: Self.rules, options: ReconcileOptions(date: middle, outDir: out)) }
        let forced = try Reconciler.run(db: db, rules: Self.rules, options: ReconcileOptions(date: middle, outDir: out, force: true))
        #expect([try Self.cells(forced.generalWorkbook), try Self.cells(forced.masterWorkbook)] == workbooks[middle]!)
        #expect(try db.read { db in try LedgerStore.loadEntries(db).sorted(by: LedgerFold.order) } == before)
        #expect(try db.read { db in try Int.fetchOne(db, sql: "SELECT COUNT(*) FROM recon_runs") } == days)
    }

    @Test("the fold: resolved stays resolved, a reappearing open entry keeps its first seen")
    func foldRules() {
        let k = EncounterKey.make(patientName: "A", dob: nil, dateOfService: nil, facility: "F", cpt: "99309")
        let f = EncounterFields(patientName: "A", patientDob: nil, dateOfService: nil, facility: "F", cpt: "99309")
        let miss = LedgerEvent(key: k, billed: false, sources: .ice, reason: "Missing DX", fields: f)
        let paper = LedgerEvent(key: k, billed: false, sources: .paper, reason: "Missing CPT", fields: f)
        let billed = LedgerEvent(key: k, billed: true, sources: .ice, reason: nil, fields: nil)
        var fold = LedgerFold()
        var changed = Set<EncounterKey>()
        let d1 = ReconTest.date(2026, 11, 1)
        #expect(fold.apply(date: d1, events: [billed], changed: &changed) == .init())  // billed, never missing: no entry
        #expect(fold.entries.isEmpty)
        #expect(fold.apply(date: d1.adding(days: 1), events: [miss], changed: &changed).added == 1)
        #expect(fold.apply(date: d1.adding(days: 2), events: [paper], changed: &changed).updated == 1)
        var e = fold.entries[k]!
        #expect(e.firstSeen == d1.adding(days: 1) && e.lastAttempt == d1.adding(days: 2) && e.attempts == 2 && e.reason == "Missing CPT")
        #expect(e.sources.label == "both")
        #expect(fold.apply(date: d1.adding(days: 3), events: [billed], changed: &changed).resolved == 1)
        #expect(fold.apply(date: d1.adding(days: 4), events: [miss], changed: &changed) == .init())
        e = fold.entries[k]!
        #expect(e.status == .resolved && e.resolvedOn == d1.adding(days: 3) && fold.openEntries.isEmpty)
    }
}

@Suite("Ledger with paper charges")
struct LedgerPaperTests {
    @Test("paper charges go through the same evaluation and ledger; an encounter in both sources is 'both'")
    func paperAndIce() throws {
        let rules = try ReconRules.load(dir: TestSupport.repoRoot.appendingPathComponent("Rules").path)
        let db = try AppDatabase.inMemory()
        _ = try IceImporter.importFile(TestSupport.fixture("recon/ice-small.csv").path, into: db, rules: rules)
        // The same encounter as the fixture's LEE, OMAR row (Missing DX there), captured on paper,
        // plus a paper-only line without a diagnosis.
        try db.write { db in
            let batch = try ReconIntake.registerBatch(db, kind: .paper, name: "scan-01.pdf", sha256: "paper-batch-1")
            #expect(!batch.existed)
            var lee = Charge(source: .paper, importId: batch.id, rowNumber: 1, patientName: "Lee,  Omar", patientDob: ReconTest.date(1950, 7, 4),
                             dateOfService: ReconTest.date(2026, 11, 18), facility: "MAPLE GROVE CARE CENTER", typeOfCare: "LTC",
                             typeOfVisit: "Initial", servicingProvider: "Avery Quinlan MD", cpt: "99304", diagnosisCodes: "")
            try lee.insert(db)
            var other = Charge(source: .paper, importId: batch.id, rowNumber: 2, patientName: "WEST, NOOR", patientDob: ReconTest.date(1939, 3, 3),
                               dateOfService: ReconTest.date(2026, 11, 19), facility: "Harbor View Health", typeOfCare: "Acute",
                               typeOfVisit: "Follow-up", servicingProvider: "", cpt: "99232", diagnosisCodes: "I10")
            try other.insert(db)
            #expect(try ReconIntake.registerBatch(db, kind: .paper, name: "scan-01.pdf", sha256: "paper-batch-1").existed)
        }
        let out = try TestSupport.tempDir("paper")
        let r = try Reconciler.run(db: db, rules: rules, options: ReconcileOptions(date: ReconTest.date(2026, 11, 20), outDir: out.path))
        #expect(r.charges == 11 && r.encounters == 9)
        let entries = try db.read { db in try LedgerStore.loadEntries(db) }
        #expect(entries.first { $0.fields.patientName == "LEE, OMAR" }?.sources.label == "both")
        #expect(entries.first { $0.fields.patientName == "WEST, NOOR" }.map { ($0.sources.label, $0.reason) } ?? ("", nil) == ("paper", "Provider validation failed"))
        // Paper rows appear in Data under the export's columns, after the ICE rows.
        let data = try ReconTest.rows(try XlsxReader(path: r.generalWorkbook, sheet: "Data"))
        let west = try #require(data.last?.1)
        #expect(west[0] == .text("WEST, NOOR") && west[1] == .date(ReconTest.date(1939, 3, 3)) && west[2] == .date(ReconTest.date(2026, 11, 19)))
        #expect(west.suffix(2) == [.text("No"), .text("Provider validation failed")])
        // The original columns of an ICE row, header by header.
        let novak = try db.read { db in try Charge.filter(Column("row_number") == 8).filter(Column("source") == "ice").fetchOne(db) }
        let cols = try db.read { db in try ReconIntake.originalColumns(db, charge: try #require(novak)) }
        #expect(cols.map(\.header).prefix(3) == ["PATIENT NAME", "DOB", "date of service"])
        #expect(cols[7].value == .text("F03.90; R26.81"))
    }
}
