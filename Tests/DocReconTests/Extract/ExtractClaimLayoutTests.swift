import Foundation
import Testing
@testable import DocRecon

/// Issue 13, item 4: layouts nobody configured. A claim-style form (box-numbered labels, the
/// value below, a service table found by its headers, split cents) read by the generic
/// template; labels never taken as values; template choice that tries the candidates and keeps
/// the reading that validates best, and says why.
@Suite struct ExtractClaimLayoutTests {
    /// A practice's own claim form: not the 1500's boxes, the 1500's words. Cells of two or three
    /// to a row, label above value; distractors a claim carries; a table with its columns in an
    /// order of its own, amounts right-aligned, dollars and cents split.
    static func claimPage(title: String = "HEALTH INSURANCE CLAIM FORM") -> PageBuilder {
        var p = PageBuilder()
        p.put(title, 700, 100)
        p.put("1a. INSURED'S I.D. NUMBER", 100, 200); p.put("2. PATIENT'S NAME (Last Name, First Name)", 1000, 200)
        p.put("3M60K37C58", 110, 240); p.put("ROMERO, ROBERT", 1010, 240)
        p.put("3. PATIENT'S BIRTH DATE", 100, 320); p.put("4. INSURED'S NAME", 800, 320); p.put("26. PATIENT'S ACCOUNT NO.", 1600, 320)
        p.put("12 14 1961", 110, 360); p.put("SAME", 810, 360); p.put("960919", 1610, 360)
        p.put("32. SERVICE FACILITY LOCATION INFORMATION", 100, 440); p.put("31. SIGNATURE OF PHYSICIAN OR SUPPLIER", 1300, 440)
        p.put("SUMMIT RIDGE REHABILITATION", 110, 480); p.put("TOMAS BAPTISTE DO", 1310, 480)
        p.put("5273 OAK BLVD SPRINGFIELD IL", 110, 520)
        p.put("25. FEDERAL TAX I.D. NUMBER", 100, 600); p.put("33a. NPI", 900, 600); p.put("24J. RENDERING PROVIDER NPI", 1500, 600)
        p.put("58-1381230", 110, 640); p.put("1320150950", 910, 640); p.put("1659323533", 1510, 640)
        p.put("21. DIAGNOSIS OR NATURE OF ILLNESS OR INJURY", 100, 720)
        p.put("A. S72.001A", 110, 760); p.put("B. E11.65", 700, 760)
        // The table: headers left in their columns, numbers flush right, cents in a column of their own.
        p.put("24A. DATE(S) OF SERVICE", 100, 860); p.put("B. POS", 560, 860); p.put("D. CPT/HCPCS", 760, 860)
        p.put("E. DIAGNOSIS POINTER", 1050, 860); p.put("G. DAYS OR UNITS", 1480, 860); p.put("F. $ CHARGES", 1840, 860)
        p.put("09/10/26", 110, 920); p.put("21", 570, 920); p.put("99223", 770, 920); p.put("AB", 1060, 920)
        p.put("1", 1800, 920); p.put("306", 2000, 920); p.put("85", 2070, 920)
        p.put("09/10/26", 110, 980); p.put("21", 570, 980); p.put("96372", 770, 980); p.put("A", 1060, 980)
        p.put("2", 1800, 980); p.put("23", 2036, 980); p.put("15", 2070, 980)
        p.put("28. TOTAL CHARGE", 1800, 1100)
        p.put("330", 1990, 1140); p.put("00", 2060, 1140)
        return p
    }

    @Test func claimStyleFormReadByTheGenericTemplate() throws {
        let r = try ExtractLayoutTests.run(Self.claimPage(), "charge-sheet")
        #expect(r.str("patient_name") == "ROMERO, ROBERT")
        #expect(r.str("patient_dob") == "1961-12-14")
        #expect(r.str("account_number") == "960919")
        #expect(r.str("facility") == "SUMMIT RIDGE REHABILITATION")
        #expect(r.str("rendering_provider") == "TOMAS BAPTISTE DO")
        // 24J's rendering NPI, not 33a's billing NPI.
        #expect(r.str("provider_npi") == "1659323533")
        #expect(r.str("place_of_service") == "21")
        #expect(r.str("date_of_service") == "2026-09-10")
        #expect(r.field("diagnosis_codes")?.value == .list(["S72.001A", "E11.65"]))
        #expect(r.str("total_charge") == "330.00")
        #expect(r.lines.count == 2)
        #expect(r.cell(0, "code")?.value == .string("99223"))
        #expect(r.cell(0, "charge")?.value == .string("306.85"))
        #expect(r.cell(0, "units")?.value == .int(1))
        #expect(r.cell(0, "dx_pointer")?.value == .string("AB"))
        #expect(r.cell(1, "charge")?.value == .string("23.15"))
        #expect(r.cell(1, "units")?.value == .int(2))
        #expect(r.cell(1, "date_of_service")?.value == .string("2026-09-10"))
        #expect(r.fields.allSatisfy { $0.status == .ok }, "\(r.fields.filter { $0.status != .ok }.map { "\($0.name): \($0.raw) \($0.problem ?? "")" })")
    }

    /// A box number before a label is part of the label; so is a parenthesis after it, and a
    /// number glued to its label (`3.DOB`).
    @Test(arguments: [("2.", true), ("24A.", true), ("33a.", true), ("D.", true), ("la.", true), ("1a,", true),
                      ("123.", false), ("AB.", false), ("2", false), ("Dr.", false)])
    func boxNumbers(_ text: String, _ expected: Bool) {
        #expect(LabelIndex.isBoxNumber(text) == expected)
    }

    @Test func gluedBoxNumberAndLabel() {
        #expect(LabelIndex.afterGluedBoxNumber("3.DOB") == "DOB")
        #expect(LabelIndex.afterGluedBoxNumber("26.PATIENT'S") == "PATIENT'S")
        #expect(LabelIndex.afterGluedBoxNumber("Dr.Smith") == nil)
        #expect(LabelIndex.afterGluedBoxNumber("12.50") == nil)
    }

    /// Label texts under a field's own label: none of them is ever the field's value (the
    /// field is not found, rather than read from another box's label).
    @Test(arguments: [
        ("2. PATIENT'S NAME", "patient_name", "4. INSURED'S NAME (Last Name, First Name)"),
        ("2. PATIENT'S NAME (Last Name, First Name, Middle Initial)", "patient_name", "5. PATIENT'S ADDRESS (No., Street)"),
        ("31. SIGNATURE OF PHYSICIAN OR SUPPLIER", "rendering_provider", "33. BILLING PROVIDER INFO & PH #"),
        ("32. SERVICE FACILITY LOCATION INFORMATION", "facility", "25. FEDERAL TAX I.D. NUMBER"),
        ("26. PATIENT'S ACCOUNT NO.", "account_number", "1a. INSURED'S I.D. NUMBER"),
        ("24J. RENDERING PROVIDER NPI", "provider_npi", "33a. NPI"),
        ("RENDERING PHYSICIAN", "rendering_provider", "PHYSICIAN CLAIM FORM"),
    ])
    func aLabelIsNeverAValue(_ label: String, _ field: String, _ other: String) throws {
        var p = PageBuilder()
        p.put("CLAIM", 100, 100)
        p.put(label, 100, 300)
        p.put(other, 100, 340)
        p.put(other, 1300, 300)
        let r = try ExtractLayoutTests.run(p, "charge-sheet")
        let v = try #require(r.field(field))
        let words = Set(other.split(separator: " ").map { ValueReader.cleanToken(String($0)).lowercased() })
        let taken = (v.value?.description ?? "").split(separator: " ").map { ValueReader.cleanToken(String($0)).lowercased() }
        #expect(v.value == nil || !taken.contains(where: words.contains), "\(field) read '\(v.raw)' from a label")
        #expect(v.status == .needsReview)
    }

    @Test func splitDollarsAndCents() {
        #expect(ExtractFixtures.readAlone("306 85", name: "charge", type: .money)?.value == .string("306.85"))
        #expect(ExtractFixtures.readAlone("$ 1,397 36", name: "charge", type: .money)?.value == .string("1397.36"))
        #expect(ExtractFixtures.readAlone("150.00", name: "charge", type: .money)?.value == .string("150.00"))
        // Not cents: three digits, or a decimal point already there.
        #expect(ExtractFixtures.readAlone("2 150", name: "charge", type: .money)?.value == .string("2.00"))
        #expect(ExtractFixtures.readAlone("12.50 25", name: "charge", type: .money)?.value == .string("12.50"))
    }

    @Test func aDateWhoseSpaceWasLost() {
        let v = ExtractFixtures.readAlone("11 022026", name: "date_of_service", type: .date)
        #expect(v?.value == .string("2026-11-02"))
        #expect(v?.status == .repaired)
    }

    @Test func aSpeckReadAsAPeriodAfterAWholeWord() {
        #expect(ExtractFixtures.readAlone("RIVERSIDE SKILLED. NURSING", name: "facility", type: .text)?.value == .string("RIVERSIDE SKILLED NURSING"))
        #expect(ExtractFixtures.readAlone("Summit Ridge Home Health.", name: "facility", type: .text)?.value == .string("Summit Ridge Home Health"))
        #expect(ExtractFixtures.readAlone("Maple Medical Assoc.", name: "facility", type: .text)?.value == .string("Maple Medical Assoc."))
        #expect(ExtractFixtures.readAlone("St. Mary Rehab.", name: "facility", type: .text)?.value == .string("St. Mary Rehab."))
    }

    // MARK: template choice

    static func registration(accepted: Bool, inliers: Double) -> PageForm {
        let identity = FormMapping(frameDPI: FormReference.frameDPI, homography: .identity,
                                   grid: .zero(columns: 1, rows: 1, width: 850, height: 1100))
        return PageForm(template: "cms1500", result: RegistrationResult(mapping: identity, residual: accepted ? 1.2 : 9,
                                                                        inliers: inliers, skew: 0, accepted: accepted))
    }

    /// The claim page has the 1500's words (its select keywords) but is not the 1500: cms1500
    /// applies by keywords and scores higher, its registration fails, and its label anchors
    /// read everything for review; the generic template reads it surely and is kept.
    @Test func aFormTemplateThatDidNotRegisterLosesToOneThatReads() throws {
        let templates = try ExtractFixtures.templates()
        var page = Self.claimPage().page
        let cands = TemplateEngine.candidates(templates, page: page)
        #expect(cands.map(\.template.name) == ["cms1500", "charge-sheet"])
        page.form = Self.registration(accepted: false, inliers: 0.2)
        let (choice, reason, _) = try #require(TemplateEngine.choose(templates, page: page, today: ExtractFixtures.today))
        #expect(choice.template.name == "charge-sheet")
        #expect(reason.contains("cms1500") && reason.contains("did not register") && reason.contains("charge-sheet"))
        // Through the extractor: the record says which template read it and why.
        let (_, records, _) = Extractor(templates: templates, today: ExtractFixtures.today).extract(documentId: 1, pages: [page])
        #expect(records.first?.template == "charge-sheet")
        #expect(records.first?.choice == reason)
        #expect(records.first?.str("patient_name") == "ROMERO, ROBERT")
    }

    @Test func onlyOneTemplateAppliesAndSaysSo() throws {
        let templates = try ExtractFixtures.templates()
        let (choice, reason, _) = try #require(TemplateEngine.choose(templates, page: ExtractLayoutTests.superbill().page, today: ExtractFixtures.today))
        #expect(choice.template.name == "charge-sheet")
        #expect(reason.hasPrefix("the only template"))
    }

    @Test func aRegisteredPageIsItsForm() throws {
        let templates = try ExtractFixtures.templates()
        var page = Self.claimPage().page
        page.form = Self.registration(accepted: true, inliers: 0.9)
        let (choice, reason, _) = try #require(TemplateEngine.choose(templates, page: page, today: ExtractFixtures.today))
        #expect(choice.template.name == "cms1500")
        #expect(reason.hasPrefix("registered against its form (90% of its rulings on ink"))
    }

    /// `fields` says which template read each record and why; the reason is stored with the
    /// extraction (a re-extraction replaces it) and carries no patient value.
    @Test func fieldsShowsWhyItsTemplate() throws {
        let db = try AppDatabase.inMemory()
        let id = try ExtractStoreTests.store(Self.claimPage(), name: "claim.pdf", in: db)
        _ = try Extractor(templates: try ExtractFixtures.templates(), today: ExtractFixtures.today).extract(documentId: id, in: db)
        let doc = try #require(try db.read { try Document.fetchOne($0, key: id) })
        let report = try FieldsReport.load(db, document: doc)
        #expect(report.records.first?.template == "charge-sheet")
        let why = try #require(report.records.first?.templateReason)
        #expect(why.contains("validated best of 2 templates") && why.contains("cms1500") && why.contains("(not registered)"))
        #expect(!why.contains("ROMERO"))
        #expect(report.table().contains("record 1: template charge-sheet: validated best of 2 templates"))
        let json = String(decoding: try JSONEncoder().encode(report), as: UTF8.self)
        #expect(json.contains("\"templateReason\""))
        // A second extraction replaces it (one row per record).
        _ = try Extractor(templates: try ExtractFixtures.templates(), today: ExtractFixtures.today).extract(documentId: id, in: db)
        #expect(try db.read { try Int.fetchOne($0, sql: "SELECT COUNT(*) FROM record_templates WHERE document_id = ?", arguments: [id]) } == 1)
    }

    // MARK: the generator's claim-form layout, end to end

    /// A born-digital claim-form from the randomiser, through the real pipeline (its text
    /// layer): every value equals its truth, none wrong but `ok`.
    @Test(arguments: [UInt64(5), 17, 29])
    func generatedClaimFormEndToEnd(seed: UInt64) throws {
        let dir = try TestSupport.tempDir("claim")
        let pdf = dir.appendingPathComponent("born-digital-claim-form.pdf")
        _ = try SampleGenerator.writePDF([.random(seed: seed, layout: .claimForm)], variant: .bornDigital, to: pdf, seed: seed)
        let db = try AppDatabase.open(path: dir.appendingPathComponent("t.sqlite").path)
        let report = try ExtractFixtures.readThrough(pdf.path, db: db, secondLook: false).report
        #expect(report.overall.total >= 10)
        #expect(report.misses.isEmpty, "\(report.misses.map { "\($0.field): expected \($0.expected ?? "-") got \($0.got ?? "-")" })")
        #expect(report.wrongOk == 0)
    }

    /// `docrecon eval` over generated sets in folders of their own, whose files have the same
    /// names: each file is compared with its own truth (it was matched by name, so every file
    /// but one was compared with another record's truth: 41% exact where each set alone is 98%).
    @Test func evalOfFoldersWithTheSameFileNames() throws {
        let dir = try TestSupport.tempDir("eval-names")
        for seed in [UInt64(11), 12] {
            let sub = dir.appendingPathComponent("seed-\(seed)")
            try FileManager.default.createDirectory(at: sub, withIntermediateDirectories: true)
            _ = try SampleGenerator.writePDF([.random(seed: seed, layout: .superbill)], variant: .bornDigital,
                                             to: sub.appendingPathComponent("born-digital-01-superbill.pdf"), seed: seed)
        }
        let r = try TestSupport.run(["--db", dir.appendingPathComponent("e.sqlite").path, "eval", dir.path, "--json"],
                                    env: ["DOCRECON_TODAY": "2026-11-23"])
        #expect(r.status == 0, "\(r.stderr)")
        let json = try #require(try JSONSerialization.jsonObject(with: Data(r.stdout.utf8)) as? [String: Any])
        #expect(json["documents"] as? Int == 2)
        #expect(json["wrong_ok"] as? Int == 0, "\(r.stdout.prefix(2000))")
        let overall = try #require(json["overall"] as? [String: Any])
        #expect(overall["exact"] as? Int == overall["total"] as? Int, "\(overall)")
    }
}
