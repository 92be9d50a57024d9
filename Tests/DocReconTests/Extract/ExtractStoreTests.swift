import Foundation
import GRDB
import Testing
@testable import DocRecon

/// Extraction against the database: fields, lines and paper charges in one transaction,
/// corrected values kept, the second look, the accuracy harness and the commands.
@Suite struct ExtractStoreTests {
    /// Stores a document with one page of the given words; returns its id.
    static func store(_ p: PageBuilder, name: String = "sheet-01.pdf", in db: AppDatabase) throws -> Int64 {
        try db.write { db in
            var d = Document(sha256: UUID().uuidString, originalName: name, originalPath: "/x/" + name, storedPath: "/s/" + name,
                             kind: .pdf, byteSize: 1, pageCount: 1, status: .ocred)
            try d.insert(db)
            var page = Page(documentId: d.id!, number: 1, width: p.width, height: p.height, dpi: 300, source: .ocr)
            try page.insert(db)
            for var w in p.words { w.pageId = page.id!; try w.insert(db) }
            return d.id!
        }
    }

    static func extractor(_ rereader: (any FieldRereader)? = nil) throws -> Extractor {
        Extractor(templates: try ExtractFixtures.templates(), rereader: rereader, today: ExtractFixtures.today)
    }

    @Test func writesFieldsLinesAndPaperCharges() throws {
        let db = try AppDatabase.inMemory()
        let id = try Self.store(ExtractLayoutTests.superbill(), in: db)
        let s = try Self.extractor().extract(documentId: id, in: db)
        #expect(s.docType == "charge_sheet")
        #expect(s.records == 1 && s.lines == 3 && s.charges == 3)
        let doc = try db.read { try Document.fetchOne($0, key: id)! }
        #expect(doc.status == .extracted && doc.docType == "charge_sheet")
        let charges = try db.read { try Charge.filter(Column("document_id") == id).order(Column("line_index")).fetchAll($0) }
        #expect(charges.map(\.cpt) == ["99309", "99213", "G0439"])
        #expect(charges.map(\.units) == [1, 2, 1])
        #expect(charges.map { $0.amount?.decimalString } == ["212.40", "150.00", "175.00"])
        #expect(charges[0].modifiers == "25")
        #expect(charges.allSatisfy { $0.source == .paper && $0.patientName == "RIVERA, ANA" && $0.facility == "Maple Grove SNF" })
        #expect(charges[0].patientDob == CalendarDate(year: 1951, month: 3, day: 4))
        #expect(charges[0].dateOfService == CalendarDate(year: 2026, month: 11, day: 2))
        #expect(charges[0].diagnosisCodes == "I10,E11.9,Z79.4")
        #expect(charges[0].providerNpi == "1234567893" && charges[0].accountNumber == "40917733")
        #expect(charges[0].servicingProvider == "Dr. Lee Park")
        #expect(charges.map(\.lineIndex) == [0, 1, 2] && charges.allSatisfy { $0.recordIndex == 0 })
    }

    @Test func reExtractionReplacesButNeverOverwritesACorrection() throws {
        let db = try AppDatabase.inMemory()
        let id = try Self.store(ExtractLayoutTests.superbill(), in: db)
        let ex = try Self.extractor()
        _ = try ex.extract(documentId: id, in: db)
        // A reviewer corrects the patient name and the second line's units.
        try db.write { db in
            try db.execute(sql: "UPDATE fields SET value = 'RIVERA, ANNA', status = 'corrected', extracted_value = value WHERE document_id = ? AND name = 'patient_name'", arguments: [id])
            try db.execute(sql: "UPDATE lines SET value = '3', status = 'corrected' WHERE document_id = ? AND line_index = 1 AND name = 'units'", arguments: [id])
        }
        let idsBefore = try db.read { try Int64.fetchAll($0, sql: "SELECT id FROM charges WHERE document_id = ? ORDER BY line_index", arguments: [id]) }
        let s = try ex.extract(documentId: id, in: db)
        #expect(s.charges == 3)
        let (fields, lines, charges) = try db.read { db in
            (try ExtractionStore.fields(db, documentId: id), try ExtractionStore.lines(db, documentId: id),
             try Charge.filter(Column("document_id") == id).order(Column("line_index")).fetchAll(db))
        }
        let name = fields.filter { $0.name == "patient_name" }
        #expect(name.count == 1)
        #expect(name[0].value == .string("RIVERA, ANNA") && name[0].status == .corrected && name[0].extractedValue == "RIVERA, ANA")
        #expect(lines.filter { $0.name == "units" && $0.lineIndex == 1 }.map(\.value) == [.int(3)])
        #expect(fields.count == 10)
        #expect(charges.count == 3)
        #expect(charges.allSatisfy { $0.patientName == "RIVERA, ANNA" })
        #expect(charges[1].units == 3)
        // Each line keeps its charge: same ids, so matched sets (named after their smallest
        // member) do not move when a document is extracted again.
        #expect(charges.map(\.id) == idsBefore.map { Optional($0) })
    }

    @Test func aLineThatDisappearsLosesItsChargeAndTheOthersKeepTheirs() throws {
        let db = try AppDatabase.inMemory()
        let id = try Self.store(ExtractLayoutTests.superbill(), in: db)
        let ex = try Self.extractor()
        _ = try ex.extract(documentId: id, in: db)
        let before = try db.read { try Charge.filter(Column("document_id") == id).order(Column("line_index")).fetchAll($0) }
        // The third line's words vanish (say, a rules change no longer reads it): its charge goes.
        try db.write { db in
            let y = try Int.fetchOne(db, sql: "SELECT y0 FROM words WHERE text = 'G0439'")!
            try db.execute(sql: "DELETE FROM words WHERE abs(y0 - ?) < 8", arguments: [y])
        }
        let s = try ex.extract(documentId: id, in: db)
        let after = try db.read { try Charge.filter(Column("document_id") == id).order(Column("line_index")).fetchAll($0) }
        #expect(s.charges == after.count)
        #expect(after.count == 2)
        #expect(after.map(\.id) == before.prefix(2).map(\.id))
        #expect(after.map(\.createdAt) == before.prefix(2).map(\.createdAt))
    }

    struct FakeRereader: FieldRereader {
        let answers: [FieldType: String]
        func reread(documentId: Int64, page: Int, box: Box, type: FieldType) -> (text: String, confidence: Double)? {
            answers[type].map { ($0, 0.93) }
        }
    }

    @Test func secondLookResolvesALowConfidenceValue() throws {
        var p = ExtractLayoutTests.superbill()
        // The NPI was read wrongly and with low confidence; the crop re-read gets it right.
        if let i = p.words.firstIndex(where: { $0.text == "1234567893" }) { p.words[i].text = "1234567B98"; p.words[i].confidence = 0.4 }
        let db = try AppDatabase.inMemory()
        let id = try Self.store(p, in: db)
        let without = try Self.extractor().extract(documentId: id, in: db)
        #expect(without.secondLook.attempted == 0)
        let npiBefore = try db.read { try ExtractionStore.fields($0, documentId: id).first { $0.name == "provider_npi" }! }
        #expect(npiBefore.status == .needsReview)
        let with = try Self.extractor(FakeRereader(answers: [.npi: "1234567893"])).extract(documentId: id, in: db)
        #expect(with.secondLook.attempted == 1)
        #expect(with.secondLook.changed == 1 && with.secondLook.resolved == 1)
        let npi = try db.read { try ExtractionStore.fields($0, documentId: id).first { $0.name == "provider_npi" }! }
        #expect(npi.value == .string("1234567893") && npi.status == .ok && npi.secondLook == "1234567893")
        #expect(npi.rule.hasSuffix("+reread"))
    }

    @Test func secondLookThatReadsNothingBetterChangesNothing() throws {
        var p = ExtractLayoutTests.superbill()
        if let i = p.words.firstIndex(where: { $0.text == "1234567893" }) { p.words[i].text = "1234567B98" }
        let db = try AppDatabase.inMemory()
        let id = try Self.store(p, in: db)
        let s = try Self.extractor(FakeRereader(answers: [.npi: "12345"])).extract(documentId: id, in: db)
        #expect(s.secondLook.attempted == 1 && s.secondLook.changed == 0 && s.secondLook.resolved == 0)
        let npi = try db.read { try ExtractionStore.fields($0, documentId: id).first { $0.name == "provider_npi" }! }
        #expect(npi.status == .needsReview && npi.value == nil && npi.raw == "1234567B98")
    }

    @Test func evalComparesWithTheTruthBesideEachDocument() throws {
        let dir = try TestSupport.tempDir("eval")
        let truth: [String: Any] = [
            "document": ["variant": "clean"],
            "records": [[
                "fields": ["patient_name": "RIVERA, ANA", "patient_dob": "1951-03-04", "account_number": "40917733",
                           "date_of_service": "2026-11-02", "facility": "Maple Grove SNF", "place_of_service": "31",
                           "rendering_provider": "Dr. Lee Park", "provider_npi": "1234567893",
                           "diagnosis_codes": ["I10", "E11.9", "Z79.4"], "total_charge": "537.40"],
                "lines": [["code": "99309", "modifiers": ["25"], "units": 1, "charge": "212.40"],
                          ["code": "99213", "modifiers": [], "units": 2, "charge": "150.00"],
                          ["code": "G0439", "modifiers": [], "units": 1, "charge": "175.00"]],
            ]],
        ]
        var degraded = truth
        degraded["document"] = ["variant": "degraded"]
        for (name, t) in [("a.pdf", truth), ("b.pdf", degraded)] {
            FileManager.default.createFile(atPath: dir.appendingPathComponent(name).path, contents: Data("%PDF".utf8))
            try JSONSerialization.data(withJSONObject: t).write(to: dir.appendingPathComponent(name.replacingOccurrences(of: ".pdf", with: ".json")))
        }
        let db = try AppDatabase.inMemory()
        var bad = ExtractLayoutTests.superbill()
        // b.pdf: the patient name misread with good confidence: a wrong value with status ok.
        if let i = bad.words.firstIndex(where: { $0.text == "ANA" }) { bad.words[i].text = "ANN" }
        let report = try Evaluator.run(dir: dir.path, db: db, extractor: try Self.extractor()) { paths in
            var out: [String: Int64] = [:]
            for p in paths { out[p] = try Self.store(p.hasSuffix("a.pdf") ? ExtractLayoutTests.superbill() : bad,
                                                     name: (p as NSString).lastPathComponent, in: db) }
            return out
        }
        #expect(report.documents == 2)
        // 10 fields + 3 lines × 4 values, per document.
        #expect(report.overall.total == 44)
        #expect(report.overall.exact == 43)
        #expect(report.byVariant["clean"]?.exact == 22 && report.byVariant["clean"]?.total == 22)
        #expect(report.byVariant["degraded"]?.exact == 21)
        #expect(report.byField["patient_name"]?.exact == 1 && report.byField["line.units"]?.exact == 6)
        #expect(report.misses.count == 1)
        #expect(report.misses[0].document == "b.pdf" && report.misses[0].field == "patient_name")
        #expect(report.misses[0].expected == "RIVERA, ANA" && report.misses[0].got == "RIVERA, ANN" && report.misses[0].status == "ok")
        #expect(report.wrongOk == 1)
        let json = try JSON.string(report)
        #expect(json.contains("\"wrong_ok\" : 1"))
    }

    @Test func commandsPrintFieldsAndRejectBrokenRules() throws {
        let dir = try TestSupport.tempDir("cmd")
        let dbPath = dir.appendingPathComponent("t.sqlite").path
        let db = try AppDatabase.open(path: dbPath)
        let id = try Self.store(ExtractLayoutTests.superbill(), in: db)
        let rules = TestSupport.repoRoot.appendingPathComponent("Rules").path
        let ex = try TestSupport.run(["--db", dbPath, "extract", "--rules", rules, String(id)])
        #expect(ex.status == 0, "\(ex.stderr)")
        let f = try TestSupport.run(["--db", dbPath, "fields", "sheet-01.pdf", "--json"])
        #expect(f.status == 0)
        let obj = try JSONSerialization.jsonObject(with: Data(f.stdout.utf8)) as? [String: Any]
        let rec = (obj?["records"] as? [[String: Any]])?.first
        let fields = rec?["fields"] as? [String: [String: Any]]
        #expect(fields?["account_number"]?["value"] as? String == "40917733")
        #expect(fields?["account_number"]?["status"] as? String == "ok")
        #expect((fields?["account_number"]?["box"] as? [Int])?.count == 4)
        #expect((rec?["lines"] as? [[String: Any]])?.count == 3)
        let human = try TestSupport.run(["--db", dbPath, "fields", String(id)])
        #expect(human.stdout.contains("patient_name") && human.stdout.contains("RIVERA, ANA"))
        // A broken rules folder: one line naming the file and line, exit 1.
        let broken = try TestSupport.tempDir("rules")
        try FileManager.default.createDirectory(at: broken.appendingPathComponent("templates"), withIntermediateDirectories: true)
        try "name: x\ndoc_type: y\nselect:\n  any: [a]\nfields:\n  f:\n    type: nope\n    find: [{anchor: {labels: [A]}}]\n"
            .write(to: broken.appendingPathComponent("templates/bad.yaml"), atomically: true, encoding: .utf8)
        let b = try TestSupport.run(["--db", dbPath, "extract", "--rules", broken.path])
        #expect(b.status == 1)
        #expect(b.stderr.contains("bad.yaml line 7: field 'f' type: unknown type 'nope'"), "\(b.stderr)")
    }
}
