import Foundation
import Testing
@testable import DocRecon

/// Layouts built from synthetic words: labels beside values, boxed labels above values,
/// service-line tables with missing cells, and a CMS-1500.
@Suite struct ExtractLayoutTests {
    static func run(_ p: PageBuilder, _ template: String) throws -> ExtractedRecord {
        TemplateEngine.extract(page: p.page, template: try ExtractFixtures.template(template), today: ExtractFixtures.today)
    }

    static func superbill(total: String = "$537.40", confidence: Double = 0.95) -> PageBuilder {
        var p = PageBuilder()
        p.put("SUPERBILL", 100, 100)
        p.put("Patient Name: RIVERA, ANA", 100, 200); p.put("DOB: 03/04/1951", 1300, 200)
        p.put("Account #: 40917733", 100, 260); p.put("Date of Service: 11/02/2026", 1300, 260)
        p.put("Facility: Maple Grove SNF", 100, 320); p.put("POS: 31", 1300, 320)
        p.put("Rendering Provider: Dr. Lee Park", 100, 380); p.put("NPI: 1234567893", 1300, 380, confidence: confidence)
        p.put("Diagnoses: I10, E11.9, Z79.4", 100, 440)
        p.put("CPT", 100, 600); p.put("Description", 400, 600); p.put("Mod", 1100, 600); p.put("Units", 1300, 600); p.put("Charge", 1600, 600)
        p.put("99309", 100, 660); p.put("Subsequent nursing facility visit", 400, 660); p.put("25", 1100, 660); p.put("1", 1320, 660); p.put("212.40", 1600, 660)
        p.put("99213", 100, 720); p.put("Office visit", 400, 720); p.put("2", 1320, 720); p.put("$150.00", 1600, 720)
        p.put("G0439", 100, 780); p.put("Annual wellness", 400, 780); p.put("175.00", 1600, 780)
        p.put("Total Charges: " + total, 1200, 900)
        p.put("Provider Signature: ____________", 100, 1000)
        return p
    }

    @Test func labelsBesideValues() throws {
        let r = try Self.run(Self.superbill(), "charge-sheet")
        #expect(r.str("patient_name") == "RIVERA, ANA")
        #expect(r.str("patient_dob") == "1951-03-04")
        #expect(r.str("account_number") == "40917733")
        #expect(r.str("date_of_service") == "2026-11-02")
        #expect(r.str("facility") == "Maple Grove SNF")
        #expect(r.str("place_of_service") == "31")
        #expect(r.str("rendering_provider") == "Dr. Lee Park")
        #expect(r.str("provider_npi") == "1234567893")
        #expect(r.field("diagnosis_codes")?.value == .list(["I10", "E11.9", "Z79.4"]))
        #expect(r.str("total_charge") == "537.40")
        #expect(r.fields.allSatisfy { $0.status == .ok }, "\(r.fields.filter { $0.status != .ok })")
        // Boxes point at the value words, not the label.
        // "Account" (7 chars) and "#:" (2 chars), 12 px apart, then the value of 8 chars.
        #expect(r.field("account_number")?.box == Box(100 + 7 * 18 + 12 + 2 * 18 + 12, 260, 100 + 7 * 18 + 12 + 2 * 18 + 12 + 8 * 18, 290))
    }

    @Test func serviceLinesWithMissingCells() throws {
        let r = try Self.run(Self.superbill(), "charge-sheet")
        #expect(r.lines.count == 3)
        #expect(r.cell(0, "code")?.value == .string("99309"))
        #expect(r.cell(0, "modifiers")?.value == .list(["25"]))
        #expect(r.cell(0, "units")?.value == .int(1))
        #expect(r.cell(0, "charge")?.value == .string("212.40"))
        #expect(r.cell(1, "modifiers")?.value == .list([]))
        #expect(r.cell(1, "units")?.value == .int(2))
        #expect(r.cell(1, "charge")?.value == .string("150.00"))
        #expect(r.cell(2, "code")?.value == .string("G0439"))
        // Units cell empty: one service, from the template's default.
        #expect(r.cell(2, "units")?.value == .int(1))
        #expect(r.cell(2, "units")?.rule.hasSuffix(":default") == true)
        #expect(r.cell(2, "charge")?.value == .string("175.00"))
    }

    @Test func missingChargeGoesToReview() throws {
        var p = Self.superbill(total: "$362.40")
        p.words.removeAll { $0.text == "175.00" }
        let r = try Self.run(p, "charge-sheet")
        #expect(r.lines.count == 3)
        #expect(r.cell(2, "charge")?.status == .needsReview)
        #expect(r.cell(2, "charge")?.value == nil)
    }

    @Test func totalThatDoesNotAddUpGoesToReview() throws {
        let r = try Self.run(Self.superbill(total: "$600.00"), "charge-sheet")
        #expect(r.field("total_charge")?.status == .needsReview)
        #expect(r.field("total_charge")?.problem?.contains("not the sum") == true)
        #expect(r.lines.allSatisfy { $0.first { $0.name == "charge" }?.status == .needsReview })
    }

    @Test func totalRepairedByTheSumWhenOneLookAlikeFits() throws {
        // OCR read the total's 3 fine but a 5 as S: $S37.40 → 537.40 is the sum, the only reading that fits.
        let r = try Self.run(Self.superbill(total: "$S37.40"), "charge-sheet")
        #expect(r.field("total_charge")?.value == .string("537.40"))
        #expect(r.field("total_charge")?.status == .repaired)
        #expect(r.field("total_charge")?.raw == "$S37.40")
    }

    @Test func lowConfidenceValueGoesToReview() throws {
        let r = try Self.run(Self.superbill(confidence: 0.31), "charge-sheet")
        #expect(r.field("provider_npi")?.value == .string("1234567893"))
        #expect(r.field("provider_npi")?.status == .needsReview)
    }

    @Test func boxedLabelsAboveValues() throws {
        var p = PageBuilder()
        p.put("ENCOUNTER FORM", 100, 100)
        p.put("PATIENT NAME", 100, 200); p.put("DATE OF BIRTH", 900, 200); p.put("ACCOUNT NO.", 1600, 200)
        p.put("GARCIA, LUIS", 100, 240); p.put("07/19/1948", 900, 240); p.put("AC-120034", 1600, 240)
        p.put("SERVICE DATE", 100, 320); p.put("LOCATION", 900, 320); p.put("PLACE OF SERVICE", 1600, 320)
        p.put("10/30/2026", 100, 360); p.put("Sunrise Care Center", 900, 360); p.put("11", 1600, 360)
        p.put("PHYSICIAN", 100, 440); p.put("PROVIDER NPI", 900, 440)
        p.put("Mary Chen, MD", 100, 480); p.put("1245319599", 900, 480)
        p.put("ICD-10 CODES", 100, 560)
        p.put("A. M54.5", 100, 600); p.put("B. R51.9", 500, 600)
        p.put("PROCEDURE", 100, 700); p.put("MOD", 500, 700); p.put("QTY", 800, 700); p.put("FEE", 1100, 700)
        p.put("99214", 100, 740); p.put("1", 810, 740); p.put("120.00", 1100, 740)
        p.put("97110", 100, 780); p.put("GP", 500, 780); p.put("3", 810, 780); p.put("90.00", 1100, 780)
        p.put("TOTAL", 1100, 900)
        p.put("210.00", 1100, 940)
        let r = try Self.run(p, "charge-sheet")
        #expect(r.str("patient_name") == "GARCIA, LUIS")
        #expect(r.str("patient_dob") == "1948-07-19")
        #expect(r.str("account_number") == "AC-120034")
        #expect(r.str("date_of_service") == "2026-10-30")
        #expect(r.str("facility") == "Sunrise Care Center")
        #expect(r.str("place_of_service") == "11")
        #expect(r.str("rendering_provider") == "Mary Chen, MD")
        #expect(r.str("provider_npi") == "1245319599")
        #expect(r.field("diagnosis_codes")?.value == .list(["M54.5", "R51.9"]))
        #expect(r.str("total_charge") == "210.00")
        #expect(r.lines.count == 2)
        #expect(r.cell(1, "modifiers")?.value == .list(["GP"]))
        #expect(r.cell(1, "units")?.value == .int(3))
        #expect(r.fields.allSatisfy { $0.status == .ok }, "\(r.fields.filter { $0.status != .ok })")
    }

    @Test func ocrNoiseInLabelsAndLookAlikesInValues() throws {
        var p = PageBuilder()
        p.put("Charge Ticket", 100, 100)
        p.put("Patlent Name RIVERA, ANA", 100, 200)         // i read as l
        p.put("Date of Servlce 11/02/2026", 100, 260)
        p.put("DOB:03/04/1951", 1300, 260)                   // label and value in one word
        p.put("Dx: El1.9, I10", 100, 320)                    // l for 1 in a code
        p.put("Code", 100, 500); p.put("Units", 700, 500); p.put("Amount", 1000, 500)
        p.put("9921S", 100, 560); p.put("1", 700, 560); p.put("95.00", 1000, 560)
        p.put("Total: 95.00", 1000, 700)
        let r = try Self.run(p, "charge-sheet")
        #expect(r.str("patient_name") == "RIVERA, ANA")
        #expect(r.str("date_of_service") == "2026-11-02")
        #expect(r.str("patient_dob") == "1951-03-04")
        #expect(r.field("diagnosis_codes")?.value == .list(["E11.9", "I10"]))
        #expect(r.field("diagnosis_codes")?.status == .repaired)
        #expect(r.cell(0, "code")?.value == .string("99215"))
        #expect(r.cell(0, "code")?.status == .repaired)
        #expect(r.cell(0, "code")?.raw == "9921S")
    }

    /// A CMS-1500 as a scan of the printed form reads: the form's drop-out ink labels are gone,
    /// the values sit at the standard box positions (300 dpi letter page); box 24 has shaded
    /// supplemental rows (NDC, a G2 qualifier and a non-NPI id) above each service.
    @Test(arguments: ["OAK", "Lakeside", "SMITH,"])
    func oneWordNameGoesToReview(_ text: String) throws {
        let v = try #require(ExtractFixtures.readAlone(text, name: "rendering_provider", type: .name))
        #expect(v.status == .needsReview && v.problem == "a name of one word")
        let two = try #require(ExtractFixtures.readAlone("KIM, JOON MD", name: "rendering_provider", type: .name))
        #expect(two.status == .ok)
    }

    /// A speck above a line's centre, first in y order, does not split the words around it
    /// between two lines (a facility was cut to its first word). The boxes of a degraded scan.
    @Test func aSpeckDoesNotSplitALine() throws {
        let boxes: [(String, Int, Int, Int, Int)] = [
            ("SERVICE", 162, 606, 332, 640), ("LOCATION", 350, 609, 555, 640), ("|", 578, 596, 597, 652),
            ("Maple", 615, 604, 738, 648), ("Grove", 756, 606, 881, 640), ("Family", 899, 604, 1036, 647),
            ("Clinic:", 1053, 604, 1189, 639), ("°|", 1248, 609, 1253, 615), ("POS", 1289, 609, 1370, 640),
            ("°", 1393, 614, 1399, 620), (".", 1587, 622, 1593, 628), ("11", 1743, 600, 1806, 639),
        ]
        let words = boxes.enumerated().map { i, b in
            Word(pageId: 1, text: b.0, box: Box(b.1, b.2, b.3, b.4), confidence: 0.9, block: 1, line: 1, wordIndex: i)
        }
        let lines = PageGeometry.lines(words)
        #expect(lines.count == 1)
        #expect(lines.first?.words.map(\.text) == boxes.map(\.0))
    }

}
