import Foundation
import GRDB
import Testing
@testable import DocRecon

@Suite("ICE import and billing evaluation")
struct ReconcileImportTests {
    static let rules = try! ReconRules.load(dir: TestSupport.repoRoot.appendingPathComponent("Rules").path)

    static func charge(name: String = "RIVERA, ANA", facility: String = "Maple Grove Care Center", cpt: String = "99309",
                       dx: String = "I10", provider: String = "Avery Quinlan MD", source: ChargeSource = .ice) -> Charge {
        Charge(source: source, patientName: name, patientDob: ReconTest.date(1944, 2, 29), dateOfService: ReconTest.date(2026, 11, 18),
               facility: facility, typeOfCare: "LTC", typeOfVisit: "Follow-up", servicingProvider: provider, cpt: cpt, diagnosisCodes: dx)
    }

    @Test("the first failing check gives the reason users know", arguments: [
        (charge(), nil),
        (charge(dx: " "), "Missing DX"),
        (charge(cpt: "", dx: ""), "Missing DX"),  // first failure wins
        (charge(cpt: ""), "Missing CPT"),
        (charge(cpt: "9930"), "Invalid CPT"),
        (charge(cpt: "99309, 993O9"), "Invalid CPT"),
        (charge(cpt: "99309-25, 1111F, 0042T, G0439"), nil),
        (charge(facility: ""), "Invalid Facility"),
        (charge(facility: "", cpt: "ABCDE"), "Invalid CPT"),
        (charge(provider: "  "), "Provider validation failed"),
        (charge(source: .paper), nil),
    ] as [(Charge, String?)])
    func billingReasons(charge: Charge, reason: String?) {
        let outcome = BillingEvaluator(rules: Self.rules).evaluate(charge)
        #expect(outcome.reason == reason)
        #expect(outcome.billed == (reason == nil))
    }

    @Test("rosters: a facility or provider not on the configured roster fails; names compare folded")
    func rosters() throws {
        var rules = Self.rules
        rules.facilityRoster = Set(["Maple Grove Care Center"].map(Normalize.name))
        rules.providerRoster = Set(["AVERY  QUINLAN md"].map(Normalize.name))
        let e = BillingEvaluator(rules: rules)
        #expect(e.evaluate(Self.charge(facility: " maple grove  CARE center")).billed)
        #expect(e.evaluate(Self.charge(facility: "Harbor View Health")).reason == "Invalid Facility")
        #expect(e.evaluate(Self.charge(provider: "Dana Whitford MD")).reason == "Provider validation failed")
        // A roster CSV named in billing.yaml is read with its column.
        let dir = try TestSupport.tempDir("rules")
        let fm = FileManager.default
        let src = TestSupport.repoRoot.appendingPathComponent("Rules")
        try fm.createDirectory(at: dir.appendingPathComponent("sources"), withIntermediateDirectories: true)
        for f in ["sources/ice.yaml", "sources/ebs.yaml", "reconciliation.yaml"] {
            try fm.copyItem(at: src.appendingPathComponent(f), to: dir.appendingPathComponent(f))
        }
        try "checks:\n  - check: facility\n    roster_csv: facilities.csv\n    roster_column: Name\n".write(
            to: dir.appendingPathComponent("billing.yaml"), atomically: true, encoding: .utf8)
        try "Code,Name\n1,Harbor View Health\n2,\"Oak Terrace, North\"\n".write(to: dir.appendingPathComponent("facilities.csv"), atomically: true, encoding: .utf8)
        let loaded = try ReconRules.load(dir: dir.path)
        #expect(loaded.facilityRoster == Set(["HARBOR VIEW HEALTH", "OAK TERRACE, NORTH"]))
        #expect(BillingEvaluator(rules: loaded).evaluate(Self.charge(facility: "harbor view health", dx: "")).billed)  // only the facility check
        #expect(BillingEvaluator(rules: loaded).evaluate(Self.charge()).reason == "Invalid Facility")
    }

    @Test("with an EBS export: billed only when posted; an EBS rejection reason wins over ours")
    func ebsOutcome() {
        let ok = Self.charge(), bad = Self.charge(name: "LEE, OMAR", dx: ""), missing = Self.charge(name: "CHEN, MEI")
        let ebs: [EncounterKey: EbsStatus] = [EncounterKey.of(ok): .posted, EncounterKey.of(bad): .rejected("Eligibility not verified")]
        let e = BillingEvaluator(rules: Self.rules, ebs: ebs)
        #expect(e.evaluate(ok) == .billedOutcome)
        #expect(e.evaluate(bad) == BillingOutcome(billed: false, reason: "Eligibility not verified"))
        #expect(e.evaluate(missing) == BillingOutcome(billed: false, reason: "Not posted in EBS"))
        let ownFirst = Self.charge(name: "CHEN, MEI", cpt: "")
        #expect(BillingEvaluator(rules: Self.rules, ebs: [EncounterKey.of(ownFirst): .posted]).evaluate(ownFirst).reason == "Missing CPT")
    }

    @Test("encounter key: SHA-256 of the normalised fields, the same however the export spells them")
    func encounterKey() {
        // FIPS 180-2 test vectors for the digest itself.
        #expect(SHA256.hex(SHA256.hash(Array("abc".utf8))) == "ba7816bf8f01cfea414140de5dae2223b00361a396177a9cb410ff61f20015ad")
        #expect(SHA256.hex(SHA256.hash(Array("abcdbcdecdefdefgefghfghighijhijkijkljklmklmnlmnomnopnopq".utf8)))
                == "248d6a61d20638b8e5c026930c3e6039a33ce45964ff2167f6ecedd419db06c1")
        let msg = Array("RIVERA, ANA\u{1F}1944-02-29\u{1F}2026-11-18\u{1F}MAPLE GROVE CARE CENTER\u{1F}99307,99309".utf8)
        let k = EncounterKey.make(patientName: "  rivera,   ana ", dob: ReconTest.date(1944, 2, 29), dateOfService: ReconTest.date(2026, 11, 18),
                                  facility: "Maple Grove  Care Center", cpt: "99309, 99307")
        #expect(k.hex == SHA256.hex(SHA256.hash(msg)))
        #expect(EncounterKey(hex: k.hex) == k)
        #expect(k == EncounterKey.make(patientName: "RIVERA, ANA", dob: ReconTest.date(1944, 2, 29), dateOfService: ReconTest.date(2026, 11, 18),
                                       facility: "MAPLE GROVE CARE CENTER", cpt: "99307,99309"))
        #expect(k != EncounterKey.make(patientName: "RIVERA, ANA", dob: ReconTest.date(1944, 2, 29), dateOfService: ReconTest.date(2026, 11, 19),
                                       facility: "MAPLE GROVE CARE CENTER", cpt: "99307,99309"))
        // Long inputs cross the one-block boundary of the allocation-free digest.
        for n in [40, 55, 56, 63, 64, 65, 119, 120, 200] {
            let name = String(repeating: "X", count: n)
            let m = Array("\(name)\u{1F}\u{1F}\u{1F}\u{1F}".utf8)
            #expect(EncounterKey.make(patientName: name, dob: nil, dateOfService: nil, facility: "", cpt: "").hex
                    == SHA256.hex(SHA256.hash(m)))
        }
    }

    @Test("dates as exports write them", arguments: [
        ("11-20-2026", "2026-11-20"), ("2026-11-20", "2026-11-20"), ("11/20/2026", "2026-11-20"), ("1/5/2026", "2026-01-05"),
        ("11/20/2026 14:30", "2026-11-20"), ("2026-11-20T00:00:00", "2026-11-20"), (" 02-29-1944 ", "1944-02-29"),
        ("13-45-2025", nil), ("02-29-2025", nil), ("20261120", nil), ("11-20-26", nil), ("11-20/2026", nil), ("", nil), ("N/A", nil),
    ] as [(String, String?)])
    func dateText(raw: String, iso: String?) {
        #expect(DateText.parse(raw)?.iso == iso)
    }

    @Test("import: aliases, every original column kept in input order, charges stored, same file again is a no-op")
    func importFixture() throws {
        let db = try AppDatabase.inMemory()
        let csv = TestSupport.fixture("recon/ice-small.csv").path
        let r = try IceImporter.importFile(csv, into: db, rules: Self.rules)
        #expect(!r.alreadyImported && r.rows == 9 && r.rejected == [RowRejection(row: 9, reason: "date of service is not a date", value: "13-45-2026")])
        let charges = try db.read { db in try Charge.order(Column("row_number")).fetchAll(db) }
        #expect(charges.map(\.rowNumber) == [2, 3, 4, 5, 6, 7, 8, 10, 11])
        let novak = try #require(charges.first { $0.rowNumber == 8 })
        #expect(novak.source == .ice && novak.importId == r.importId)
        #expect(novak.patientName == "NOVAK, ELI" && novak.patientDob == ReconTest.date(1940, 5, 5) && novak.dateOfService == ReconTest.date(2026, 11, 18))
        #expect(novak.diagnosisCodes == "F03.90, R26.81")  // from the "Assestment" column, list normalised
        #expect(novak.cpt == "99309, 1111F" && novak.typeOfVisit == "Follow-up" && novak.servicingProvider == "Avery Quinlan MD")
        #expect(novak.columnsJson == nil && novak.cells == [
            .text("NOVAK, ELI"), .date(ReconTest.date(1940, 5, 5)), .date(ReconTest.date(2026, 11, 18)), .text("LTC"), .text("Follow-up"),
            .text("Maple Grove Care Center"), .text("104"), .text("F03.90; R26.81"), .text("99309, 1111F"), .text("Avery Quinlan MD"),
            .date(ReconTest.date(2026, 11, 20)), .text("Confusion, \"mild\""),
        ])
        let gray = try #require(charges.first { $0.rowNumber == 10 })
        #expect(gray.dateOfService == ReconTest.date(2026, 11, 18))  // a 1900 serial in the CSV
        let headers = try db.read { db in try String.fetchOne(db, sql: "SELECT headers_json FROM recon_imports") }
        #expect(RowValues.decode(headers ?? "").map(\.text).first == "PATIENT NAME")

        let again = try IceImporter.importFile(csv, into: db, rules: Self.rules)
        #expect(again.alreadyImported && again.importId == r.importId && again.rows == 9)
        #expect(try db.read { db in try Charge.fetchCount(db) } == 9)
        #expect(try db.read { db in try Int.fetchOne(db, sql: "SELECT COUNT(*) FROM recon_imports") } == 1)
    }

    /// A generated .xlsx export with a refused date every `badDateEvery` rows, and each row's
    /// cells by its row number.
    static func generatedExport(_ tag: String, rows: Int, seed: UInt64, badDateEvery: Int) throws -> (path: String, rows: [Int: [CellValue]]) {
        let path = try TestSupport.tempDir(tag).appendingPathComponent("Export PRM 11-20-2026 Completed.xlsx").path
        var g = IceGenerator(rows: rows, seed: seed)
        g.badDateEvery = badDateEvery
        try g.write(path: path)
        var expected: [Int: [CellValue]] = [:]
        g.makeRows { n, cells in expected[n] = cells }
        return (path, expected)
    }

    @Test("a generated .xlsx export imports with its date cells, serials and text dates")
    func importGeneratedXlsx() throws {
        let (path, expected) = try Self.generatedExport("gen", rows: 300, seed: 3, badDateEvery: 100)
        let db = try AppDatabase.inMemory()
        let r = try IceImporter.importFile(path, into: db, rules: Self.rules)
        #expect(r.rows == 297 && r.rejected.map(\.row) == [101, 201, 301])
        #expect(r.rejected.allSatisfy { $0.reason == "Date of Service is not a date" && $0.value?.hasPrefix("13-45-") == true })
        // Every stored charge equals the generator's row.
        let charges = try db.read { db in try Charge.fetchAll(db) }
        for c in charges {
            let cells = try #require(expected[c.rowNumber ?? 0])
            #expect(c.patientName == cells[0].text)
            #expect(c.patientDob == DateText.from(cells[1], system: .excel1900))
            #expect(c.dateOfService == DateText.from(cells[2], system: .excel1900))
            #expect(c.facility == cells[5].text && c.cpt == cells[8].text && c.servicingProvider == cells[11].text)
        }
    }

    @Test("rows go in 32 to an INSERT, the rest one by one: every row keeps its number, its fields and its order")
    func multiRowInsert() throws {
        // 1,100 rows cross two 512-item batches; a refused row every 37 falls inside runs of 32.
        let (path, expected) = try Self.generatedExport("multi", rows: 1_100, seed: 11, badDateEvery: 37)
        let db = try AppDatabase.inMemory()
        final class Count: @unchecked Sendable { var inserts = 0 }
        let count = Count()
        try db.writer.writeWithoutTransaction { db in
            db.trace(options: .statement) { event in
                if case .statement(let st) = event, st.sql.hasPrefix("INSERT INTO charges") { count.inserts += 1 }
            }
        }
        let r = try IceImporter.importFile(path, into: db, rules: Self.rules)
        try db.writer.writeWithoutTransaction { db in db.trace(options: []) }
        let refused = (1...1_100).filter { $0 % 37 == 0 }.map { $0 + 1 }
        #expect(r.rows == 1_100 - refused.count && r.rejected.map(\.row) == refused)
        // Far fewer statements than rows (one per row before), at least one per 32 rows.
        #expect(count.inserts >= r.rows / 32 && count.inserts < r.rows / 8)
        let charges = try db.read { db in try Charge.order(Column("id")).fetchAll(db) }
        #expect(charges.count == r.rows)
        #expect(charges.map { $0.rowNumber ?? 0 } == (2...1_101).filter { !refused.contains($0) })
        for c in charges {
            var cells = try #require(expected[c.rowNumber ?? 0])
            cells[1] = DateText.from(cells[1], system: .excel1900).map { .date($0) } ?? cells[1]
            cells[2] = DateText.from(cells[2], system: .excel1900).map { .date($0) } ?? cells[2]
            #expect(c.cells == cells, "row \(c.rowNumber ?? 0)")
            #expect(c.patientName == cells[0].text && c.facility == cells[5].text && c.cpt == cells[8].text)
            #expect(c.importId == r.importId && c.units == 1)
        }
    }

    @Test("bad files are rejected with one line naming the file and the reason")
    func badFiles() throws {
        let dir = try TestSupport.tempDir("bad")
        let db = try AppDatabase.inMemory()
        func reject(_ path: String, sheet: String? = nil) -> String? {
            (#expect(throws: SpreadsheetError.self) { try IceImporter.importFile(path, sheet: sheet, into: db, rules: Self.rules) })?.message
        }
        let missing = dir.appendingPathComponent("missing.csv")
        try "Patient Name,DOB,Date of Service,Type of Care,Type of Visit,CPT,Export Date\nA,01-01-1950,11-20-2026,LTC,X,99309,11-20-2026\n"
            .write(to: missing, atomically: true, encoding: .utf8)
        #expect(reject(missing.path) == "missing.csv: missing required columns 'Facility', 'Servicing Provider'")
        let empty = dir.appendingPathComponent("empty.xlsx")
        try ReconTest.xlsx(sheets: [("Sheet1", "")], to: empty)
        #expect(reject(empty.path) == "empty.xlsx: the sheet 'Sheet1' is empty (no header row)")
        #expect(reject(empty.path, sheet: "Export") == "empty.xlsx: no sheet named 'Export' (sheets: Sheet1)")
        // Nothing of a rejected file is stored.
        #expect(try db.read { db in try Int.fetchOne(db, sql: "SELECT COUNT(*) FROM recon_imports") } == 0)
        #expect(try db.read { db in try Charge.fetchCount(db) } == 0)
    }
}

@Suite("Reconcile command line")
struct ReconcileCLITests {
    @Test("import-ice and reconcile: exit codes, one stderr line per rejected input, --json is one document")
    func commandLine() throws {
        let dir = try TestSupport.tempDir("cli")
        let db = dir.appendingPathComponent("db.sqlite").path
        let csv = TestSupport.fixture("recon/ice-small.csv").path
        let imp = try TestSupport.run(["import-ice", "--db", db, csv, "--json"])
        #expect(imp.status == 2)  // one row rejected
        #expect(imp.stderr == "ice-small.csv row 9: date of service is not a date\n")
        let obj = try JSONSerialization.jsonObject(with: Data(imp.stdout.utf8)) as? [String: Any]
        #expect(obj?["rows"] as? Int == 9 && obj?["already_imported"] as? Bool == false)
        let again = try TestSupport.run(["import-ice", "--db", db, csv])
        #expect(again.status == 0 && again.stdout.contains("already imported"))

        // Bad files: each one line, exit 2.
        let notZip = dir.appendingPathComponent("Export.xlsx")
        try "not a workbook".write(to: notZip, atomically: true, encoding: .utf8)
        let bomb = dir.appendingPathComponent("bomb.xlsx")
        try ReconTest.xlsx(sheets: [("S", String(repeating: " ", count: 12 << 20) + "<row r=\"1\"><c><v>1</v></c></row>")], to: bomb)
        let other = dir.appendingPathComponent("other.csv")
        try "Patient Name\nA\n".write(to: other, atomically: true, encoding: .utf8)
        for (file, args, message) in [
            (notZip.path, [String](), "Export.xlsx: not an .xlsx workbook (the file is not a zip archive)"),
            (bomb.path, [], "bomb.xlsx: xl/worksheets/sheet1.xml inflates more than 250 times its compressed size (zip bomb?)"),
            (other.path, ["--sheet", "Data"], "other.csv: a CSV file has no sheets (--sheet given)"),
        ] {
            let r = try TestSupport.run(["import-ice", "--db", db, file] + args)
            #expect(r.status == 2, "\(file)")
            #expect(r.stderr == message + "\n")
        }

        let out = dir.appendingPathComponent("out").path
        let rec = try TestSupport.run(["reconcile", "--db", db, "--date", "2026-11-20", "--out", out, "--json"])
        #expect(rec.status == 0, "\(rec.stderr)")
        let run = (try JSONSerialization.jsonObject(with: Data(rec.stdout.utf8)) as? [String: Any])?["run"] as? [String: Any]
        #expect(run?["charges"] as? Int == 9 && run?["billed"] as? Int == 4 && run?["open_after"] as? Int == 5)
        #expect(FileManager.default.fileExists(atPath: out + "/General Reconciliation 11-20-2026.xlsx"))

        let earlier = try TestSupport.run(["reconcile", "--db", db, "--date", "2026-11-19", "--out", out])
        #expect(earlier.status == 1)
        #expect(earlier.stderr.contains("2026-11-19 is before the latest run (2026-11-20)") && earlier.stderr.contains("--force"))
        let forced = try TestSupport.run(["reconcile", "--db", db, "--date", "2026-11-19", "--out", out, "--force"])
        #expect(forced.status == 0, "\(forced.stderr)")

        let ledger = try TestSupport.run(["ledger", "--db", db, "--json", "--status", "all", "--as-of", "2026-11-20"])
        #expect(ledger.status == 0)
        let items = try JSONSerialization.jsonObject(with: Data(ledger.stdout.utf8)) as? [[String: Any]] ?? []
        #expect(items.count == 5)
        #expect(Set(items.compactMap { $0["reason"] as? String }) == ["Missing DX", "Missing CPT", "Invalid CPT", "Invalid Facility", "Provider validation failed"])
        for key in ["key", "patient_name", "patient_dob", "date_of_service", "facility", "cpt", "source", "status", "reason", "first_seen", "last_attempt"] {
            #expect(items.first?[key] != nil, "ledger --json key \(key)")
        }
        #expect(items.allSatisfy { $0["source"] as? String == "ice" && $0["status"] as? String == "open" && $0["first_seen"] as? String == "2026-11-20" })
    }

    @Test("output names come from reconciliation.yaml and can never leave --out")
    func outputNames() throws {
        #expect(try Reconciler.outputName("General Reconciliation {date}", date: ReconTest.date(2026, 1, 5)) == "General Reconciliation 01-05-2026.xlsx")
        for bad in ["../escape {date}", "/etc/x", "a/b", ".hidden", "  "] {
            #expect(throws: ReconcileRefused.self) { try Reconciler.outputName(bad, date: ReconTest.date(2026, 1, 5)) }
        }
    }
}
