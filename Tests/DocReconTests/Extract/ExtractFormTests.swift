import Foundation
import Testing
@testable import DocRecon

/// Reading a registered CMS-1500 box by box (`box` steps, `form_rows`), from words placed where
/// the real form's boxes are: a 300-dpi page whose form frame (200 dpi) maps by a scale and a
/// shift, as a registration gives it.
@Suite struct ExtractFormTests {
    static let template: Template = try! ExtractFixtures.template("cms1500")
    static var layout: FormLayout { template.form! }

    /// A page of `words` typed in boxes (name, text), registered with the form at 300 dpi,
    /// shifted by (dx, dy) pixels as a printer or a scanner puts it.
    static func page(_ typed: [(String, String)], dx: Double = 7, dy: Double = -5, registered: Bool = true) -> PageWords {
        let s = 300.0 / Double(FormReference.frameDPI)
        let mapping = FormMapping(frameDPI: FormReference.frameDPI, homography: .scaleShift(sx: s, sy: s, tx: dx, ty: dy),
                                  grid: .zero(columns: 1, rows: 1, width: 1700, height: 2200))
        var words: [Word] = []
        for (box, text) in typed {
            let b = layout.boxes[box]!
            let (x0, y0, x1, y1) = b.pixels(dpi: 300)
            var x = x0 + 4 + dx
            for part in text.split(separator: " ") {
                let w = Double(part.count) * 16
                words.append(Word(pageId: 1, text: String(part), box: Box(Int(x), Int(y0 + 4 + dy), Int(x + w), Int(y1 - 4 + dy)),
                                  confidence: 0.95, block: 1, line: Int(y0), wordIndex: words.count))
                x += w + 12
                _ = x1
            }
        }
        let result = RegistrationResult(mapping: mapping, residual: 0.2, inliers: registered ? 0.98 : 0.2, skew: 0, accepted: registered)
        return PageWords(number: 1, width: 2550, height: 3300, words: words, form: PageForm(pageId: 1, template: "cms1500", result: result))
    }

    static let claim: [(String, String)] = [
        ("insurance_id", "W123456789"), ("pt_name", "NGUYEN, MAI"), ("birth_mm", "08"), ("birth_dd", "21"), ("birth_yy", "1944"),
        ("ins_name", "SAME"), ("pt_street", "12 ELM ST"),
        ("diagnosis1", "I10"), ("diagnosis2", "E119"), ("diagnosis3", "N18.3"),
        ("Suppl", "N400409123401"),
        ("sv1_mm_from", "10"), ("sv1_dd_from", "28"), ("sv1_yy_from", "26"), ("sv1_mm_end", "10"), ("sv1_dd_end", "28"), ("sv1_yy_end", "26"),
        ("place1", "31"), ("cpt1", "99309"), ("mod1", "25"), ("diag1", "AB"), ("ch1", "212 40"), ("day1", "1"), ("local1", "1234567893"),
        ("sv2_mm_from", "10"), ("sv2_dd_from", "29"), ("sv2_yy_from", "26"), ("place2", "31"), ("cpt2", "99308"), ("diag2", "A"),
        ("ch2", "1524 58"), ("day2", "2"), ("local2", "1234567893"),
        ("tax_id", "12-3456789"), ("pt_account", "AC-120034"), ("t_charge", "1736 98"),
        ("physician_signature", "KIM, JOON MD"), ("physician_date", "10-30-26"),
        ("fac_name", "LAKESIDE NURSING CENTER"), ("fac_street", "100 SHORE RD"),
        ("doc_name", "LAKESIDE MEDICAL GROUP"), ("pin", "1245319599"),
    ]

    @Test("a registered page is read box by box: every field and both service lines, all ok")
    func registeredClaim() throws {
        let p = Self.page(Self.claim)
        #expect(TemplateEngine.select(try ExtractFixtures.templates(), page: p)?.template.name == "cms1500")
        let r = TemplateEngine.extract(page: p, template: Self.template, today: ExtractFixtures.today)
        func str(_ n: String) -> String? { r.field(n)?.value?.description }
        #expect(str("patient_name") == "NGUYEN, MAI")
        #expect(str("patient_dob") == "1944-08-21")
        #expect(str("account_number") == "AC-120034")
        #expect(str("date_of_service") == "2026-10-28")
        #expect(str("facility") == "LAKESIDE NURSING CENTER")
        #expect(str("place_of_service") == "31")
        #expect(str("rendering_provider") == "KIM, JOON MD")
        #expect(str("provider_npi") == "1234567893")
        #expect(r.field("diagnosis_codes")?.value == .list(["I10", "E11.9", "N18.3"]))
        #expect(str("total_charge") == "1736.98")
        #expect(r.lines.count == 2)
        func cell(_ l: Int, _ n: String) -> FieldValue? { r.lines[l].first { $0.name == n }?.value }
        #expect(cell(0, "code") == .string("99309"))
        #expect(cell(0, "modifiers") == .list(["25"]))
        #expect(cell(0, "dx_pointer") == .string("AB"))
        #expect(cell(0, "charge") == .string("212.40"))
        #expect(cell(0, "units") == .int(1))
        #expect(cell(0, "date_of_service") == .string("2026-10-28"))
        #expect(cell(1, "charge") == .string("1524.58"))
        #expect(cell(1, "units") == .int(2))
        #expect(cell(1, "date_of_service") == .string("2026-10-29"))
        let notOK = (r.fields + r.lines.flatMap { $0 }).filter { $0.status != .ok }
        #expect(notOK.isEmpty, "\(notOK.map { "\($0.name): \($0.problem ?? "")" })")
    }

    @Test("a page that did not register gets no box readings: no table, and labels alone go to review")
    func unregisteredPage() throws {
        let r = TemplateEngine.extract(page: Self.page(Self.claim, registered: false), template: Self.template, today: ExtractFixtures.today)
        #expect(r.lines.isEmpty)
        #expect(r.fields.allSatisfy { $0.value == nil || $0.status == .needsReview })
    }

    @Test("the printed form shifted by a few points still puts each value in its box")
    func shiftedPrint() throws {
        for (dx, dy) in [(-20.0, 12.0), (18, -14), (0, 0)] {
            let r = TemplateEngine.extract(page: Self.page(Self.claim, dx: dx, dy: dy), template: Self.template, today: ExtractFixtures.today)
            #expect(r.field("patient_name")?.value == .string("NGUYEN, MAI"), "shift \(dx), \(dy)")
            #expect(r.field("account_number")?.value == .string("AC-120034"), "shift \(dx), \(dy)")
            #expect(r.lines.count == 2, "shift \(dx), \(dy)")
        }
    }

    @Test("a label of the form read in a box is never its value", arguments: [
        ("pt_name", "PATIENT'S NAME", "patient_name"),
        ("pt_name", "INSURED'S NAME", "patient_name"),
        ("pt_account", "ADDITIONAL CLAIM INFORMATION", "account_number"),
        ("pt_account", "PATIENT'S ACCOUNT NO.", "account_number"),
        ("fac_name", "SERVICE FACILITY LOCATION INFORMATION", "facility"),
        ("physician_signature", "SIGNATURE OF PHYSICIAN OR SUPPLIER", "rendering_provider"),
        ("diagnosis1", "DIAGNOSIS OR NATURE OF ILLNESS", "diagnosis_codes"),
    ])
    func labelIsNeverAValue(box: String, label: String, field: String) throws {
        let labels = FormLabels.of(Self.layout)
        #expect(labels.words.count > 300, "the blank's labels are known")
        let typed = Self.claim.filter { $0.0 != box } + [(box, label)]
        let r = TemplateEngine.extract(page: Self.page(typed), template: Self.template, today: ExtractFixtures.today)
        let value = r.field(field)?.value?.description ?? ""
        let words = Set(label.split(separator: " ").compactMap { FormLabels.key(String($0)) })
        let got = Set(value.split(whereSeparator: { $0 == " " || $0 == "," }).compactMap { FormLabels.key(String($0)) })
        #expect(words.isDisjoint(with: got), "\(field) took the label: \(value)")
        // The rest of the claim reads as before.
        #expect(r.lines.count == 2)
    }

    @Test("a word read where the blank prints the same word is dropped; the same word typed elsewhere is kept")
    func ownLabelAtItsPlace() throws {
        let labels = FormLabels.of(Self.layout)
        let w = try #require(labels.words.first { $0.text == "PATIENTS" })
        #expect(labels.isPrinted("PATIENT'S", x0: w.x0, y0: w.y0, x1: w.x1, y1: w.y1))
        #expect(labels.isPrinted("patients.", x0: w.x0 + 1, y0: w.y0, x1: w.x1 + 1, y1: w.y1))
        #expect(!labels.isPrinted("PATIENTS", x0: w.x0 + 200, y0: w.y0 + 300, x1: w.x1 + 200, y1: w.y1 + 300))
        #expect(!labels.isPrinted("NGUYEN", x0: w.x0, y0: w.y0, x1: w.x1, y1: w.y1))
    }

    @Test("box 31 empty: the rendering provider comes from box 33 and to review, never from box 32 beside it")
    func renderingProviderNeverFromTheFacility() throws {
        let typed = Self.claim.filter { $0.0 != "physician_signature" }
        let r = TemplateEngine.extract(page: Self.page(typed), template: Self.template, today: ExtractFixtures.today)
        let v = try #require(r.field("rendering_provider"))
        #expect(v.value == .string("LAKESIDE MEDICAL GROUP"))
        #expect(v.status == .needsReview)
    }

    @Test("a word OCR read across 24A's three date boxes is cut into them")
    func wordAcrossBoxes() throws {
        var typed = Self.claim.filter { !["sv1_mm_from", "sv1_dd_from", "sv1_yy_from"].contains($0.0) }
        typed.append(("sv1_mm_from", "102826"))
        // One word over the three boxes: as wide as they are.
        var p = Self.page(typed)
        let s = 300.0 / 72
        let (mm, yy) = (Self.layout.boxes["sv1_mm_from"]!, Self.layout.boxes["sv1_yy_from"]!)
        if let i = p.words.firstIndex(where: { $0.text == "102826" }) {
            p.words[i].x0 = Int(mm.x0 * s + 7 + 4); p.words[i].x1 = Int(yy.x1 * s + 7 - 4)
        }
        let r = TemplateEngine.extract(page: p, template: Self.template, today: ExtractFixtures.today)
        #expect(r.lines.first?.first { $0.name == "date_of_service" }?.value == .string("2026-10-28"))
    }

    @Test("a 24A year cut to two digits ('20' of 2026) is proposed from box 31's date, to review, never ok")
    func cutYear() throws {
        var typed = Self.claim.map { $0.0 == "sv1_yy_from" ? ($0.0, "20") : $0 }
        typed = typed.map { $0.0 == "sv2_yy_from" ? ($0.0, "20") : $0 }
        let r = TemplateEngine.extract(page: Self.page(typed), template: Self.template, today: ExtractFixtures.today)
        let d = try #require(r.lines.first?.first { $0.name == "date_of_service" })
        #expect(d.value == .string("2026-10-28"))
        #expect(d.status == .needsReview)
        #expect(d.problem?.contains("cut to two digits") == true)
        #expect(r.field("date_of_service")?.value == .string("2026-10-28"))
        #expect(r.field("date_of_service")?.status == .needsReview)
    }
}

/// Issue 13: a region (its box) and a label anchor that both read a value and differ send the
/// field to review with both shown; when they agree, or the label reads nothing, the box stands.
@Suite struct RegionAnchorTests {
    static func page(labelledValue: String?) -> PageWords {
        var p = ExtractFormTests.page(ExtractFormTests.claim)
        guard let labelledValue else { return p }
        var words = p.words
        func add(_ text: String, _ x: Int, _ y: Int) {
            var x = x
            for part in text.split(separator: " ") {
                let w = part.count * 16
                words.append(Word(pageId: 1, text: String(part), box: Box(x, y, x + w, y + 26), confidence: 0.95,
                                  block: 9, line: y, wordIndex: words.count))
                x += w + 12
            }
        }
        // The label where this layout prints it (elsewhere than the 1500 does), its value below.
        add("32. SERVICE FACILITY LOCATION INFORMATION", 1500, 600)
        add(labelledValue, 1500, 640)
        p.words = words
        return p
    }

    @Test("box and label disagree: review, both values shown")
    func disagree() {
        let r = TemplateEngine.extract(page: Self.page(labelledValue: "RIVERVIEW CLINIC"), template: ExtractFormTests.template,
                                       today: ExtractFixtures.today)
        let v = r.field("facility")
        #expect(v?.value?.description == "LAKESIDE NURSING CENTER")
        #expect(v?.status == .needsReview)
        #expect(v?.problem?.contains("LAKESIDE NURSING CENTER") == true && v?.problem?.contains("RIVERVIEW CLINIC") == true, "\(v?.problem ?? "")")
    }

    @Test("box and label agree, or no label: the box's value stands")
    func agree() {
        for labelled in ["LAKESIDE NURSING CENTER", nil] {
            let r = TemplateEngine.extract(page: Self.page(labelledValue: labelled), template: ExtractFormTests.template,
                                           today: ExtractFixtures.today)
            #expect(r.field("facility")?.value?.description == "LAKESIDE NURSING CENTER")
            #expect(r.field("facility")?.status == .ok, "\(labelled ?? "no label"): \(r.field("facility")?.problem ?? "")")
        }
    }
}
