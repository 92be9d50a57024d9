import Foundation
import GRDB
import Testing
@testable import DocRecon

/// Paper charges in the reconciliation: the `Paper vs ICE` and `Exceptions` sheets, the ledger
/// sources, and nothing new at all when there is no paper.
@Suite struct MatchReconcileTests {
    static let rulesDir = TestSupport.repoRoot.appendingPathComponent("Rules").path
    static let rules = try! ReconRules.load(dir: rulesDir)
    static let header = "Patient Name,DOB,Date of Service,Type of Care,Type of Visit,Facility,Assessment,CPT,Units,Modifier,Servicing Provider,Export Date"

    static func csv(_ dir: URL, _ name: String, _ rows: [String]) throws -> String {
        let url = dir.appendingPathComponent(name)
        try ([header] + rows).joined(separator: "\r\n").appending("\r\n").write(to: url, atomically: true, encoding: .utf8)
        return url.path
    }

    /// One sheet as extraction writes it: three lines (99213-GA, 71046, 93000 x2), and a second
    /// pair of sheets that conflict over one multi-code ICE row.
    static func addPaper(_ db: AppDatabase) throws {
        func p(_ doc: Int64, _ line: Int, _ name: String, _ dob: String, _ dos: String, _ cpt: String, units: Int = 1, mods: String = "") -> Charge {
            Charge(source: .paper, documentId: doc, recordIndex: 0, lineIndex: line, patientName: name,
                   patientDob: CalendarDate(iso: dob), dateOfService: CalendarDate(iso: dos), facility: "CEDAR HILL CARE CENTER",
                   servicingProvider: "Dr. Dana Mercer", cpt: cpt, modifiers: mods, units: units, amount: Money(cents: 11_805),
                   diagnosisCodes: "N18.30")
        }
        let charges = [
            p(1, 0, "ABERNATHY, MARGARET", "1950-01-15", "2026-03-06", "99213", mods: "GA"),
            p(1, 1, "ABERNATHY, MARGARET", "1950-01-15", "2026-03-06", "71046"),
            p(1, 2, "ABERNATHY, MARGARET", "1950-01-15", "2026-03-06", "93000", units: 2),
            p(2, 0, "John Smith", "1955-01-01", "2026-11-03", "99309"),
            p(3, 0, "Jon Smith", "1955-01-01", "2026-11-03", "99358"),
        ]
        try MatchBench.insert(charges, into: db)
        try db.write { db in
            for (line, name, value, conf) in [(1, "code", "71046", 0.93), (2, "units", "2", 0.71)] {
                try db.execute(sql: """
                    INSERT INTO lines (document_id, record_index, line_index, name, type, value, raw, page, confidence, status,
                      template, rule, updated_at) VALUES (1, 0, ?, ?, 'text', ?, ?, 1, ?, 'ok', 't', 'r', ?)
                    """, arguments: [line, name, value, value, conf, Date()])
            }
        }
    }

    static let day1 = [
        // 99213-GA as on paper but without a diagnosis: not billed, and paper confirms it (both).
        "\"Abernathy, Margaret\",01-15-1950,03-06-2026,LTC,Follow-up,Cedar Hill Care Center,,99213,1,GA,Dr. Dana Mercer,11-20-2026",
        // 93000 with 1 unit where paper says 2; 71046 is missing.
        "\"Abernathy, Margaret\",01-15-1950,03-06-2026,LTC,Follow-up,Cedar Hill Care Center,N18.30,93000,1,,Dr. Dana Mercer,11-20-2026",
        "\"Smith, John\",01-01-1955,11-03-2026,LTC,Follow-up,Cedar Hill Care Center,I10,\"99309, 99358\",1,,Dr. Dana Mercer,11-20-2026",
        "\"Okafor, Bruno\",12-01-1939,11-03-2026,LTC,Follow-up,Cedar Hill Care Center,I10,99310,1,,Dr. Dana Mercer,11-20-2026",
    ]

    static func sheet(_ path: String, _ name: String) throws -> [[String]] {
        try ReconTest.rows(try XlsxReader(path: path, sheet: name)).map { $0.1.map(\.text) }
    }

    @Test func paperVsIceExceptionsAndLedger() throws {
        let dir = try TestSupport.tempDir("match-recon")
        let db = try AppDatabase.inMemory()
        try Self.addPaper(db)
        let imp = try IceImporter.importFile(try Self.csv(dir, "Export PRM 11-20-2026 Completed.csv", Self.day1), into: db, rules: Self.rules)
        #expect(imp.rows == 4 && imp.rejected.isEmpty)
        let iceUnits = try db.read { try Int.fetchOne($0, sql: "SELECT units FROM charges WHERE source = 'ice' AND cpt = '93000'") }
        let iceMods = try db.read { try String.fetchOne($0, sql: "SELECT modifiers FROM charges WHERE source = 'ice' AND cpt = '99213'") }
        #expect(iceUnits == 1 && iceMods == "GA")
        // The import matched its rows against the paper already (same transaction).
        let mismatches = try MatchQueries.sets(db, status: .mismatch)
        #expect(mismatches.map { $0.differences.map(\.field) } == [["units"]])

        let r = try Reconciler.run(db: db, rules: Self.rules, options: ReconcileOptions(
            date: CalendarDate(iso: "2026-11-20")!, outDir: dir.appendingPathComponent("out").path))
        #expect(r.charges == 4)    // the Data sheet stays the ICE rows
        #expect(r.paper == PaperSummary(charges: 5, complete: 1, paperOnly: 1, mismatch: 1, conflict: 2, paperVsIceRows: 2, exceptionRows: 3))
        #expect(try XlsxReader(path: r.generalWorkbook).sheetNames == ["Data", "Summary", "Paper vs ICE", "Exceptions"])

        let pvi = try Self.sheet(r.generalWorkbook, "Paper vs ICE")
        #expect(pvi[0] == PaperReconciliation.paperVsIceHeader)
        let h = Dictionary(uniqueKeysWithValues: pvi[0].enumerated().map { ($1, $0) })
        #expect(pvi.count == 3)
        let missing = pvi[1], units = pvi[2]
        #expect(missing[h["Status"]!] == "paper-only" && missing[h["CPT"]!] == "71046" && missing[h["Document"]!] == "sheet-1.pdf")
        #expect(missing[h["Page"]!] == "1" && missing[h["Line"]!] == "2" && missing[h["Confidence"]!] == "0.93")
        #expect(units[h["Status"]!] == "mismatch" && units[h["Field"]!] == "units")
        #expect(units[h["Paper"]!] == "2" && units[h["ICE"]!] == "1" && units[h["Confidence"]!] == "0.71")
        #expect(units[h["ICE File"]!] == "Export PRM 11-20-2026 Completed.csv" && units[h["ICE Row"]!] == "3")

        let ex = try Self.sheet(r.generalWorkbook, "Exceptions")
        #expect(ex.count == 4)
        #expect(ex.dropFirst().allSatisfy { $0.last == "patient_name: John Smith / Jon Smith" })

        // The ledger: the missing line and the mismatch from paper; the unbilled 99213 from both.
        let open = try db.read { try LedgerStore.loadEntries($0, status: .open) }
        func entry(_ cpt: String) -> LedgerEntry? { open.first { $0.fields.cpt == cpt } }
        #expect(entry("71046")?.sources.label == "paper")
        #expect(entry("71046")?.reason == "Not in ICE export")
        #expect(entry("93000 x2")?.sources.label == "paper")
        #expect(entry("93000 x2")?.reason == "Differs from ICE: units paper 2, ICE 1")
        #expect(entry("93000 x2")?.fields.patientName == "Abernathy, Margaret")   // ICE's spelling of the patient
        #expect(entry("99213")?.sources.label == "both")
        #expect(entry("99213")?.reason == "Missing DX")
        #expect(open.filter { $0.reason == "Conflicting matches (see Exceptions)" }.count == 2)
        let master = try Self.sheet(r.masterWorkbook, "Master Missing")
        #expect(master.contains { $0.contains("71046") && $0.contains("Not in ICE export") })

        // Next day ICE catches up: 71046 arrives, 93000 is corrected to 2 units. Both paper entries resolve.
        let day2 = [
            "\"Abernathy, Margaret\",01-15-1950,03-06-2026,LTC,Follow-up,Cedar Hill Care Center,N18.30,71046,1,,Dr. Dana Mercer,11-21-2026",
        ]
        _ = try IceImporter.importFile(try Self.csv(dir, "Export PRM 11-21-2026 Completed.csv", day2), into: db, rules: Self.rules)
        try db.write { db in try db.execute(sql: "UPDATE charges SET units = 2 WHERE source = 'ice' AND cpt = '93000'") }
        let r2 = try Reconciler.run(db: db, rules: Self.rules, options: ReconcileOptions(
            date: CalendarDate(iso: "2026-11-21")!, outDir: dir.appendingPathComponent("out2").path))
        #expect(r2.paper?.paperOnly == 0 && r2.paper?.mismatch == 0 && r2.paper?.complete == 3)
        let all = try db.read { try LedgerStore.loadEntries($0) }
        for cpt in ["71046", "93000 x2"] {
            let e = all.first { $0.fields.cpt == cpt }
            #expect(e?.status == .resolved, "\(cpt)")
            #expect(e?.resolvedOn == CalendarDate(iso: "2026-11-21"))
        }
        #expect(try Self.sheet(r2.generalWorkbook, "Paper vs ICE").count == 1)   // the header only
    }

    @Test func noPaperNoNewSheetsNoMatching() throws {
        let dir = try TestSupport.tempDir("match-recon-ice")
        let db = try AppDatabase.inMemory()
        _ = try IceImporter.importFile(try Self.csv(dir, "Export PRM 11-20-2026 Completed.csv", Self.day1), into: db, rules: Self.rules)
        let r = try Reconciler.run(db: db, rules: Self.rules, options: ReconcileOptions(
            date: CalendarDate(iso: "2026-11-20")!, outDir: dir.path))
        #expect(r.paper == nil)
        #expect(try XlsxReader(path: r.generalWorkbook).sheetNames == ["Data", "Summary"])
        #expect(try db.read { try Int.fetchOne($0, sql: "SELECT COUNT(*) FROM match_sets") } == 0)
        #expect(try db.read { try LedgerStore.loadEntries($0) }.allSatisfy { $0.sources.label == "ice" })
        let json = try JSON.string(r)
        #expect(!json.contains("\"paper\""))
    }

    @Test func badUnitsCellRejectsTheRow() throws {
        let dir = try TestSupport.tempDir("match-units")
        let db = try AppDatabase.inMemory()
        let rows = ["\"Okafor, Bruno\",12-01-1939,11-03-2026,LTC,Follow-up,Cedar Hill,I10,99310,two,,Dr. Dana Mercer,11-20-2026",
                    "\"Okafor, Bruno\",12-01-1939,11-03-2026,LTC,Follow-up,Cedar Hill,I10,99309,3,\"25, lt\",Dr. Dana Mercer,11-20-2026"]
        let imp = try IceImporter.importFile(try Self.csv(dir, "x.csv", rows), into: db, rules: Self.rules)
        #expect(imp.rejected == [RowRejection(row: 2, reason: "Units is not a whole number of units", value: "two")])
        let units = try db.read { try Int.fetchAll($0, sql: "SELECT units FROM charges") }
        let mods = try db.read { try String.fetchAll($0, sql: "SELECT modifiers FROM charges") }
        #expect(units == [3] && mods == ["25,LT"])
    }
}

@Suite struct MatchLedgerNotationTests {
    @Test(arguments: [
        ("99309", "", 1, [String](), "99309"),
        ("99309", "25,LT", 2, ["units"], "99309-25-LT x2"),
        ("99309", "", 1, ["units"], "99309 x1"),              // ICE has 2: the paper line still has a key of its own
        ("99309", "", 1, ["modifiers"], "99309 (no modifier)"),
        ("99309", "", 1, ["amount"], "99309 $118.05"),
    ] as [(String, String, Int, [String], String)])
    func notation(cpt: String, mods: String, units: Int, fields: [String], expected: String) {
        let c = Charge(source: .paper, patientName: "A", patientDob: nil, dateOfService: nil, cpt: cpt, modifiers: mods,
                       units: units, amount: Money(cents: 11_805))
        #expect(PaperReconciliation.notation(c, differing: Set(fields)) == expected)
    }
}
