import Foundation
import Testing
@testable import DocRecon

/// Checks across values, table edge cases and the second look on values a check doubts.
@Suite struct ExtractChecksTests {
    static func run(_ p: PageBuilder, _ template: String = "charge-sheet") throws -> ExtractedRecord {
        TemplateEngine.extract(page: p.page, template: try ExtractFixtures.template(template), today: ExtractFixtures.today)
    }

    @Test func pointersBeyondTheDiagnosesReadSendTheListToReview() throws {
        var p = ExtractLayoutTests.superbill()
        // Line 1 points at D, but only three diagnoses were read.
        p.put("Dx Ptr", 1900, 600); p.put("ABD", 1900, 660); p.put("A", 1900, 720); p.put("C", 1900, 780)
        let r = try Self.run(p)
        #expect(r.cell(0, "dx_pointer")?.value == .string("ABD"))
        #expect(r.field("diagnosis_codes")?.status == .needsReview)
        #expect(r.field("diagnosis_codes")?.problem?.contains("point at diagnosis 4 but 3 were read") == true)
        var q = ExtractLayoutTests.superbill()
        q.put("Dx Ptr", 1900, 600); q.put("ABC", 1900, 660); q.put("A", 1900, 720); q.put("C", 1900, 780)
        #expect(try Self.run(q).field("diagnosis_codes")?.status == .ok)
    }

    @Test func aRulingReadAsAPointerLetterIsDropped() throws {
        var p = ExtractLayoutTests.superbill()
        p.put("Dx Ptr", 1900, 600); p.put("JA", 1900, 660); p.put("AB", 1900, 720); p.put("LC", 1900, 780)
        let r = try Self.run(p)
        #expect(r.cell(0, "dx_pointer")?.value == .string("A") && r.cell(0, "dx_pointer")?.status == .repaired)
        #expect(r.cell(1, "dx_pointer")?.value == .string("AB") && r.cell(1, "dx_pointer")?.status == .ok)
        #expect(r.cell(2, "dx_pointer")?.value == .string("C"))
    }

    @Test(arguments: [
        ("A. I10 B. E11.9 C. Z79.4", ["I10", "E11.9", "Z79.4"], ParseOutcome.Status.ok),
        ("A. I10 C. Z79.4", ["I10", "Z79.4"], .needsReview),         // B was not read
        ("A.M810 B.Z794 C.110", ["M81.0", "Z79.4", "I10"], .repaired),  // letters glued to codes; 110 → I10
        ("1. M81.0 2. Z79.4", ["M81.0", "Z79.4"], .ok),
        ("I10 Essential hypertension, E11.9", ["I10", "E11.9"], .ok),
    ])
    func diagnosisLists(text: String, codes: [String], status: ParseOutcome.Status) throws {
        var p = PageBuilder()
        p.put("Superbill", 100, 100); p.put("Patient: DOE, JO", 100, 200); p.put("Date of Service: 01/02/2026", 100, 260)
        p.put("Diagnoses: " + text, 100, 320)
        let v = try #require(try Self.run(p).field("diagnosis_codes"))
        #expect(v.value == .list(codes))
        #expect(v.status == status, "\(v.problem ?? "")")
    }

    @Test(arguments: [("5176", "51.76"), ("212 40", "212.40"), ("$1736 98", "1736.98"), ("20", "20.00")])
    func splitCentsMoney(text: String, want: String) {
        let ws = text.split(separator: " ").enumerated().map { i, t in
            Word(pageId: 1, text: String(t), box: Box(100 + i * 100, 0, 160 + i * 100, 30), confidence: 0.9, block: 0, line: 0, wordIndex: i)
        }
        let v = ValueReader.read(name: "charge", type: .money, words: ws, splitCents: true, page: 1, rule: "t",
                                 reviewConfidence: 0.5, today: ExtractFixtures.today)
        #expect(v?.value == .string(want))
    }

    @Test func codeColumnFoundByItsCellsWhenTheHeaderIsMisread() throws {
        var p = PageBuilder()
        p.put("Charge Ticket", 100, 100); p.put("Patient: DOE, JO", 100, 200); p.put("Date of Service: 01/02/2026", 100, 260)
        p.put("HePcs", 100, 500); p.put("Mod", 500, 500); p.put("Units", 800, 500); p.put("Charge", 1100, 500)
        p.put("99213", 100, 560); p.put("25", 500, 560); p.put("1", 820, 560); p.put("95.00", 1100, 560)
        p.put("G0439", 100, 620); p.put("2", 820, 620); p.put("40.00", 1100, 620)
        let r = try Self.run(p)
        #expect(r.lines.count == 2)
        #expect(r.cell(0, "code")?.value == .string("99213") && r.cell(0, "modifiers")?.value == .list(["25"]))
        #expect(r.cell(1, "code")?.value == .string("G0439") && r.cell(1, "units")?.value == .int(2))
    }

    @Test(arguments: [
        ("Al", ["AI"], ParseOutcome.Status.repaired),    // l beside a letter: the I of a sans-serif face
        ("95 Al", ["95", "AI"], .repaired),
        ("1l", ["1"], .needsReview),                     // l beside a digit: 11 or 1I, refused
        ("25 XS", ["25", "XS"], .ok),
    ])
    func modifiersWithALowerCaseL(text: String, want: [String], status: ParseOutcome.Status) {
        let ws = text.split(separator: " ").enumerated().map { i, t in
            Word(pageId: 1, text: String(t), box: Box(100 + i * 100, 0, 160 + i * 100, 30), confidence: 0.9, block: 0, line: 0, wordIndex: i)
        }
        let v = ValueReader.read(name: "modifiers", type: .modifierList, words: ws, page: 1, rule: "t",
                                 reviewConfidence: 0.5, today: ExtractFixtures.today)
        #expect(v?.status == status)
        if status != .needsReview { #expect(v?.value == .list(want)) }
    }

    @Test func specksBetweenLabelAndValueAreIgnored() throws {
        var p = PageBuilder()
        p.put("Superbill", 100, 100); p.put("Patient: DOE, JO", 100, 200); p.put("Date of Service: 01/02/2026", 100, 260)
        p.put("POS:", 100, 320)
        p.words.append(Word(pageId: 1, text: "|", box: Box(600, 340, 605, 345), confidence: 0.2, block: 1, line: 0, wordIndex: 99))
        p.put("12", 720, 320)
        #expect(try Self.run(p).str("place_of_service") == "12")
    }

    @Test func aLabelWordInsideAValueStaysInTheValue() throws {
        var p = PageBuilder()
        p.put("Superbill", 100, 100); p.put("Patient: DOE, JO", 100, 200); p.put("Date of Service: 01/02/2026", 100, 260)
        p.put("Facility: Harbor Point Location", 100, 320); p.put("POS: 31", 1300, 320)
        p.put("Provider: Dr. Ann Site", 100, 380)
        let r = try Self.run(p)
        #expect(r.str("facility") == "Harbor Point Location")
        #expect(r.str("place_of_service") == "31")
        #expect(r.str("rendering_provider") == "Dr. Ann Site")
    }

    struct ListRereader: FieldRereader {
        func reread(documentId: Int64, page: Int, box: Box, type: FieldType) -> (text: String, confidence: Double)? {
            type == .icd10List ? ("I10, E11.9, Z79.4", 0.9) : nil
        }
    }

    @Test func secondLookRereadsAListAcrossItsSpan() throws {
        var p = ExtractLayoutTests.superbill()
        // OCR lost E11.9; line 1 points at C, so the list is doubted and read again.
        p.words.removeAll { $0.text == "E11.9," }
        p.put("Dx Ptr", 1900, 600); p.put("ABC", 1900, 660); p.put("A", 1900, 720); p.put("A", 1900, 780)
        let templates = try ExtractFixtures.templates()
        let before = Extractor(templates: templates, today: ExtractFixtures.today).extract(documentId: 1, pages: [p.page]).records[0]
        #expect(before.field("diagnosis_codes")?.value == .list(["I10", "Z79.4"]))
        #expect(before.field("diagnosis_codes")?.status == .needsReview)
        let after = Extractor(templates: templates, rereader: ListRereader(), today: ExtractFixtures.today)
            .extract(documentId: 1, pages: [p.page]).records[0]
        #expect(after.field("diagnosis_codes")?.value == .list(["I10", "E11.9", "Z79.4"]))
        #expect(after.field("diagnosis_codes")?.status == .ok)
    }

    struct NameRereader: FieldRereader {
        let text: String
        func reread(documentId: Int64, page: Int, box: Box, type: FieldType) -> (text: String, confidence: Double)? {
            type == .name && box.y0 == 200 ? (text, 0.9) : nil
        }
    }

    @Test(arguments: [("RIVERA, ANA", ParseOutcome.Status.ok), ("RIVERA , ANA", .ok), ("RIVERO, ANA", .needsReview)])
    func aSecondReadingThatDisagreesSendsAConfidentValueToReview(reread: String, status: ParseOutcome.Status) throws {
        let ex = Extractor(templates: try ExtractFixtures.templates(), rereader: NameRereader(text: reread), today: ExtractFixtures.today)
        let out = ex.extract(documentId: 1, pages: [ExtractLayoutTests.superbill().page])
        let name = try #require(out.records[0].field("patient_name"))
        #expect(name.value == .string("RIVERA, ANA"))
        #expect(name.status == status)
        #expect(out.secondLook.verified >= 1)
        #expect(out.secondLook.disagreed == (status == .ok ? 0 : 1))
    }

    /// Re-reads only the cell whose box covers `y`, as `text`.
    struct RowRereader: FieldRereader {
        let y: Int
        let text: String
        func reread(documentId: Int64, page: Int, box: Box, type: FieldType) -> (text: String, confidence: Double)? {
            box.y0 <= y && y <= box.y1 && type == .money ? (text, 0.9) : nil
        }
    }

    @Test func linesThatAddUpToLessThanTheTotalSendEveryLineValueToReview() throws {
        // The first line was not read at all (a degraded scan): 150.00 + 175.00 = 325.00 of 537.40.
        var p = ExtractLayoutTests.superbill()
        p.words.removeAll { $0.box.y0 >= 650 && $0.box.y0 < 700 }
        let r = try Self.run(p)
        #expect(r.lines.count == 2)
        #expect(r.field("total_charge")?.status == .needsReview)
        let values = r.lines.flatMap { $0 }.filter { $0.value != nil }
        #expect(values.count >= 6)
        #expect(values.allSatisfy { $0.status == .needsReview }, "\(values.filter { $0.status != .needsReview }.map(\.name))")
        #expect(r.cell(0, "code")?.problem == "the lines add up to 325.00, less than the total 537.40: a line may be missing")
        // Lines that add up to more than the total: one charge is wrong, the other values stay.
        let over = try Self.run(ExtractLayoutTests.superbill(total: "$437.40"))
        #expect(over.field("total_charge")?.status == .needsReview)
        #expect(over.lines.allSatisfy { $0.first { $0.name == "charge" }?.status == .needsReview })
        #expect(over.cell(0, "code")?.status == .ok)
    }

    @Test func secondLookRereadsTheCellsOfATotalThatDoesNotAddUp() throws {
        var p = ExtractLayoutTests.superbill()
        // OCR lost the hundreds of the first charge: 2.40 instead of 212.40; the total says 537.40.
        if let i = p.words.firstIndex(where: { $0.text == "212.40" }) { p.words[i].text = "2.40" }
        let templates = try ExtractFixtures.templates()
        let without = Extractor(templates: templates, today: ExtractFixtures.today).extract(documentId: 1, pages: [p.page])
        #expect(without.records[0].field("total_charge")?.status == .needsReview)
        let ex = Extractor(templates: templates, rereader: RowRereader(y: 670, text: "212.40"), today: ExtractFixtures.today)
        let out = ex.extract(documentId: 1, pages: [p.page])
        let r = out.records[0]
        #expect(r.cell(0, "charge")?.value == .string("212.40"))
        #expect(r.cell(0, "charge")?.secondLook == "212.40")
        #expect(r.field("total_charge")?.status == .ok)
        #expect(r.lines.allSatisfy { $0.first { $0.name == "charge" }?.status == .ok })
        #expect(out.secondLook.changed == 1)
        #expect(out.secondLook.resolved == 1)
    }
}

/// Issue 13: a look-alike repair is a guess on top of the reading; on a doubtful reading the
/// value is offered for review, never kept as `repaired` (held-out CMS-1500 forms: a 24A date
/// `10 1 268` repaired at confidence 0.35 stood as 2026-10-01 instead of 2026-11-01).
@Suite("Repairs on doubtful readings") struct RepairConfidenceTests {
    @Test("a repaired value keeps its status only when the reading is confident", arguments: [
        ("06/12/2O26", FieldType.date, "2026-06-12"),
        ("J33O1", FieldType.code, "J3301"),
    ])
    func repairNeedsConfidence(text: String, type: FieldType, value: String) throws {
        let sure = try #require(ExtractFixtures.readAlone(text, confidence: 0.95, name: "v", type: type))
        #expect(sure.value == .string(value))
        #expect(sure.status == .repaired, "\(sure.problem ?? "")")
        let doubtful = try #require(ExtractFixtures.readAlone(text, confidence: 0.35, name: "v", type: type))
        #expect(doubtful.value == .string(value))
        #expect(doubtful.status == .needsReview)
        #expect(doubtful.problem?.contains("look-alike repaired") == true && doubtful.problem?.contains("low OCR confidence") == true,
                "\(doubtful.problem ?? "")")
    }
}
