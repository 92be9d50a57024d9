import Foundation
import Testing
@testable import DocRecon

/// Values read cleanly from the wrong place (a birth date beside a misread label, a row lost to
/// a ruling, a default in a row OCR could hardly read) must go to review, not pass as `ok`.
@Suite struct ExtractStructuralTests {
    static let today = ExtractFixtures.today // 2026-11-23

    static func d(_ s: String) -> CalendarDate { CalendarDate(iso: s)! }

    @Test(arguments: [
        // (date, birth?, flagged?)
        ("2026-04-21", false, false),
        ("2023-12-01", false, false), // within three years
        ("2023-11-01", false, true),
        ("1932-07-04", false, true), // a birth date taken for a date of service
        ("1932-07-04", true, false),
        ("1899-12-31", true, true),
    ])
    func datePlausibility(iso: String, birth: Bool, flagged: Bool) {
        #expect((Plausibility.date(Self.d(iso), birth: birth, today: Self.today) != nil) == flagged)
    }

    static func sheet(dobLabel: String = "DOB", dob: String = "03/04/1951", dos: String = "11/02/2026") -> PageBuilder {
        var p = PageBuilder()
        p.put("CHARGE TICKET", 100, 100)
        p.put("Patient", 100, 200); p.put("ADEYEMI, OSCAR", 500, 200); p.put(dobLabel, 1300, 200); p.put(dob, 1700, 200)
        p.put("Acct No.", 100, 260); p.put("95075987", 500, 260); p.put("Service Date", 1300, 260); p.put(dos, 1700, 260)
        p.put("Provider", 100, 320); p.put("Dr. Lee Park", 500, 320); p.put("NPI", 1300, 320); p.put("1234567893", 1700, 320)
        p.put("Code", 100, 600); p.put("Units", 1300, 600); p.put("Charge", 1600, 600)
        p.put("99213", 100, 660); p.put("1", 1320, 660); p.put("150.00", 1600, 660)
        p.put("Total Charge", 1200, 900); p.put("150.00", 1600, 900)
        return p
    }

    static func run(_ p: PageBuilder) throws -> ExtractedRecord {
        TemplateEngine.extract(page: p.page, template: try ExtractFixtures.template("charge-sheet"), today: Self.today)
    }

    @Test func aBirthDateBesideAMisreadDOSLabelIsNotTheDateOfService() throws {
        // `DOB` read as `Dos`: the exact `DOS` label comes first in reading order, but a date of
        // service in 1932 cannot be one, so the finder goes on to `Service Date`.
        let r = try Self.run(Self.sheet(dobLabel: "Dos", dob: "07/04/1932", dos: "04/21/2026"))
        #expect(r.str("date_of_service") == "2026-04-21")
        #expect(r.field("date_of_service")?.status == .ok)
    }

    static func record(dob: String?, dos: String?, lineDates: [String?] = []) -> ExtractedRecord {
        func v(_ name: String, _ iso: String?) -> ExtractedValue {
            ExtractedValue(name: name, type: .date, value: iso.map { .string($0) }, raw: iso ?? "", box: nil, page: 1,
                           confidence: 0.95, status: iso == nil ? .needsReview : .ok, rule: "t")
        }
        return ExtractedRecord(pages: [1], fields: [v("patient_dob", dob), v("date_of_service", dos)],
                               lines: lineDates.map { [v("date_of_service", $0)] })
    }

    @Test(arguments: [
        // (dob, dos, both flagged?)
        ("1951-03-04", "2026-11-02", false),
        ("2026-11-02", "2026-11-02", true), // the same date read twice: one of them is the other's
        ("1990-05-06", "1985-01-01", true), // born after the visit
    ])
    func birthOnOrAfterServiceSendsBothDatesToReview(dob: String, dos: String, flagged: Bool) {
        var r = Self.record(dob: dob, dos: dos)
        Checks.apply(&r, reviewConfidence: 0.55, today: Self.today)
        #expect((r.field("patient_dob")?.status == .needsReview) == flagged)
        #expect((r.field("date_of_service")?.status == .needsReview) == flagged)
    }

    @Test(arguments: [
        // (line date, flagged?)
        ("2026-11-02", false),
        ("1951-03-04", true), // the birth date in a line's date cell
        ("1950-01-01", true),
    ])
    func aLineDatedOnOrBeforeTheBirthDateGoesToReview(line: String, flagged: Bool) {
        var r = Self.record(dob: "1951-03-04", dos: "2026-11-02", lineDates: [line])
        Checks.apply(&r, reviewConfidence: 0.55, today: Self.today)
        #expect((r.lines[0][0].status == .needsReview) == flagged)
    }

    @Test(arguments: ["-|", "—", "-", "|", "_|"])
    func aRulingBeforeTheCodeKeepsTheRow(mark: String) throws {
        var p = ExtractLayoutTests.superbill()
        p.put(mark, 50, 660) // inside the code column, left of 99309
        let r = try ExtractLayoutTests.run(p, "charge-sheet")
        #expect(r.lines.count == 3)
        #expect(r.cell(0, "code")?.value == .string("99309"))
        #expect(r.cell(1, "code")?.value == .string("99213"))
    }

    @Test(arguments: [
        // (garbled code, keep the charge?, rows, row 1's code)
        ("jl1l00.ti«", true, 3, nil as String?), // a row with a charge stays, its code to review
        ("jl1l00.ti«", false, 2, "G0439"), // nothing but noise: no row
        ("99213", true, 3, "99213"),
    ])
    func aGarbledCodeInARowWithAChargeKeepsTheRow(code: String, keepCharge: Bool, rows: Int, second: String?) throws {
        var p = ExtractLayoutTests.superbill(total: keepCharge ? "$537.40" : "$387.40")
        if let i = p.words.firstIndex(where: { $0.text == "99213" }) { p.words[i].text = code }
        if !keepCharge { p.words.removeAll { $0.text == "$150.00" } }
        let r = try ExtractLayoutTests.run(p, "charge-sheet")
        #expect(r.lines.count == rows)
        #expect(r.cell(1, "code")?.value?.description == second)
        if rows == 3 {
            #expect(r.cell(2, "code")?.value == .string("G0439")) // the rows after it keep their places
            if second == nil { #expect(r.cell(1, "code")?.status == .needsReview) }
        }
    }

    @Test(arguments: [(0.95, ParseOutcome.Status.ok), (0.30, .needsReview)])
    func anEmptyCellIsBelievedOnlyInAWellReadRow(codeConfidence: Double, status: ParseOutcome.Status) throws {
        var p = ExtractLayoutTests.superbill()
        if let i = p.words.firstIndex(where: { $0.text == "G0439" }) { p.words[i].confidence = codeConfidence }
        let r = try ExtractLayoutTests.run(p, "charge-sheet")
        #expect(r.cell(2, "units")?.value == .int(1))
        #expect(r.cell(2, "units")?.status == status)
        #expect(r.cell(2, "modifiers")?.value == .list([]))
        #expect(r.cell(2, "modifiers")?.status == status)
    }

    static func row(_ dos: String?) -> [ExtractedValue] {
        [ExtractedValue(name: "date_of_service", type: .date, value: dos.map { .string($0) }, raw: dos ?? "", box: nil, page: 1,
                        confidence: 0.9, status: dos == nil ? .needsReview : .ok, rule: "t")]
    }

    @Test(arguments: [
        // (line dates, record value, status)
        ([Optional("2026-07-10"), "2026-07-07"], Optional("2026-07-10"), ParseOutcome.Status.ok), // the first line's
        ([nil, "2026-07-07", "2026-07-10"], "2026-07-07", .needsReview), // first unread, the others differ
        ([nil, "2026-07-10", "2026-07-10"], "2026-07-10", .ok), // first unread, the others agree
        ([nil], nil, .ok),
    ])
    func aRecordValueFromTheLines(dates: [String?], value: String?, status: ParseOutcome.Status) {
        let v = PageContext.fromLines(dates.map(Self.row), column: "date_of_service")
        #expect(v?.value?.description == value)
        if value != nil { #expect(v?.status == status) }
    }

    @Test(arguments: [
        // (word, a label hit?)
        ("Ml", true), ("MI", true), ("M1", true), ("Modl", true), ("Me", false), ("Mx", false),
    ])
    func labelsWithDigitsMatchTheirLookAlikes(text: String, hit: Bool) {
        var index = LabelIndex()
        index.add("M1", owner: "col:modifiers")
        index.add("Mod 1", owner: "col:modifiers")
        var p = PageBuilder()
        p.put(text, 100, 100)
        let hits = index.find(in: PageGeometry.lines(p.words))
        #expect(hits.contains { $0.owners.contains("col:modifiers") } == hit)
    }

    @Test func aModifierUnderAMisreadM1HeaderIsRead() throws {
        var p = Self.sheet()
        p.put("Ml", 700, 600); p.put("GA", 700, 660)
        let r = try Self.run(p)
        #expect(r.cell(0, "modifiers")?.value == .list(["GA"]))
    }

    @Test(arguments: [
        ("KEMP; IRENE", "KEMP, IRENE", ParseOutcome.Status.repaired),
        ("KEMP;IRENE", "KEMP, IRENE", .repaired),
        ("KEMP, IRENE", "KEMP, IRENE", .ok),
    ])
    func aSemicolonInANameIsAComma(raw: String, value: String, status: ParseOutcome.Status) throws {
        let v = try #require(ExtractFixtures.readAlone(raw, name: "patient_name", type: .name))
        #expect(v.value == .string(value))
        #expect(v.status == status)
    }

    /// Reads every money crop as `text` with `confidence`.
    struct MoneyRereader: FieldRereader {
        let text: String
        let confidence: Double
        func reread(documentId: Int64, page: Int, box: Box, type: FieldType) -> (text: String, confidence: Double)? {
            type == .money && box.y0 <= 790 && box.y1 >= 780 ? (text, confidence) : nil
        }
    }

    @Test(arguments: [(0.92, ParseOutcome.Status.ok), (0.60, .needsReview)])
    func aValueOnlyTheSecondLookReadIsOkOnlyWhenReadConfidently(confidence: Double, status: ParseOutcome.Status) throws {
        var p = ExtractLayoutTests.superbill()
        p.words.removeAll { $0.text == "175.00" } // OCR lost the third line's charge
        let ex = Extractor(templates: try ExtractFixtures.templates(), rereader: MoneyRereader(text: "175.00", confidence: confidence),
                           today: Self.today)
        let r = ex.extract(documentId: 1, pages: [p.page]).records[0]
        #expect(r.cell(2, "charge")?.value == .string("175.00"))
        #expect(r.cell(2, "charge")?.status == status)
    }

    static let fallbackTemplate = """
    name: fallback
    doc_type: charge_sheet
    select:
      any: [claim]
    fields:
      provider_npi:
        type: npi
        find:
          - {region: [0.0, 0.05, 1.0, 0.2], review: true}
    """

    struct NPIRereader: FieldRereader {
        func reread(documentId: Int64, page: Int, box: Box, type: FieldType) -> (text: String, confidence: Double)? {
            type == .npi ? ("1234567893", 0.97) : nil
        }
    }

    @Test(arguments: [true, false])
    func aValueFoundByAFallbackRuleStaysInReviewAfterTheSecondLook(withRereader: Bool) throws {
        let t = try TemplateLoader.parse(Self.fallbackTemplate, file: "fallback.yaml")
        var p = PageBuilder()
        p.put("claim", 100, 100); p.put("1234567893", 100, 300, confidence: 0.4)
        let ex = Extractor(templates: [t], rereader: withRereader ? NPIRereader() : nil, today: Self.today)
        let out = ex.extract(documentId: 1, pages: [p.page])
        let v = try #require(out.records.first?.field("provider_npi"))
        #expect(v.value == .string("1234567893"))
        #expect(v.status == .needsReview)
        if withRereader { #expect(v.secondLook == "1234567893") }
    }
}

@Suite struct ExtractAmbiguityTests {
    @Test(arguments: [
        // (code, its look-alike that is a code too)
        ("33420", Optional("J3420")), ("J3420", "33420"), ("60438", "G0438"), ("G0438", "60438"),
        ("99213", nil), ("A0425", nil), ("E0431", nil),
    ])
    func codesWithALookAlikeReading(code: String, other: String?) {
        #expect(Plausibility.lookAlikeCode(code) == other)
    }

    @Test(arguments: [
        // (code as read, confidence, status)
        ("33420", 0.64, ParseOutcome.Status.needsReview), // `J3420`?
        ("33420", 0.93, .ok),
        ("99213", 0.64, .ok), // no other reading is a code
    ])
    func anUnsureCodeWithALookAlikeGoesToReview(code: String, confidence: Double, status: ParseOutcome.Status) throws {
        let v = try #require(ExtractFixtures.readAlone(code, confidence: confidence, name: "code", type: .code))
        #expect(v.value == .string(code))
        #expect(v.status == status)
    }

    /// Reads the modifier cell of the row at y 780 as `text`.
    struct EmptyCellRereader: FieldRereader {
        let text: String
        let confidence: Double
        func reread(documentId: Int64, page: Int, box: Box, type: FieldType) -> (text: String, confidence: Double)? {
            type == .modifierList && box.y0 <= 790 && box.y1 >= 780 ? (text, confidence) : nil
        }
    }

    @Test(arguments: [
        // (second reading of the empty cell, confidence, value, status)
        ("XS", 0.9, ["XS"], ParseOutcome.Status.needsReview), // OCR lost a modifier: read, to review
        ("XS", 0.3, [], .ok), // too unsure to doubt the empty cell
        ("Q!", 0.9, [], .ok), // a ruling read as marks is no modifier
    ])
    func anEmptyModifierCellIsReadAgain(text: String, confidence: Double, value: [String], status: ParseOutcome.Status) throws {
        let ex = Extractor(templates: try ExtractFixtures.templates(), rereader: EmptyCellRereader(text: text, confidence: confidence),
                           today: ExtractFixtures.today)
        let r = ex.extract(documentId: 1, pages: [ExtractLayoutTests.superbill().page]).records[0]
        #expect(r.cell(2, "modifiers")?.value == .list(value))
        #expect(r.cell(2, "modifiers")?.status == status)
    }
}

@Suite struct ExtractDollarSTests {
    @Test(arguments: [
        // (list as OCR read it, codes, status)
        ("1. N39.0 2. R53.81 3. E11.65 4. $72.001A", ["N39.0", "R53.81", "E11.65", "S72.001A"], ParseOutcome.Status.repaired),
        ("N39.0, $72.001A", ["N39.0", "S72.001A"], .repaired),
        ("1. N39.0 2. R53.81 3. E11.65", ["N39.0", "R53.81", "E11.65"], .ok),
        ("N39.0 $7", ["N39.0"], .ok), // too short to be a code
    ])
    func aDollarSignBeforeADiagnosisIsAnS(text: String, codes: [String], status: ParseOutcome.Status) throws {
        let v = try #require(ExtractFixtures.readAlone(text, name: "diagnosis_codes", type: .icd10List))
        #expect(v.value == .list(codes))
        #expect(v.status == status)
    }
}

@Suite struct ExtractNameAndPointerTests {
    @Test(arguments: [
        ("BAPTISTE, DESMOND _1870282054", "BAPTISTE, DESMOND"),
        ("Dr. Jonah Osei 1405572656", "Dr. Jonah Osei"),
        ("Elena Okonkwo, PA-C", "Elena Okonkwo, PA-C"),
        ("Pat Lee III", "Pat Lee III"),
    ])
    func aNameStopsAtARunOfDigits(raw: String, value: String) throws {
        let v = try #require(ExtractFixtures.readAlone(raw, name: "rendering_provider", type: .name))
        #expect(v.value == .string(value))
    }

    @Test(arguments: [("AB", Optional("AB")), ("CC", nil), ("ABA", nil), ("1", "1"), ("11", nil), ("ABCD", "ABCD")])
    func aPointerNamesEachDiagnosisOnce(raw: String, value: String?) {
        #expect(FieldValues.normalizePointer(raw) == value)
    }
}

@Suite struct ExtractDoubtfulColumnTests {
    @Test(arguments: [(true, ParseOutcome.Status.needsReview), (false, .ok)])
    func aColumnLabelTwiceInTheHeaderPutsItsCellsInReview(listColumn: Bool, status: ParseOutcome.Status) throws {
        var p = PageBuilder()
        p.put("CHARGE TICKET", 100, 100)
        p.put("Patient:", 100, 200); p.put("ADEYEMI, OSCAR", 500, 200)
        p.put("Provider:", 100, 260); p.put("Dr. Lee Park", 500, 260); p.put("NPI:", 1300, 260); p.put("1234567893", 1700, 260)
        if listColumn { p.put("Dx", 100, 600); p.put("A", 100, 660); p.put("I10", 150, 660) }
        p.put("CPT", 400, 600); p.put("Mod", 800, 600); p.put("Dx", 1100, 600); p.put("Units", 1300, 600); p.put("Charge", 1600, 600)
        p.put("99213", 400, 660); p.put("A", 1100, 660); p.put("1", 1320, 660); p.put("150.00", 1600, 660)
        p.put("Total:", 1300, 900); p.put("150.00", 1600, 900)
        let r = try ExtractStructuralTests.run(p)
        #expect(r.lines.count == 1)
        #expect(r.cell(0, "code")?.value == .string("99213"))
        #expect(r.cell(0, "dx_pointer")?.status == status)
    }
}
