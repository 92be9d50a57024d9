import Foundation
import Testing
@testable import DocRecon

@Suite struct ExtractValueTests {
    static let today = CalendarDate(year: 2026, month: 11, day: 23)!

    @Test(arguments: [
        ("01/15/2025", false, "2025-01-15"), ("1/5/2025", false, "2025-01-05"), ("01-15-2025", false, "2025-01-15"),
        ("2025-01-15", false, "2025-01-15"), ("01 15 25", false, "2025-01-15"), ("01 15 2025", false, "2025-01-15"),
        ("01152025", false, "2025-01-15"), ("011525", false, "2025-01-15"), ("03 04 44", true, "1944-03-04"),
        ("03 04 19", true, "2019-03-04"), ("03/04/27", true, "1927-03-04"), ("12311999", true, "1999-12-31"),
        ("Jan 5, 2025", false, "2025-01-05"), (": 02/29/2024", false, "2024-02-29"),
    ])
    func parsesDates(raw: String, birth: Bool, want: String) {
        #expect(FieldValues.parseDate(raw, birth: birth, today: Self.today)?.date.iso == want)
    }

    @Test(arguments: ["02/30/2025", "13/01/2025", "2025", "abc", "00 00 00", "1/2"])
    func rejectsNonDates(raw: String) {
        #expect(FieldValues.parseDate(raw, today: Self.today) == nil)
    }

    @Test(arguments: [("$1,936.98", "1936.98"), ("1936.98", "1936.98"), ("1936 98", "1936.98"), ("$ 212.40", "212.40"),
                      ("737 01", "737.01"), ("1,936,98", "1936.98"), ("125", "125.00"), ("$95.5", "95.50"), ("212 . 40", "212.40")])
    func parsesMoney(raw: String, want: String) {
        #expect(FieldValues.parseMoney(raw)?.decimalString == want)
    }

    @Test(arguments: ["12.3.4", "abc", "$", "1,23.00"])
    func rejectsNonMoney(raw: String) {
        #expect(FieldValues.parseMoney(raw) == nil)
    }

    @Test(arguments: [("1234567893", true), ("1234567890", false), ("1245319599", true), ("1234567891", false),
                      ("123456789", false), ("3234567893", false), ("12345678A3", false)])
    func checksNPI(npi: String, valid: Bool) {
        #expect(FieldValues.isNPI(npi) == valid)
    }

    @Test(arguments: [("99213", true), ("0001F", true), ("0042T", true), ("J1100", true), ("G0439", true),
                      ("W1234", false), ("9921", false), ("992134", false), ("0001X", false)])
    func checksProcedureCodes(code: String, valid: Bool) {
        #expect(FieldValues.isProcedureCode(code) == valid)
    }

    @Test(arguments: [("E119", "E11.9"), ("E11.9", "E11.9"), ("i10", "I10"), ("S52001A", "S52.001A"), ("C4A3", "C4A.3"),
                      ("Z79.4,", "Z79.4")])
    func normalisesICD10(raw: String, want: String) {
        #expect(FieldValues.normalizeICD10(raw) == want)
    }

    @Test(arguments: ["110", "E1", "EE1.9", "E11.12345", "9E1.1"])
    func rejectsNonICD10(raw: String) {
        #expect(FieldValues.normalizeICD10(raw) == nil)
    }

    @Test(arguments: [("1", "01"), ("11", "11"), ("02", "02"), ("31", "31")])
    func padsPOS(raw: String, want: String) {
        #expect(FieldValues.normalizePOS(raw) == want)
    }

    @Test(arguments: ["0", "123", "A1", ""])
    func rejectsBadPOS(raw: String) {
        #expect(FieldValues.normalizePOS(raw) == nil)
    }

    @Test(arguments: [("25", "25"), ("lt", "LT"), ("XS", "XS")])
    func normalisesModifiers(raw: String, want: String) {
        #expect(FieldValues.normalizeModifier(raw) == want)
    }

    @Test(arguments: [("3", 3), ("1.00", 1), ("12", 12)])
    func parsesUnits(raw: String, want: Int) {
        #expect(FieldValues.normalizeInteger(raw) == want)
    }

    @Test(arguments: ["0", "-1", "x", ""])
    func rejectsBadUnits(raw: String) {
        #expect(FieldValues.normalizeInteger(raw) == nil)
    }

    // MARK: look-alike repair

    @Test(arguments: [
        ("9921O", FieldType.code, "99210"),       // O → 0
        ("99Z13", .code, "99213"),                // Z → 2
        ("El1.9", .icd10, "E11.9"),               // l → 1
        ("110", .icd10, "I10"),                   // 1 → I (l is never a target)
        ("12345678S3", .npi, "1234567853"),       // S → 5 only if it passes Luhn: checked below
        ("1B", .pos, "18"),                       // B → 8
        ("l", .integer, "1"),                     // units read as l
        ("1O5.00", .money, "105.00"),             // O → 0 in money
    ])
    func repairsOneLookAlike(raw: String, type: FieldType, want: String) {
        let o = FieldValues.evaluate(raw, type: type, today: Self.today)
        if type == .npi {
            // The NPI example is only repairable if the substituted value passes the check digit.
            #expect((o.status == .repaired) == FieldValues.isNPI(want))
            return
        }
        #expect(o.status == .repaired)
        #expect(o.value?.description == want)
    }

    @Test func repairsNPIWithOneLetter() {
        // 1234567893 is valid; OCR read the 8 as B.
        let o = FieldValues.evaluate("1234567B93", type: .npi)
        #expect(o.status == .repaired)
        #expect(o.value == .string("1234567893"))
    }

    @Test(arguments: [
        ("1O", FieldType.code),          // too short for any single substitution
        ("OO", .pos),                    // two substitutions needed: refused
        ("1234567890", .npi),            // fails the check digit; no look-alike to change
        ("S9Z1O", .code),                // two look-alikes wrong: one substitution is not enough
        ("O1/O2/2025", .date),           // each single substitution leaves another O
        ("12B456789S", .npi),
        ("9921", .code),
    ])
    func refusesWhenNoSingleSubstitutionFits(raw: String, type: FieldType) {
        let o = FieldValues.evaluate(raw, type: type)
        #expect(o.status == .needsReview)
        #expect(o.value == nil)
    }

    /// Two different single substitutions both pass: the rule refuses to pick one.
    @Test(arguments: [
        ("S1l", FieldType.icd10, 2),     // l→1 gives S11, l→I gives S1I
        ("l", FieldType.pointer, 2),     // l→1 and l→I are both pointers
    ])
    func ambiguousLookAlikesGoToReview(raw: String, type: FieldType, readings: Int) {
        let o = FieldValues.evaluate(raw, type: type)
        #expect(o.status == .needsReview)
        #expect(o.value == nil)
        #expect(o.problem?.contains("\(readings) look-alike readings") == true)
    }

    @Test func validValuesAreNotRepaired() {
        // B9213 is itself a HCPCS code: read as it is, never "repaired" to 89213.
        #expect(FieldValues.evaluate("B9213", type: .code).status == .ok)
        #expect(FieldValues.evaluate("9921S", type: .code) == ParseOutcome(value: .string("99215"), status: .repaired,
                                                                            problem: "look-alike repaired '9921S' → '99215'"))
    }
}

/// Found by `make fuzz` (target values; Tests/Fuzz/Crashers/values): a digit or letter with a
/// combining mark is one Character that sorts between "0" and "9" (or "A" and "Z") but is none.
@Suite struct CombiningMarkTests {
    @Test("format checks refuse, and never trap on, characters with combining marks", arguments: [
        "188\u{610}0001900", "1\u{301}234567893", "9921\u{301}3", "E\u{301}11.9", "A\u{308}B",
    ])
    func refused(text: String) {
        #expect(!FieldValues.isNPI(text))
        #expect(!FieldValues.isProcedureCode(text))
        #expect(!FieldValues.isICD10(text))
        #expect(!FieldValues.isModifier(text))
        #expect(FieldValues.normalizeNPI(text) == nil)
        #expect(FieldValues.normalize(text, type: .npi) == nil)
    }

    @Test("the plain ones still pass")
    func plain() {
        #expect(FieldValues.isNPI("1234567893"))
        #expect(FieldValues.isProcedureCode("99213") && FieldValues.isProcedureCode("J3301"))
        #expect(FieldValues.isICD10("E11.9") && FieldValues.isModifier("GT"))
    }
}
