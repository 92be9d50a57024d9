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

    /// A CMS-1500 laid out like the printed form: box labels in the top-left of each box,
    /// values below; box 24 with shaded supplemental rows above each service.
    static func cms1500() -> PageBuilder {
        var p = PageBuilder()
        p.charWidth = 14; p.wordHeight = 24
        p.put("HEALTH INSURANCE CLAIM FORM", 100, 80)
        p.put("APPROVED BY NATIONAL UNIFORM CLAIM COMMITTEE (NUCC) 02/12", 100, 115)
        p.put("PICA", 2200, 115)
        p.put("1a. INSURED'S I.D. NUMBER", 1500, 200)
        p.put("W123456789", 1500, 235)
        p.put("2. PATIENT'S NAME (Last Name, First Name, Middle Initial)", 100, 300)
        p.put("3. PATIENT'S BIRTH DATE", 900, 300); p.put("SEX", 1250, 300)
        p.put("4. INSURED'S NAME (Last Name, First Name, Middle Initial)", 1500, 300)
        p.put("MM DD YY", 920, 330)
        p.put("NGUYEN, MAI", 100, 360); p.put("08 21 44", 920, 360); p.put("F X", 1260, 360)
        p.put("NGUYEN, MAI", 1500, 360)
        p.put("21. DIAGNOSIS OR NATURE OF ILLNESS OR INJURY Relate A-L to service line below (24E)", 100, 1400)
        p.put("ICD Ind. 0", 1300, 1400)
        p.put("22. RESUBMISSION CODE", 1700, 1400)
        p.put("A. I10", 120, 1440); p.put("B. E119", 500, 1440); p.put("C. N183", 900, 1440)
        p.put("23. PRIOR AUTHORIZATION NUMBER", 1700, 1480)
        p.put("24. A. DATE(S) OF SERVICE", 100, 1560); p.put("B. PLACE OF SERVICE", 560, 1560); p.put("C. EMG", 760, 1560)
        p.put("D. PROCEDURES, SERVICES, OR SUPPLIES", 880, 1560); p.put("E. DIAGNOSIS POINTER", 1400, 1560)
        p.put("F. $ CHARGES", 1650, 1560); p.put("G. DAYS OR UNITS", 1900, 1560); p.put("J. RENDERING PROVIDER ID. #", 2150, 1560)
        p.put("From MM DD YY To MM DD YY", 100, 1595); p.put("CPT/HCPCS", 880, 1595); p.put("MODIFIER", 1080, 1595)
        // line 1: shaded supplemental half, then the service
        p.put("N4 00002143380", 100, 1650); p.put("ZZ", 2100, 1650)
        p.put("10 28 26 10 28 26", 100, 1690); p.put("31", 600, 1690); p.put("99309", 880, 1690); p.put("25", 1080, 1690)
        p.put("AB", 1420, 1690); p.put("212 40", 1680, 1690); p.put("1", 1950, 1690); p.put("1234567893", 2150, 1690)
        // line 2
        p.put("10 29 26 10 29 26", 100, 1790); p.put("31", 600, 1790); p.put("99308", 880, 1790)
        p.put("A", 1420, 1790); p.put("1524 58", 1660, 1790); p.put("2", 1950, 1790); p.put("1234567893", 2150, 1790)
        p.put("25. FEDERAL TAX I.D. NUMBER", 100, 2300); p.put("26. PATIENT'S ACCOUNT NO.", 700, 2300)
        p.put("27. ACCEPT ASSIGNMENT?", 1100, 2300); p.put("28. TOTAL CHARGE", 1500, 2300); p.put("29. AMOUNT PAID", 1800, 2300)
        p.put("12-3456789", 100, 2340); p.put("AC-120034", 700, 2340); p.put("X YES", 1100, 2340); p.put("$ 1736 98", 1500, 2340)
        p.put("31. SIGNATURE OF PHYSICIAN OR SUPPLIER INCLUDING DEGREES OR CREDENTIALS", 100, 2420)
        p.put("32. SERVICE FACILITY LOCATION INFORMATION", 1150, 2420)
        p.put("33. BILLING PROVIDER INFO & PH #", 1850, 2420)
        p.put("KIM, JOON MD", 100, 2460); p.put("Lakeside Nursing Center", 1150, 2460); p.put("Lakeside Medical Group", 1850, 2460)
        p.put("100 Shore Rd", 1150, 2495)
        p.put("a. 1679576722", 1150, 2560); p.put("a. 1234567893", 1850, 2560)
        return p
    }

    @Test func cms1500Fixture() throws {
        let p = Self.cms1500()
        let ts = try ExtractFixtures.templates()
        #expect(TemplateEngine.select(ts, page: p.page)?.template.name == "cms1500")
        let r = try Self.run(p, "cms1500")
        #expect(r.str("patient_name") == "NGUYEN, MAI")
        #expect(r.str("patient_dob") == "1944-08-21")
        #expect(r.str("account_number") == "AC-120034")
        #expect(r.str("date_of_service") == "2026-10-28")
        #expect(r.str("facility") == "Lakeside Nursing Center")
        #expect(r.str("place_of_service") == "31")
        #expect(r.str("rendering_provider") == "KIM, JOON MD")
        #expect(r.str("provider_npi") == "1234567893")
        #expect(r.field("diagnosis_codes")?.value == .list(["I10", "E11.9", "N18.3"]))
        #expect(r.str("total_charge") == "1736.98")
        #expect(r.lines.count == 2)
        #expect(r.cell(0, "code")?.value == .string("99309"))
        #expect(r.cell(0, "modifiers")?.value == .list(["25"]))
        #expect(r.cell(0, "dx_pointer")?.value == .string("AB"))
        #expect(r.cell(0, "charge")?.value == .string("212.40"))
        #expect(r.cell(0, "units")?.value == .int(1))
        #expect(r.cell(0, "date_of_service")?.value == .string("2026-10-28"))
        #expect(r.cell(1, "charge")?.value == .string("1524.58"))
        #expect(r.cell(1, "units")?.value == .int(2))
        #expect(r.cell(1, "date_of_service")?.value == .string("2026-10-29"))
        let notOK = (r.fields + r.lines.flatMap { $0 }).filter { $0.status != .ok }
        #expect(notOK.isEmpty, "\(notOK)")
    }
}
