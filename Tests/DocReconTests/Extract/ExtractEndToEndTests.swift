import Foundation
import Testing
@testable import DocRecon

/// Committed samples through the real pipeline (intake, OCR or text layer, extraction with the
/// second look): every field and every line value must equal the ground truth beside the sample.
@Suite struct ExtractEndToEndTests {
    @Test(arguments: ["clean-01-superbill.pdf", "born-digital-02-cms1500.pdf", "born-digital-01-encounter-form.pdf"])
    func sampleMatchesItsGroundTruth(name: String) throws {
        let path = TestSupport.repoRoot.appendingPathComponent("Samples/sheets/\(name)").path
        let db = try AppDatabase.open(path: try TestSupport.tempDir("e2e").appendingPathComponent("t.sqlite").path)
        let (id, s, truth, report) = try ExtractFixtures.readThrough(path, db: db, secondLook: true)
        #expect(s.records == truth.records.count)
        #expect(s.docType == (name.contains("cms1500") ? "cms1500" : "charge_sheet"))
        // 10 record fields plus every line value of the truth.
        #expect(report.overall.total >= 10 + truth.lines.flatMap { $0 }.count * 4)
        #expect(report.misses.isEmpty, "\(report.misses.map { "\($0.field): expected \($0.expected ?? "-") got \($0.got ?? "-")" })")
        #expect(report.wrongOk == 0)
        // The paper charges carry the record's fields.
        let charges = try db.read { try Charge.filter(sql: "document_id = ?", arguments: [id]).fetchAll($0) }
        #expect(charges.count == truth.lines.flatMap { $0 }.count)
        #expect(charges.allSatisfy { $0.patientName == truth.records[0]["patient_name"] && $0.source == .paper })
    }
}
