import Foundation
import GRDB
import Testing
import ZIPFoundation
@testable import DocRecon

/// The binary form of an ICE row's original cells (`charges.columns_bin`): every kind of cell
/// comes back exactly, references to the typed columns resolve, and rows stored as JSON before
/// migration v7 still read and reconcile to the same workbook.
@Suite("Reconcile row cells (binary)")
struct ReconcileRowCellsTests {
    static let rules = try! ReconRules.load(dir: TestSupport.repoRoot.appendingPathComponent("Rules").path)

    @Test("a cell is stored as a reference only when its bytes equal the typed column's, not merely canonically equal",
          arguments: [
              ("Zoë", "Zoë", true), ("Zoe\u{308}", "Zoë", false), ("Zoë", "Zoe\u{308}", false), ("", "", true), ("A", "", false),
              ("GARCIA, ANA", "GARCIA, ANA", true), ("GARCIA, ANA", "GARCIA, ANA ", false), ("李小龍 🩺", "李小龍 🩺", true),
              (String(repeating: "x", count: 40), String(repeating: "x", count: 39) + "y", false),
          ] as [(String, String, Bool)])
    func referenceNeedsTheSameBytes(cell: String, typed: String, same: Bool) {
        #expect(cell == typed || !same)  // (Swift's == says the decomposed and precomposed forms are equal)
        #expect(FastText.sameBytes(cell, typed) == same)
        #expect(FastText.sameBytes(cell, typed) == cell.utf8.elementsEqual(typed.utf8))
    }

    static let tricky: [CellValue] = [
        .empty, .text(""), .text("plain"), .text("with \"quotes\" and \\backslashes\\"), .text("tab\there\nnew line\r\u{1}\u{1F}\u{0}"),
        .text("Zoë Ñúñez 李小龍 🩺"), .text("2026-11-20"), .text(" padded "), .text(String(repeating: "long ", count: 60)),
        .error("#N/A"), .number(0), .number(-0.0), .number(190), .number(-42), .number(1.5), .number(-1e-7), .number(1e300),
        .number(9_007_199_254_740_992), .number(-9_007_199_254_740_991), .number(.infinity), .bool(true), .bool(false),
        .date(CalendarDate(year: 2026, month: 11, day: 20)!), .date(CalendarDate(year: 1900, month: 1, day: 1)!),
        .date(CalendarDate(year: 9999, month: 12, day: 31)!), .empty, .text("past the header"), .empty, .empty,
    ]

    @Test("every kind of cell round-trips exactly, trailing empty cells included")
    func roundTrip() {
        let bytes = RowCells.encode(Self.tricky)
        let back = RowCells.decode(bytes) { _ in Issue.record("no references were written"); return nil }
        #expect(back == Self.tricky)
        #expect(back.count == Self.tricky.count)
        // -0 keeps its sign, the ISO-looking text stays text, the error stays an error.
        if case .number(let z) = back[11] { #expect(z.sign == .minus) } else { Issue.record("cell 11 is \(back[11])") }
        #expect(back[6] == .text("2026-11-20") && back[9] == .error("#N/A"))
        // NaN (not Equatable to itself) comes back as NaN.
        let nan = RowCells.decode(RowCells.encode([.number(.nan)])) { _ in nil }
        if case .number(let d) = nan.first { #expect(d.isNaN) } else { Issue.record("NaN came back as \(nan)") }
        // Smaller than the JSON of the same cells for a typical row (before any reference).
        let row: [CellValue] = [.number(190), .text("Routine follow-up"), .text("In person"), .empty, .number(10), .text("DNR"), .text("No"),
                                .text("Completed"), .empty, .date(CalendarDate(year: 2026, month: 11, day: 20)!)]
        #expect(RowCells.encode(row).count * 4 < RowValues.encode(row).utf8.count * 3)
    }

    @Test("a damaged blob gives the cells before the damage, never a crash")
    func truncated() {
        let bytes = RowCells.encode(Self.tricky)
        for cut in stride(from: 0, to: bytes.count, by: 7) {
            let back = RowCells.decode(Array(bytes[..<cut])) { _ in nil }
            #expect(back.count <= Self.tricky.count)
            #expect(Array(Self.tricky.prefix(back.count)) == back)
        }
        #expect(RowCells.decode([250, 1, 2]) { _ in nil } == [])
    }

    @Test("references to the typed columns resolve from the charge")
    func references() {
        let charge = Charge(source: .ice, patientName: "O'NEIL, \"JO\"", patientDob: CalendarDate(year: 1931, month: 2, day: 3)!,
                            dateOfService: CalendarDate(year: 2026, month: 11, day: 18)!, facility: "Maple Grove", typeOfCare: "LTC",
                            typeOfVisit: "Follow-up", servicingProvider: "Avery Quinlan MD", providerNpi: nil, cpt: "99309, 1111F",
                            diagnosisCodes: "I10, E11.9")
        let cells: [CellValue] = [.text(charge.patientName), .date(charge.patientDob!), .date(charge.dateOfService!), .text("LTC"),
                                  .text("Follow-up"), .text("Maple Grove"), .number(104), .text("I10, E11.9"), .text("99309, 1111F"),
                                  .text("Avery Quinlan MD"), .text("1234567893")]
        let typedAt: [RowCells.Typed?] = [.patientName, .patientDob, .dateOfService, .typeOfCare, .typeOfVisit, .facility, nil,
                                          .diagnosisCodes, .cpt, .servicingProvider, .providerNpi]
        var bytes: [UInt8] = []
        // Every typed cell but the NPI (the charge has none) is a reference.
        RowCells.encode(cells, into: &bytes) { i in i == 10 ? nil : typedAt[i] }
        #expect(bytes.filter { $0 >= RowCells.reference }.count >= 9)
        #expect(RowCells.decode(bytes, charge: charge) == cells)
        // A reference to a column the charge lacks comes back empty.
        var npiRef: [UInt8] = []
        RowCells.encode([.text("x")], into: &npiRef) { _ in .providerNpi }
        #expect(RowCells.decode(npiRef, charge: charge) == [.empty])
    }

    /// A CSV export with a cell past the last header and cells that differ from their typed
    /// column after normalisation (padded name, `;`-separated diagnoses).
    static let csv = """
        Patient Name,DOB,Date of Service,Type of Care,Type of Visit,Facility,Room,Assessment,CPT,Servicing Provider,Export Date,Chief Complaint
        "RIVERA, ANA",02-29-1944,11-18-2026,LTC,Follow-up,Maple Grove Care Center,101,"I10, E11.9",99309,Avery Quinlan MD,11-20-2026,Cough
        "  LEE, OMAR ",1950-07-04,2026-11-18,LTC,Initial,Maple Grove Care Center,102,I10;E11.9,99304,Avery Quinlan MD,11-20-2026,"say ""ah"", \\n",extra
        "NOVAK, ELI",1940-05-05,2026-11-18,LTC,Follow-up,Maple Grove Care Center,,,99309,Avery Quinlan MD,2026-11-20,Zoë 🩺

        """

    /// `csv` imported into a fresh in-memory database.
    static func importedCSV(_ name: String) throws -> (AppDatabase, ImportResult) {
        let path = try TestSupport.tempDir(name).appendingPathComponent("ice.csv").path
        try csv.write(toFile: path, atomically: true, encoding: .utf8)
        let db = try AppDatabase.inMemory()
        return (db, try IceImporter.importFile(path, into: db, rules: rules))
    }

    @Test("import stores the cells as RowCells with references; originalColumns gives every original cell back")
    func importAndOriginalColumns() throws {
        let (db, r) = try Self.importedCSV("rowcells")
        #expect(r.rows == 3 && r.rejected.isEmpty)
        let charges = try db.read { db in try Charge.order(Column("row_number")).fetchAll(db) }
        #expect(charges.allSatisfy { $0.columnsJson == nil && $0.columnsBin != nil })
        let rivera = charges[0], lee = charges[1], novak = charges[2]
        // Rivera's name, dates, care, visit, facility, assessment, CPT and provider are references.
        #expect(rivera.columnsBin?.first == RowCells.reference + UInt8(RowCells.Typed.patientName.rawValue))
        let d = { (y: Int, m: Int, dd: Int) in CellValue.date(CalendarDate(year: y, month: m, day: dd)!) }
        #expect(rivera.cells == [.text("RIVERA, ANA"), d(1944, 2, 29), d(2026, 11, 18), .text("LTC"), .text("Follow-up"),
                                 .text("Maple Grove Care Center"), .text("101"), .text("I10, E11.9"), .text("99309"), .text("Avery Quinlan MD"),
                                 d(2026, 11, 20), .text("Cough")])
        // The padded name and the `;` list differ from their typed columns: stored as they were.
        #expect(lee.patientName == "LEE, OMAR" && lee.diagnosisCodes == "I10, E11.9")
        let leeCols = try db.read { db in try ReconIntake.originalColumns(db, charge: lee) }
        #expect(leeCols.map(\.header) == ["Patient Name", "DOB", "Date of Service", "Type of Care", "Type of Visit", "Facility", "Room",
                                          "Assessment", "CPT", "Servicing Provider", "Export Date", "Chief Complaint"])
        #expect(leeCols[0].value == .text("  LEE, OMAR ") && leeCols[7].value == .text("I10;E11.9"))
        #expect(leeCols[11].value == .text("say \"ah\", \\n"))
        // The cell past the last header is kept in the row.
        #expect(lee.cells.count == 13 && lee.cells[12] == .text("extra"))
        #expect(novak.cells[6] == .empty && novak.cells[7] == .empty && novak.cells[11] == .text("Zoë 🩺"))
    }

    @Test("an imported row's values cannot be changed: its referenced cells would change with them")
    func importedRowsAreImmutable() throws {
        let (db, _) = try Self.importedCSV("rowcells-immutable")
        for sql in ["UPDATE charges SET patient_name = 'SOMEONE, ELSE'", "UPDATE charges SET date_of_service = '2026-01-01'",
                    "UPDATE charges SET cpt = '99213'", "UPDATE charges SET columns_bin = NULL"] {
            #expect(throws: DatabaseError.self, "\(sql)") { try db.write { try $0.execute(sql: sql + " WHERE source = 'ice'") } }
        }
        let rivera = try db.read { db in try Charge.order(Column("row_number")).fetchOne(db) }
        #expect(rivera?.patientName == "RIVERA, ANA" && rivera?.cells.first == .text("RIVERA, ANA"))
        // Writing a row back unchanged (a full-record update) and setting its intake batch stay allowed.
        try db.write { db in
            var c = try #require(try Charge.order(Column("row_number")).fetchOne(db))
            try c.update(db)
            try db.execute(sql: "UPDATE charges SET import_id = import_id WHERE source = 'ice'")
        }
    }

    @Test("rows stored as JSON before migration v7 read back and reconcile to the same Data sheet as RowCells rows")
    func oldJSONRowsStillRead() throws {
        let dir = try TestSupport.tempDir("rowcells-old")
        let csv = TestSupport.fixture("recon/ice-small.csv").path
        func reconcile(_ db: AppDatabase, _ name: String) throws -> [(Int, [CellValue])] {
            let r = try Reconciler.run(db: db, rules: Self.rules,
                                       options: ReconcileOptions(date: ReconTest.date(2026, 11, 20), outDir: dir.appendingPathComponent(name).path))
            return try ReconTest.rows(try XlsxReader(path: r.generalWorkbook, sheet: "Data"))
        }
        let fresh = try AppDatabase.inMemory()
        _ = try IceImporter.importFile(csv, into: fresh, rules: Self.rules)
        let expected = try reconcile(fresh, "new")

        // The same import with every other row turned back into the old form (JSON, no blob).
        let old = try AppDatabase.inMemory()
        _ = try IceImporter.importFile(csv, into: old, rules: Self.rules)
        let converted = try old.write { db -> Int in
            // Rows like these were written before v7, when the v9 guard did not exist yet either.
            try db.execute(sql: "DROP TRIGGER charges_imported_cells_immutable")
            var n = 0
            for c in try Charge.fetchAll(db) where (c.rowNumber ?? 0) % 2 == 0 {
                try db.execute(sql: "UPDATE charges SET columns_json = ?, columns_bin = NULL WHERE id = ?",
                               arguments: [RowValues.encode(c.cells), c.id])
                n += 1
            }
            return n
        }
        #expect(converted >= 4)
        let oldCharges = try old.read { db in try Charge.order(Column("row_number")).fetchAll(db) }
        let newCharges = try fresh.read { db in try Charge.order(Column("row_number")).fetchAll(db) }
        #expect(oldCharges.filter { $0.columnsJson != nil && $0.columnsBin == nil }.count == converted)
        for (o, n) in zip(oldCharges, newCharges) {
            let oc = try old.read { db in try ReconIntake.originalColumns(db, charge: o) }
            let nc = try fresh.read { db in try ReconIntake.originalColumns(db, charge: n) }
            #expect(oc.map(\.header) == nc.map(\.header) && oc.map(\.value) == nc.map(\.value))
        }
        let got = try reconcile(old, "old")
        #expect(got.count == expected.count && got.count == 10)
        for (g, e) in zip(got, expected) { #expect(g.0 == e.0 && g.1 == e.1) }
    }

    @Test("two exports with their columns in different orders: each row's cells land under their own headers")
    func unionLayout() throws {
        let dir = try TestSupport.tempDir("rowcells-union")
        let a = dir.appendingPathComponent("a.csv").path, b = dir.appendingPathComponent("b.csv").path
        try """
            Patient Name,DOB,Date of Service,Type of Care,Type of Visit,Facility,Assessment,CPT,Servicing Provider,Export Date,Room
            "RIVERA, ANA",02-29-1944,11-18-2026,LTC,Follow-up,Maple Grove Care Center,I10,99309,Avery Quinlan MD,11-20-2026,101

            """.write(toFile: a, atomically: true, encoding: .utf8)
        try """
            Room,CPT,Servicing Provider,Export Date,Patient Name,DOB,Date of Service,Type of Care,Type of Visit,Facility,Assessment,Wing
            202,99310,Avery Quinlan MD,11-20-2026,"LEE, OMAR",1950-07-04,2026-11-18,LTC,Initial,Maple Grove Care Center,E11.9,North

            """.write(toFile: b, atomically: true, encoding: .utf8)
        let db = try AppDatabase.inMemory()
        _ = try IceImporter.importFile(a, into: db, rules: Self.rules)
        _ = try IceImporter.importFile(b, into: db, rules: Self.rules)
        let r = try Reconciler.run(db: db, rules: Self.rules, options: ReconcileOptions(date: ReconTest.date(2026, 11, 20), outDir: dir.path))
        let data = try ReconTest.rows(try XlsxReader(path: r.generalWorkbook, sheet: "Data"))
        let header = try #require(data.first?.1).map(\.text)
        #expect(Array(header.prefix(12)) == ["Patient Name", "DOB", "Date of Service", "Type of Care", "Type of Visit", "Facility", "Assessment",
                                             "CPT", "Servicing Provider", "Export Date", "Room", "Wing"])
        let lee = try #require(data.first { $0.1.first == .text("LEE, OMAR") }?.1)
        #expect(lee[1] == .date(ReconTest.date(1950, 7, 4)) && lee[2] == .date(ReconTest.date(2026, 11, 18)))
        #expect(lee[5] == .text("Maple Grove Care Center") && lee[6] == .text("E11.9") && lee[7] == .text("99310"))
        #expect(lee[9] == .date(ReconTest.date(2026, 11, 20)) && lee[10] == .text("202") && lee[11] == .text("North"))
        let rivera = try #require(data.first { $0.1.first == .text("RIVERA, ANA") }?.1)
        #expect(rivera[10] == .text("101") && rivera[11] == .empty)

        // The sheet XML: a cell right after the previous one (or in column A) carries no reference;
        // one after a gap does (Rivera has no Wing: her Billed cell in M follows a gap).
        let archive = try Archive(url: URL(fileURLWithPath: r.generalWorkbook), accessMode: .read)
        var xml = Data()
        _ = try archive.extract(try #require(archive["xl/worksheets/sheet1.xml"])) { xml.append($0) }
        let text = String(decoding: xml, as: UTF8.self)
        let riveraRow = try #require(text.components(separatedBy: "<row ").first { $0.contains("RIVERA, ANA") })
        #expect(riveraRow.components(separatedBy: "<c ").count - 1 == 12)
        #expect(riveraRow.components(separatedBy: "<c r=").count - 1 == 1)
        #expect(riveraRow.contains(#"<c r="M2" t="inlineStr"><is><t>Yes</t>"#))
    }

    @Test("charges_on_document indexes paper charges only, and lookups by document still use it")
    func partialDocumentIndex() throws {
        let db = try AppDatabase.inMemory()
        let (sql, plans) = try db.read { db -> (String?, [String]) in
            let sql = try String.fetchOne(db, sql: "SELECT sql FROM sqlite_master WHERE name = 'charges_on_document'")
            let plans = try ["SELECT id FROM charges WHERE document_id = 7 AND source = 'paper'",
                             "SELECT id FROM charges WHERE document_id IN (1, 2)",
                             "DELETE FROM documents WHERE id = 3"].map { q in
                try Row.fetchAll(db, sql: "EXPLAIN QUERY PLAN " + q).map { $0["detail"] as String }.joined(separator: " | ")
            }
            return (sql, plans)
        }
        #expect(sql?.contains("WHERE document_id IS NOT NULL") == true)
        for p in plans { #expect(p.contains("charges_on_document"), "\(p)") }
    }
}
