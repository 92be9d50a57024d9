import Foundation
import GRDB
import Testing
@testable import DocRecon

@Suite("Reconcile with an EBS export and configured outputs")
struct ReconcileEbsTests {
    static let rulesDir = TestSupport.repoRoot.appendingPathComponent("Rules")

    @Test("EBS export: billed only when posted, EBS reasons win, keys match across the two files")
    func ebsExport() throws {
        let dir = try TestSupport.tempDir("ebs")
        let rules = try ReconRules.load(dir: Self.rulesDir.path)
        let ice = dir.appendingPathComponent("Export PRM 11-20-2026 Completed.xlsx").path
        let ebsPath = dir.appendingPathComponent("EBS.xlsx").path
        let g = IceGenerator(rows: 400, seed: 11)
        try g.write(path: ice)
        try g.writeEbs(path: ebsPath, rules: rules)
        let ebs = try EbsExport.load(path: ebsPath, rules: rules)
        #expect(ebs.rejectedRows.isEmpty)
        let db = try AppDatabase.inMemory()
        _ = try IceImporter.importFile(ice, into: db, rules: rules)
        let r = try Reconciler.run(db: db, rules: rules, options: ReconcileOptions(date: ReconTest.date(2026, 11, 20), outDir: dir.path, ebsPath: ebsPath))
        // What each charge must get, computed from the EBS statuses and our own checks.
        let evaluator = BillingEvaluator(rules: rules)
        var expectReasons: [String] = []
        for c in try db.read({ db in try Charge.order(Column("row_number")).fetchAll(db) }) {
            let k = EncounterKey.of(c)
            switch ebs.statuses[k] {
            case .rejected(let why)?: expectReasons.append(why)
            case .posted?: expectReasons.append(evaluator.ownReason(c) ?? "")
            case nil: expectReasons.append(evaluator.ownReason(c) ?? "Not posted in EBS")
            }
        }
        let data = try ReconTest.rows(try XlsxReader(path: r.generalWorkbook, sheet: "Data")).dropFirst()
        let got = data.map { row in row.1.count > 20 ? row.1[20].text : "" }
        #expect(got == expectReasons)
        #expect(Set(got).isSuperset(of: ["", "Not posted in EBS", "Provider validation failed", "Eligibility not verified"]))
        #expect(r.billed == got.filter(\.isEmpty).count && r.ebsFile == "EBS.xlsx")
    }

    @Test("titles, sheet names and reason strings come from reconciliation.yaml")
    func configuredOutputs() throws {
        let dir = try TestSupport.tempDir("cfg")
        let fm = FileManager.default
        try fm.createDirectory(at: dir.appendingPathComponent("rules/sources"), withIntermediateDirectories: true)
        for f in ["sources/ice.yaml", "sources/ebs.yaml", "billing.yaml"] {
            try fm.copyItem(at: Self.rulesDir.appendingPathComponent(f), to: dir.appendingPathComponent("rules/\(f)"))
        }
        try """
            general_title: "Recon {date}"
            master_title: "Missing {date}"
            data_sheet: Rows
            yes: Y
            no: N
            reasons:
              diagnosis: "No diagnosis"
            """.write(to: dir.appendingPathComponent("rules/reconciliation.yaml"), atomically: true, encoding: .utf8)
        let rules = try ReconRules.load(dir: dir.appendingPathComponent("rules").path)
        let db = try AppDatabase.inMemory()
        _ = try IceImporter.importFile(TestSupport.fixture("recon/ice-small.csv").path, into: db, rules: rules)
        let r = try Reconciler.run(db: db, rules: rules, options: ReconcileOptions(date: ReconTest.date(2026, 11, 20), outDir: dir.appendingPathComponent("out").path))
        #expect((r.generalWorkbook as NSString).lastPathComponent == "Recon 11-20-2026.xlsx")
        #expect((r.masterWorkbook as NSString).lastPathComponent == "Missing 11-20-2026.xlsx")
        let reader = try XlsxReader(path: r.generalWorkbook)
        #expect(reader.sheetNames == ["Rows", "Summary"])
        let rows = try ReconTest.rows(reader)
        #expect(rows[2].1.suffix(2) == [.text("N"), .text("No diagnosis")])  // LEE, OMAR: no Assessment
        #expect(rows[1].1.last == .text("Y"))
        #expect(rows[4].1.suffix(2) == [.text("N"), .text("Invalid CPT")])  // defaults stay for the rest
    }

    @Test("reconcile --ice imports and reconciles in one step; ledger --status resolved after a fix")
    func iceOptionAndResolution() throws {
        let dir = try TestSupport.tempDir("fix")
        let db = dir.appendingPathComponent("db.sqlite").path
        let day1 = dir.appendingPathComponent("day1.csv"), day2 = dir.appendingPathComponent("day2.csv")
        let header = "Patient Name,DOB,Date of Service,Type of Care,Type of Visit,Facility,Assessment,CPT,Servicing Provider,Export Date\n"
        try (header + "\"DOE, JAMIE\",12-01-1938,11-19-2026,LTC,Follow-up,Harbor View Health,,99309,Dana Whitford MD,11-20-2026\n")
            .write(to: day1, atomically: true, encoding: .utf8)
        try (header + "\"doe,  jamie\",12-01-1938,2026-11-19,LTC,Follow-up,HARBOR VIEW HEALTH,I10,99309,Dana Whitford MD,11-21-2026\n")
            .write(to: day2, atomically: true, encoding: .utf8)
        let out = dir.appendingPathComponent("out").path
        let r1 = try TestSupport.run(["reconcile", "--db", db, "--ice", day1.path, "--date", "2026-11-20", "--out", out])
        #expect(r1.status == 0, "\(r1.stderr)")
        let open = try TestSupport.run(["ledger", "--db", db, "--json", "--as-of", "2026-11-20"])
        let openItems = try JSONSerialization.jsonObject(with: Data(open.stdout.utf8)) as? [[String: Any]] ?? []
        #expect(openItems.count == 1 && openItems.first?["reason"] as? String == "Missing DX" && openItems.first?["days_outstanding"] as? Int == 1)
        let r2 = try TestSupport.run(["reconcile", "--db", db, "--ice", day2.path, "--date", "2026-11-21", "--out", out, "--json"])
        #expect(r2.status == 0, "\(r2.stderr)")
        let run = (try JSONSerialization.jsonObject(with: Data(r2.stdout.utf8)) as? [String: Any])?["run"] as? [String: Any]
        #expect(run?["resolved"] as? Int == 1 && run?["open_after"] as? Int == 0)
        let resolved = try TestSupport.run(["ledger", "--db", db, "--json", "--status", "resolved"])
        let items = try JSONSerialization.jsonObject(with: Data(resolved.stdout.utf8)) as? [[String: Any]] ?? []
        #expect(items.count == 1 && items.first?["resolved_on"] as? String == "2026-11-21" && items.first?["first_seen"] as? String == "2026-11-20")
        #expect(items.first?["patient_name"] as? String == "DOE, JAMIE")  // the fields as first seen
        let none = try TestSupport.run(["ledger", "--db", db, "--status", "open"])
        #expect(none.status == 0 && none.stdout == "no open ledger entries\n")
    }
}
