import Foundation
import Testing
@testable import DocRecon

/// Golden workbooks: our output read back by an independent reader (Python openpyxl), every cell
/// of Data and Summary compared with what the fixture export and the hand-written expectations
/// say it must be.
@Suite("Reconcile golden workbooks")
struct ReconcileGoldenTests {
    struct Golden: Decodable {
        struct Rejection: Decodable { var row: Int; var reason: String }
        var rejected: [Rejection]
        var billing: [String: [String]]
        var dateColumns: [String]
        var summary: [[[String]]]
        var master: [[MasterCell]]
        enum CodingKeys: String, CodingKey { case rejected, billing, dateColumns = "date_columns", summary, master }
    }
    enum MasterCell: Decodable, Equatable {
        case s(String), n(Int)
        init(from d: Decoder) throws {
            let c = try d.singleValueContainer()
            if let i = try? c.decode(Int.self) { self = .n(i) } else { self = .s(try c.decode(String.self)) }
        }
    }

    /// The Data sheet the fixture must give, built by Python from the CSV itself (csv module,
    /// dates parsed with strptime / the 1900 serial), plus the expected Billed and reason.
    static func expectedData(csv: String, golden: String) throws -> [[[String]]] {
        let text = try ReconTest.runPython("""
            import csv, datetime, json, sys
            g = json.load(open(sys.argv[2]))
            rows = list(csv.reader(open(sys.argv[1], newline='', encoding='utf-8-sig')))
            header = rows[0]
            datecols = [header.index(h) for h in g["date_columns"]]
            def as_date(s):
                for f in ("%m-%d-%Y", "%Y-%m-%d", "%m/%d/%Y"):
                    try: return datetime.datetime.strptime(s, f).date()
                    except ValueError: pass
                return datetime.date(1899, 12, 30) + datetime.timedelta(days=int(s))
            out = [[["s", h] for h in header + ["Billed", "Reason for not billed"]]]
            for n, r in enumerate(rows[1:], start=2):
                if str(n) not in g["billing"]: continue
                cells = [["s", v] if v != "" else ["", ""] for v in r]
                for i in datecols: cells[i] = ["d", as_date(r[i]).isoformat()]
                billed, reason = g["billing"][str(n)]
                cells += [["s", billed], ["s", reason] if reason else ["", ""]]
                while cells and cells[-1] == ["", ""]: cells.pop()
                out.append(cells)
            print(json.dumps(out))
            """, [csv, golden])
        return try JSONDecoder().decode([[[String]]].self, from: Data(text.utf8))
    }

    @Test("Data, Summary and Master Missing of a fixture export, cell by cell", .enabled(if: ReconTest.hasOpenpyxl, ReconTest.noOpenpyxl))
    func goldenWorkbooks() throws {
        let csv = TestSupport.fixture("recon/ice-small.csv").path
        let goldenPath = TestSupport.fixture("recon/golden-small.json").path
        let golden = try JSONDecoder().decode(Golden.self, from: Data(contentsOf: URL(fileURLWithPath: goldenPath)))
        let db = try AppDatabase.inMemory()
        let rules = try ReconRules.load(dir: TestSupport.repoRoot.appendingPathComponent("Rules").path)
        let imported = try IceImporter.importFile(csv, into: db, rules: rules)
        #expect(imported.rejected.map { "\($0.row): \($0.reason)" } == golden.rejected.map { "\($0.row): \($0.reason)" })
        #expect(imported.rows == golden.billing.count)

        let out = try TestSupport.tempDir("golden")
        let date = ReconTest.date(2026, 11, 20)
        let result = try Reconciler.run(db: db, rules: rules, options: ReconcileOptions(date: date, outDir: out.path))
        #expect(result.generalWorkbook == out.appendingPathComponent("General Reconciliation 11-20-2026.xlsx").path)
        #expect(result.masterWorkbook == out.appendingPathComponent("Master Missing to 11-20-2026.xlsx").path)
        for p in [result.generalWorkbook, result.masterWorkbook] {
            #expect((try FileManager.default.attributesOfItem(atPath: p)[.posixPermissions] as? Int) == 0o600)
        }

        let general = try ReconTest.openpyxlDump(result.generalWorkbook)
        #expect(Array(general.keys).sorted() == ["Data", "Summary"])
        let expected = try Self.expectedData(csv: csv, golden: goldenPath)
        let data = general["Data"] ?? []
        #expect(data.count == expected.count)
        for (i, (got, want)) in zip(data, expected).enumerated() {
            #expect(got == want, "Data row \(i + 1)")
        }
        #expect(general["Summary"] == golden.summary)

        let master = try ReconTest.openpyxlDump(result.masterWorkbook)["Master Missing"] ?? []
        #expect(master.first?.map { $0[1] } == ["Patient Name", "DOB", "Date of Service", "Type of Care", "Type of Visit", "Facility", "CPT",
                                                 "Last Attempt to Process", "Billed", "Reason for not billed", "First Seen",
                                                 "Days Outstanding", "Aging"])
        let body = master.dropFirst().map { row -> [MasterCell] in
            [.s(row[0][1]), .s(row[2][1]), .s(row[6][1]), .s(row[9][1]), .n(Int(row[11][1]) ?? -1)]
        }
        #expect(Set(body.map { "\($0)" }) == Set(golden.master.map { "\($0)" }))
        #expect(master.dropFirst().allSatisfy { $0[7] == ["d", "2026-11-20"] && $0[8] == ["s", "No"] && $0[10] == ["d", "2026-11-20"] && $0[12] == ["s", "0-30"] })

        // Our own reader sees the same cells as openpyxl in our output.
        let ours = try ReconTest.rows(try XlsxReader(path: result.generalWorkbook, sheet: "Data")).map { $0.1.map(ReconTest.typed) }
        #expect(ours == data)
    }
}

/// The streamed sheets leave out a cell's `r="B12"` reference when it follows the previous cell
/// (optional in SpreadsheetML). openpyxl places such cells; this checks a second, unrelated
/// reader: LibreOffice (headless, CSV export of every sheet) must see every cell openpyxl sees.
@Suite("Reconcile workbooks in LibreOffice", .serialized)
struct ReconcileLibreOfficeTests {
    static let soffice = ["/usr/bin/soffice", "/usr/lib/libreoffice/program/soffice"].first { FileManager.default.isExecutableFile(atPath: $0) }
    static let noSoffice: Comment = "LibreOffice is not installed (make deps installs libreoffice-calc-nogui): test skipped"

    @Test("every cell of Data, Summary and Master Missing reads the same in LibreOffice as in openpyxl",
          .enabled(if: soffice != nil && ReconTest.hasOpenpyxl, noSoffice))
    func libreOfficeReadsEveryCell() throws {
        let db = try AppDatabase.inMemory()
        let rules = try ReconRules.load(dir: TestSupport.repoRoot.appendingPathComponent("Rules").path)
        _ = try IceImporter.importFile(TestSupport.fixture("recon/ice-small.csv").path, into: db, rules: rules)
        let out = try TestSupport.tempDir("libreoffice")
        let result = try Reconciler.run(db: db, rules: rules, options: ReconcileOptions(date: ReconTest.date(2026, 11, 20), outDir: out.path))
        let csvDir = out.appendingPathComponent("csv")
        // CSV, UTF-8, every sheet to its own file (`<name>-<sheet>.csv`); a private profile.
        let filter = "csv:Text - txt - csv (StarCalc):44,34,76,1,,0,false,true,false,false,false,-1"
        let r = try TestSupport.runTool(Self.soffice!, ["-env:UserInstallation=file://\(out.path)/profile", "--headless",
                                                       "--convert-to", filter, "--outdir", csvDir.path,
                                                       result.generalWorkbook, result.masterWorkbook])
        #expect(r.status == 0, "\(r.stderr)")
        var sheetsChecked = 0
        for (workbook, prefix) in [(result.generalWorkbook, "General Reconciliation 11-20-2026"), (result.masterWorkbook, "Master Missing to 11-20-2026")] {
            for (sheet, rows) in try ReconTest.openpyxlDump(workbook) {
                let csvPath = csvDir.appendingPathComponent("\(prefix)-\(sheet).csv").path
                var lo: [[String]] = []
                try CSVReader(path: csvPath).forEachRow { _, cells in lo.append(cells.map(\.text)) }
                #expect(lo.count == rows.count, "\(sheet): \(lo.count) rows in LibreOffice, \(rows.count) in openpyxl")
                for (i, (want, got)) in zip(rows, lo).enumerated() {
                    let width = max(want.count, got.lastIndex { !$0.isEmpty }.map { $0 + 1 } ?? 0)
                    for j in 0..<width {
                        let w = j < want.count ? want[j] : ["", ""], g = j < got.count ? got[j] : ""
                        #expect(Self.same(w, g), "\(sheet) row \(i + 1) column \(j + 1): openpyxl \(w), LibreOffice '\(g)'")
                    }
                }
                sheetsChecked += 1
            }
        }
        #expect(sheetsChecked == 3)
    }

    /// An openpyxl cell ([type, value]) against LibreOffice's CSV text of it (dates as MM/dd/yyyy).
    static func same(_ cell: [String], _ text: String) -> Bool {
        switch cell[0] {
        case "": return text.isEmpty
        case "n": return Double(text.replacingOccurrences(of: ",", with: "")).map { abs($0 - (Double(cell[1]) ?? .nan)) < 1e-9 } ?? false
        case "b": return text.uppercased() == cell[1]
        case "d":
            let p = text.split(separator: "/")
            guard p.count == 3 else { return false }
            return "\(p[2])-\(p[0])-\(p[1])" == cell[1]
        default: return text == cell[1]
        }
    }
}
