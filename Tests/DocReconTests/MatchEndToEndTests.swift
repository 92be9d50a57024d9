import Foundation
import Testing
@testable import DocRecon

/// A committed paper sample through the real pipeline (intake, text layer, extraction), an ICE
/// export of the same encounter with one line missing and one with other units, one
/// reconciliation: the `Paper vs ICE` sheet holds exactly those two lines.
@Suite struct MatchEndToEndTests {
    @Test func committedSheetAgainstAnIceExport() throws {
        let name = "born-digital-01-encounter-form"
        let sheets = TestSupport.repoRoot.appendingPathComponent("Samples/sheets")
        let dir = try TestSupport.tempDir("match-e2e")
        let db = try AppDatabase.open(path: dir.appendingPathComponent("t.sqlite").path)

        // The sheet: stored, read from its text layer, extracted into paper charges.
        let tessdata = try TessdataLocator.locate(explicit: nil)
        let pipeline = IngestPipeline(db: db, options: IngestOptions(jobs: 1, read: ReadSettings(tessdata: tessdata)))
        let summary = try pipeline.run(paths: [sheets.appendingPathComponent("\(name).pdf").path])
        let id = try #require(summary.documents.first?.id)
        _ = try Extractor(templates: try ExtractFixtures.templates()).extract(documentId: id, in: db)
        let paper = try db.read { try Charge.filter(sql: "document_id = ?", arguments: [id]).fetchAll($0) }
        #expect(paper.map(\.cpt) == ["99213", "71046", "93000"])

        // ICE's side of it (from the ground truth): 71046 left out, 93000 with 1 unit instead of 2.
        let truthDir = dir.appendingPathComponent("truth")
        try FileManager.default.createDirectory(at: truthDir, withIntermediateDirectories: true)
        try FileManager.default.copyItem(at: sheets.appendingPathComponent("\(name).json"), to: truthDir.appendingPathComponent("\(name).json"))
        let rows = try MatchSamples.iceRows(truthDir: truthDir.path, exportDate: CalendarDate(iso: "2026-11-20")!)
        let export = dir.appendingPathComponent("Export PRM 11-20-2026 Completed.csv")
        try MatchSamples.csv(rows).write(to: export, atomically: true, encoding: .utf8)
        let rules = try ReconRules.load(dir: TestSupport.repoRoot.appendingPathComponent("Rules").path)
        let imp = try IceImporter.importFile(export.path, into: db, rules: rules)
        #expect(imp.rows == 5 && imp.rejected.isEmpty)   // 99213, 93000 and three ICE-only rows

        let r = try Reconciler.run(db: db, rules: rules, options: ReconcileOptions(
            date: CalendarDate(iso: "2026-11-20")!, outDir: dir.appendingPathComponent("out").path))
        #expect(r.paper == PaperSummary(charges: 3, complete: 1, paperOnly: 1, mismatch: 1, conflict: 0, paperVsIceRows: 2, exceptionRows: 0))
        let sheet = try ReconTest.rows(try XlsxReader(path: r.generalWorkbook, sheet: "Paper vs ICE")).map { $0.1.map(\.text) }
        let h = Dictionary(uniqueKeysWithValues: sheet[0].enumerated().map { ($1, $0) })
        func cols(_ row: [String], _ names: [String]) -> [String] { names.map { row[h[$0]!] } }
        let shown = ["Status", "Document", "Page", "Line", "Patient Name", "CPT", "Field", "Paper", "ICE", "ICE Row"]
        #expect(sheet.dropFirst().map { cols($0, shown) } == [
            ["paper-only", "\(name).pdf", "1", "2", "ABERNATHY, MARGARET", "71046", "", "71046", "", ""],
            ["mismatch", "\(name).pdf", "1", "3", "ABERNATHY, MARGARET", "93000", "units", "2", "1", "3"],
        ])
        // Each row says how sure extraction was of the value it rests on.
        for row in sheet.dropFirst() {
            let c = try #require(Double(row[h["Confidence"]!]))
            #expect(c > 0 && c <= 1)
        }
        #expect(try XlsxReader(path: r.generalWorkbook, sheet: "Exceptions").sheetNames.contains("Exceptions"))
    }
}
