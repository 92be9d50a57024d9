import Foundation
import Testing
@testable import DocRecon

@Suite struct MatchNameNormaliserTests {
    @Test(arguments: [
        ("WATSON, AMY", "Amy Watson", true),
        ("Watson, Amy J.", "AMY WATSON", true),
        ("watson ,  amy", "Amy   J Watson", true),
        ("O'Brien, Sean", "Sean OBrien", true),
        ("DE LA CRUZ, MARIA", "Maria De La Cruz", true),
        ("Smith Jr., John", "John Smith", true),
        ("Müller, Jörg", "JORG MULLER", true),
        ("Smith-Jones, Ann", "Ann Smith Jones", true),
        ("WATSON, AMY", "WATSON, ANNA", false),
        ("WATSON, AMY", "WATSON, AMY JANE", false),
        ("RIVERA, ANA", "RIVERA, ANA M", true),
    ])
    func nameKeys(a: String, b: String, same: Bool) {
        #expect((MatchText.nameKey(a) == MatchText.nameKey(b)) == same, "\(MatchText.nameKey(a)) vs \(MatchText.nameKey(b))")
    }

    @Test func nameKeyForm() {
        #expect(MatchText.nameKey("Watson, Amy J.") == "AMY WATSON")
        #expect(MatchText.normalise("St. Mary's  Hospital-North") == "ST MARYS HOSPITAL NORTH")
        #expect(MatchText.codes("99309, 99358;G0439") == ["99309", "99358", "G0439"])
        #expect(MatchText.modifiers("lt, 59") == "59,LT")
    }
}

@Suite struct MatchSimilarityTests {
    @Test(arguments: [
        ("MARTHA", "MARHTA", 0.9611),
        ("DWAYNE", "DUANE", 0.8400),
        ("DIXON", "DICKSONX", 0.8133),
        ("ABC", "ABC", 1.0),
        ("ABC", "XYZ", 0.0),
        ("", "", 1.0),
    ])
    func jaroWinkler(a: String, b: String, expected: Double) {
        #expect(abs(MatchText.jaroWinkler(a, b) - expected) < 0.0005)
        #expect(abs(MatchText.jaroWinkler(b, a) - expected) < 0.0005)
    }

    @Test(arguments: [
        ("KITTEN", "SITTING", 3),
        ("FLAW", "LAWN", 2),
        ("", "ABC", 3),
        ("SAME", "SAME", 0),
        ("RIVERSIDE REHAB", "RIVERSlDE REHAB", 1),
    ])
    func levenshtein(a: String, b: String, distance: Int) {
        #expect(MatchText.levenshtein(a, b) == distance)
        let n = max(a.count, b.count)
        #expect(abs(MatchText.levenshteinSimilarity(a, b) - (n == 0 ? 1 : 1 - Double(distance) / Double(n))) < 1e-12)
    }

    @Test(arguments: [
        // a (cents), b (cents), tolerance cents, tolerance basis points, within?
        (Int64(10_000), Int64(10_050), Int64?.some(50), Int64?.none, true),
        (10_000, 10_051, 50, nil, false),
        (10_000, 10_100, nil, 100, true),      // 1% of 101.00 is 1.01
        (10_000, 10_103, nil, 100, false),
        (1, 2, nil, 5_000, true),              // 0.01 is 50% of 0.02
        (10_000, 9_000, 50, 1_000, true),      // 10% relative passes though cents fail
        (-500, 500, 0, nil, false),
        (Int64.max / 2, Int64.max / 2 - 1, 0, 1, true),   // no overflow on huge amounts
    ])
    func amountWithin(a: Int64, b: Int64, cents: Int64?, bp: Int64?, expected: Bool) {
        #expect(MatchEngine.amountWithin(Money(cents: a), Money(cents: b), cents: cents, basisPoints: bp) == expected)
    }
}

/// Each predicate scored through a rule, as the YAML writes it.
@Suite struct MatchPredicateScoringTests {
    static func charge(_ source: ChargeSource, name: String = "WATSON, AMY", dob: String = "1950-02-03",
                       dos: String = "2026-11-02", facility: String = "Maple Grove", cpt: String = "99309",
                       amount: Int64? = nil) -> Charge {
        Charge(id: source == .paper ? 1 : 2, source: source, patientName: name, patientDob: CalendarDate(iso: dob),
               dateOfService: CalendarDate(iso: dos), facility: facility, cpt: cpt, amount: amount.map { Money(cents: $0) })
    }

    static func score(_ predicate: String, _ a: Charge, _ b: Charge) throws -> Double? {
        let yaml = """
            rules:
              - name: r
                links: [paper_charge, ice_row]
                blocking: [patient_dob]
                predicates:
                  - \(predicate)
            """
        return MatchEngine(rules: try MatchRules.parse(yaml)).score(rule: "r", a, b)
    }

    @Test(arguments: [
        ("{field: facility, test: equal}", "Maple Grove", "MAPLE  GROVE.", 1.0),
        ("{field: facility, test: equal}", "Maple Grove", "Maple Grave", 0.0),
        ("{field: facility, test: levenshtein, at_least: 0.9}", "Maple Grove", "Maple Grave", 1.0),
        ("{field: facility, test: levenshtein, at_least: 0.95}", "Maple Grove", "Maple Grave", 0.0),
        ("{field: facility, test: jaro_winkler, at_least: 0.9}", "Riverside Rehab", "Riverside Rehab Center", 1.0),
        ("{field: facility, test: jaro_winkler, at_least: 0.9}", "Riverside Rehab", "Oak Hill", 0.0),
        ("{field: facility, test: equal, when_present: true}", "Maple Grove", "", 1.0),   // skipped: no evaluated test
        ("{field: facility, test: equal}", "Maple Grove", "", 0.0),
    ])
    func textPredicates(predicate: String, a: String, b: String, expected: Double) throws {
        let s = try Self.score(predicate, Self.charge(.paper, facility: a), Self.charge(.ice, facility: b))
        #expect(s == expected)
    }

    @Test(arguments: [
        ("{field: patient_name, test: equal_name}", "WATSON, AMY", "Amy J. Watson", 1.0),
        ("{field: patient_name, test: equal_name}", "WATSON, AMY", "Amy Wotson", 0.0),
        ("{field: patient_name, test: jaro_winkler, at_least: 0.9}", "WATSON, AMY", "Amy Wotson", 1.0),
        ("{field: patient_name, test: equal}", "WATSON, AMY", "Amy Watson", 1.0),
    ])
    func namePredicates(predicate: String, a: String, b: String, expected: Double) throws {
        #expect(try Self.score(predicate, Self.charge(.paper, name: a), Self.charge(.ice, name: b)) == expected)
    }

    @Test(arguments: [
        ("2026-11-02", "2026-11-02", 0, 1.0),
        ("2026-11-02", "2026-11-03", 0, 0.0),
        ("2026-11-02", "2026-11-03", 1, 1.0),
        ("2026-02-28", "2026-03-02", 2, 1.0),   // across the month end
        ("2026-02-28", "2026-03-03", 2, 0.0),
        ("2025-12-31", "2026-01-01", 1, 1.0),
    ])
    func dateWithin(a: String, b: String, days: Int, expected: Double) throws {
        let p = "{field: date_of_service, test: date_within, days: \(days)}"
        #expect(try Self.score(p, Self.charge(.paper, dos: a), Self.charge(.ice, dos: b)) == expected)
    }

    @Test(arguments: [
        ("{field: amount, test: amount_within, cents: 100}", Int64(21_240), Int64(21_340), 1.0),
        ("{field: amount, test: amount_within, cents: 99}", 21_240, 21_340, 0.0),
        ("{field: amount, test: amount_within, basis_points: 50}", 21_240, 21_340, 1.0),   // 0.47%
        ("{field: amount, test: amount_within, basis_points: 40}", 21_240, 21_340, 0.0),
        ("{field: amount, test: equal}", 21_240, 21_240, 1.0),
    ])
    func amountPredicates(predicate: String, a: Int64, b: Int64, expected: Double) throws {
        #expect(try Self.score(predicate, Self.charge(.paper, amount: a), Self.charge(.ice, amount: b)) == expected)
    }

    @Test func weightsAndAccept() throws {
        let rules = try MatchRules.shipped(rulesDir: TestSupport.repoRoot.appendingPathComponent("Rules").path)
        let e = MatchEngine(rules: rules)
        let p = Self.charge(.paper, name: "Amy J. Watson", facility: "Maple Grove Care Center")
        // exact name (2) + close name (3) + facility (1) = 6/6
        #expect(e.score(rule: "same-encounter", p, Self.charge(.ice, facility: "MAPLE GROVE CARE CENTER")) == 1)
        // a slipped letter: close name (3) + facility (1) of 6
        let slip = e.score(rule: "same-encounter", p, Self.charge(.ice, name: "WATS0N, AMY", facility: "Maple Grove Care Center"))
        #expect(slip == 4.0 / 6.0)
        // no facility on the ICE side: that test is skipped, 5/5
        #expect(e.score(rule: "same-encounter", p, Self.charge(.ice, facility: "")) == 1)
        // another patient at the same place: only the facility passes, below accept
        let other = e.score(rule: "same-encounter", p, Self.charge(.ice, name: "RIVERA, ANA", facility: "Maple Grove Care Center"))!
        #expect(other < rules.rules[0].accept)
    }
}
