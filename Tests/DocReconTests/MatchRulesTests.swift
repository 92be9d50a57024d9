import Foundation
import Testing
@testable import DocRecon

@Suite struct MatchRulesTests {
    @Test func shippedRulesLoad() throws {
        let r = try MatchRules.shipped(rulesDir: TestSupport.repoRoot.appendingPathComponent("Rules").path)
        #expect(r.rules.map(\.name) == ["same-encounter", "same-code", "other-code"])
        #expect(r.rootRules.map(\.name) == ["same-encounter"])
        #expect(r.rules[0].blocking == [.patientDob, .dateOfService])
        #expect(r.rules[0].predicates.contains { $0.test == .jaroWinkler(atLeast: 0.9) && $0.field == .patientName })
        #expect(r.lineRules(within: "same-encounter").map(\.name) == ["same-code", "other-code"])
        #expect(r.differences.map(\.field) == [.cpt, .units, .modifiers, .amount])
    }

    @Test func inactiveKindsAreLoadedButNotRun() throws {
        let r = try MatchRules.parse("""
            rules:
              - name: ebs
                links: [ice_row, ebs_charge]
                blocking: [patient_dob]
              - name: p
                links: [paper_charge, ice_row]
                blocking: [patient_dob]
            """)
        #expect(r.rules.count == 2)
        #expect(r.activeRules.map(\.name) == ["p"])
    }

    static let header = "rules:\n  - name: r\n    links: [paper_charge, ice_row]\n"

    @Test(arguments: [
        (header + "    blocking: [patient_dob]\n    predicates:\n      - {field: facility, test: jarowinkler, at_least: 0.9}\n", 6, "unknown test 'jarowinkler'"),
        (header + "    blocking: [patient_dob, date_of_sevice]\n", 4, "unknown field 'date_of_sevice'"),
        ("rules:\n  - name: r\n    links: [paper_charge, ice_rows]\n    blocking: [cpt]\n", 3, "unknown kind 'ice_rows'"),
        (header + "    blocking: [patient_dob]\n    accept: 1.5\n", 5, "accept must be between 0.0 and 1.0"),
        (header + "    blocking: [patient_dob]\n    predicates:\n      - {field: amount, test: amount_within}\n", 6, "needs cents: N or basis_points: N"),
        (header + "    blocking: [patient_dob]\n    predicates:\n      - {field: amount, test: amount_within, cents: 1.5}\n", 6, "cents must be a whole number"),
        (header + "    blocking: [patient_dob]\n    predicates:\n      - {field: units, test: date_within, days: 1}\n", 6, "date_within works on dates"),
        (header + "    blocking: []\n", 4, "has no blocking keys"),
        (header + "    blocking: [cpt]\n  - name: l\n    links: [paper_charge, ice_row]\n    within: nope\n    blocking: []\n", 7, "within names no rule 'nope'"),
        (header + "    blocking: [cpt]\n    colour: blue\n", 5, "unknown key 'colour'"),
        (header + "    blocking: [cpt]\n" + header.dropFirst(7) + "    blocking: [cpt]\n", 5, "two rules are named 'r'"),
        ("rules:\n  - name: r\n    links: [paper_charge, ice_row\n", 4, "not valid YAML"),
        ("rules: []\n", 1, "no rules"),
    ])
    func errorsNameFileAndLine(yaml: String, line: Int, message: String) {
        do {
            _ = try MatchRules.parse(yaml, file: "matching.yaml")
            Issue.record("accepted bad rules: \(yaml)")
        } catch let e as MatchRulesError {
            #expect(e.file == "matching.yaml")
            #expect(e.line == line, "\(e)")
            #expect(e.description.contains(message), "\(e)")
            #expect(e.description.hasPrefix("matching.yaml line \(line): "))
        } catch {
            Issue.record("unexpected error \(error)")
        }
    }
}
