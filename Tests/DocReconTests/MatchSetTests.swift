import Foundation
import GRDB
import Testing
@testable import DocRecon

/// Hand-made charges, one group per status, matched with the shipped rules.
enum MatchFixtures {
    static let rulesDir = TestSupport.repoRoot.appendingPathComponent("Rules").path
    static func matcher() throws -> Matcher { try Matcher.shipped(rulesDir: rulesDir) }

    static func paper(_ id: Int64, doc: Int64, line: Int, _ name: String, dob: String, dos: String,
                      facility: String = "Maple Grove Care Center", cpt: String, units: Int = 1, modifiers: String = "",
                      amount: Int64? = nil) -> Charge {
        Charge(id: id, source: .paper, documentId: doc, recordIndex: 0, lineIndex: line, patientName: name,
               patientDob: CalendarDate(iso: dob), dateOfService: CalendarDate(iso: dos), facility: facility,
               cpt: cpt, modifiers: modifiers, units: units, amount: amount.map { Money(cents: $0) })
    }

    static func ice(_ id: Int64, row: Int, _ name: String, dob: String, dos: String,
                    facility: String = "MAPLE GROVE CARE CENTER", cpt: String, units: Int = 1, modifiers: String = "") -> Charge {
        Charge(id: id, source: .ice, importId: 1, rowNumber: row, patientName: name, patientDob: CalendarDate(iso: dob),
               dateOfService: CalendarDate(iso: dos), facility: facility, cpt: cpt, modifiers: modifiers, units: units)
    }

    /// Charge ids name the scenario: 1x complete, 2x paper-only, 3x ice-only, 4x/5x mismatch,
    /// 6x conflict, 7x multi-code complete, 8x one line of an encounter missing from ICE.
    static let charges: [Charge] = [
        paper(11, doc: 1, line: 0, "Amy J. Watson", dob: "1950-02-03", dos: "2026-11-02", cpt: "99309", modifiers: "25"),
        ice(12, row: 2, "WATSON, AMY", dob: "1950-02-03", dos: "2026-11-02", cpt: "99309", modifiers: "25"),

        paper(21, doc: 2, line: 0, "Ana Rivera", dob: "1944-05-06", dos: "2026-11-02", cpt: "99310"),

        ice(31, row: 3, "LOPEZ, JUAN", dob: "1960-07-08", dos: "2026-11-02", cpt: "99308"),

        paper(41, doc: 4, line: 0, "Tom Baker", dob: "1938-09-10", dos: "2026-11-02", cpt: "99309", units: 2),
        ice(42, row: 4, "BAKER, TOM", dob: "1938-09-10", dos: "2026-11-02", cpt: "99309"),

        paper(51, doc: 5, line: 0, "Lia Chen", dob: "1947-03-04", dos: "2026-11-03", cpt: "99310"),
        ice(52, row: 5, "CHEN, LIA", dob: "1947-03-04", dos: "2026-11-03", cpt: "99309"),

        ice(61, row: 6, "SMITH, JOHN", dob: "1955-01-01", dos: "2026-11-03", cpt: "99309, 99358"),
        paper(62, doc: 6, line: 0, "John Smith", dob: "1955-01-01", dos: "2026-11-03", cpt: "99309"),
        paper(63, doc: 7, line: 0, "Jon Smith", dob: "1955-01-01", dos: "2026-11-03", cpt: "99358"),

        ice(71, row: 7, "KATZ, EVA", dob: "1941-12-24", dos: "2026-11-04", cpt: "99309, 99358"),
        paper(72, doc: 8, line: 0, "Eva Katz", dob: "1941-12-24", dos: "2026-11-04", cpt: "99309"),
        paper(73, doc: 8, line: 1, "Eva Katz", dob: "1941-12-24", dos: "2026-11-04", cpt: "99358"),

        ice(81, row: 8, "NOVAK, IDA", dob: "1939-06-30", dos: "2026-11-04", cpt: "99308"),
        paper(82, doc: 9, line: 0, "Ida Novak", dob: "1939-06-30", dos: "2026-11-04", cpt: "99308"),
        paper(83, doc: 9, line: 1, "Ida Novak", dob: "1939-06-30", dos: "2026-11-04", cpt: "G0439"),
    ]

    static func database() throws -> AppDatabase {
        let db = try AppDatabase.inMemory()
        try MatchBench.insert(charges, into: db)
        return db
    }
}

@Suite struct MatchSetTests {
    let sets: [MatchedSet]
    init() throws {
        let db = try MatchFixtures.database()
        try MatchFixtures.matcher().recomputeAll(db)
        sets = try MatchQueries.sets(db)
    }

    func set(of charge: Int64) -> MatchedSet? { sets.first { $0.members.contains { $0.id == charge } } }

    @Test func complete() throws {
        let s = try #require(set(of: 11))
        #expect(s.status == .complete)
        #expect(s.id == 11)
        #expect(s.members == [MatchMember(kind: .paperCharge, id: 11), MatchMember(kind: .iceRow, id: 12)])
        #expect(s.links.map(\.rule) == ["same-code"])
        #expect(s.links.first?.parentRule == "same-encounter")
        #expect(s.links.first?.parentScore == 1)
        #expect(s.differences.isEmpty && s.conflicts.isEmpty)
    }

    @Test func paperOnly() throws {
        let s = try #require(set(of: 21))
        #expect(s.status == .paperOnly)
        #expect(s.members == [MatchMember(kind: .paperCharge, id: 21)])
        #expect(s.links.isEmpty)
    }

    @Test func iceOnly() throws {
        let s = try #require(set(of: 31))
        #expect(s.status == .iceOnly)
        #expect(s.members == [MatchMember(kind: .iceRow, id: 31)])
    }

    @Test func mismatchOnUnits() throws {
        let s = try #require(set(of: 41))
        #expect(s.status == .mismatch)
        #expect(s.members.map(\.id) == [41, 42])
        #expect(s.differences == [MatchDifference(field: "units", paper: .int(2), ice: .int(1), paperId: 41, iceId: 42)])
    }

    @Test func mismatchOnCode() throws {
        let s = try #require(set(of: 51))
        #expect(s.status == .mismatch)
        #expect(s.members.map(\.id) == [51, 52])
        #expect(s.links.map(\.rule) == ["other-code"])
        #expect(s.differences == [MatchDifference(field: "cpt", paper: .text("99310"), ice: .text("99309"), paperId: 51, iceId: 52)])
    }

    @Test func conflict() throws {
        let s = try #require(set(of: 61))
        #expect(s.status == .conflict)
        #expect(s.members.map(\.id) == [61, 62, 63])
        #expect(s.conflicts == [MatchConflict(field: "patient_name", kind: .paperCharge, values: ["John Smith", "Jon Smith"])])
    }

    @Test func multiCodeIceRowIsOneCompleteSet() throws {
        let s = try #require(set(of: 71))
        #expect(s.status == .complete)
        #expect(s.members.map(\.id) == [71, 72, 73])
        #expect(Set(s.links.map { "\($0.aCode ?? "")" }) == ["99309", "99358"])
    }

    @Test func aLineMissingFromIceIsPaperOnly() throws {
        #expect(set(of: 81)?.status == .complete)
        #expect(set(of: 81)?.members.map(\.id) == [81, 82])
        #expect(set(of: 83)?.status == .paperOnly)
    }

    @Test func everyChargeInExactlyOneSet() {
        let ids = sets.flatMap { $0.members.map(\.id) }
        #expect(ids.count == MatchFixtures.charges.count)
        #expect(Set(ids) == Set(MatchFixtures.charges.compactMap(\.id)))
        #expect(Set(sets.map(\.status)) == Set(MatchSetStatus.allCases))
    }

    @Test func engineAgreesWithStore() throws {
        let pure = try MatchFixtures.matcher().engine.sets(for: MatchFixtures.charges.shuffled())
        #expect(pure == sets)
    }
}

@Suite struct MatchSetsCommandTests {
    @Test func setsJsonAndText() throws {
        let dir = try TestSupport.tempDir("sets")
        let path = dir.appendingPathComponent("db.sqlite").path
        try MatchBench.insert(MatchFixtures.charges, into: try AppDatabase.open(path: path))

        // The sets follow the charges without being told: `sets` matches what is new.
        let r = try TestSupport.run(["--db", path, "sets", "--json"])
        #expect(r.status == 0, "\(r.stderr)")
        let all = try #require(try JSONSerialization.jsonObject(with: Data(r.stdout.utf8)) as? [[String: Any]])
        #expect(all.count == 9)
        let units = try #require(all.first { ($0["id"] as? Int) == 41 })
        #expect(units["status"] as? String == "mismatch")
        let members = try #require(units["members"] as? [[String: Any]])
        #expect(members.map { $0["kind"] as? String } == ["paper_charge", "ice_row"])
        #expect(members.map { $0["id"] as? Int } == [41, 42])
        let diff = try #require((units["differences"] as? [[String: Any]])?.first)
        #expect(diff["field"] as? String == "units")
        #expect(diff["paper"] as? Int == 2)
        #expect(diff["ice"] as? Int == 1)

        let m = try TestSupport.run(["--db", path, "sets", "--status", "conflict", "--json"])
        let conflicts = try #require(try JSONSerialization.jsonObject(with: Data(m.stdout.utf8)) as? [[String: Any]])
        #expect(conflicts.map { $0["id"] as? Int } == [61])

        let one = try TestSupport.run(["--db", path, "sets", "51"])
        #expect(one.status == 0)
        #expect(one.stdout.contains("set 51: mismatch"))
        #expect(one.stdout.contains("cpt 99310→99309"))
        #expect(one.stdout.contains("sheet-5.pdf sheet 1 line 1"))

        let list = try TestSupport.run(["--db", path, "sets"])
        #expect(list.stdout.contains("9 sets: 3 complete, 2 paper-only, 1 ice-only, 2 mismatch, 1 conflict"), "\(list.stdout)")

        let bad = try TestSupport.run(["--db", path, "sets", "--status", "missing"])
        #expect(bad.status != 0)
        #expect(bad.stderr.contains("unknown status 'missing'"))
        let none = try TestSupport.run(["--db", path, "sets", "9999"])
        #expect(none.status != 0)
        #expect(none.stderr.contains("no set 9999"))
    }
}

/// What the shipped `differences:` call a mismatch, pair by pair.
@Suite struct MatchDifferenceTests {
    static func status(paper: Charge, ice: Charge) throws -> (MatchSetStatus, [String]) {
        let sets = try MatchFixtures.matcher().engine.sets(for: [paper, ice])
        return (sets[0].status, sets[0].differences.map(\.field))
    }

    @Test(arguments: [
        // paper (units, modifiers, amount cents), ICE (units, modifiers, amount cents), status, fields
        (1, "25", Int64?.some(10_000), 1, "25", Int64?.none, MatchSetStatus.complete, [String]()),  // ICE has no amount
        (1, "25", 10_000, 1, "25", 10_000, .complete, []),
        (1, "25", 10_000, 1, "25", 10_001, .mismatch, ["amount"]),
        (1, "25", nil, 1, "", nil, .complete, []),              // no Modifier column on the ICE side
        (1, "25", nil, 1, "59", nil, .mismatch, ["modifiers"]),
        (1, "LT, 59", nil, 1, "59,lt", nil, .complete, []),     // order and case of modifiers ignored
        (3, "", nil, 1, "", nil, .mismatch, ["units"]),
    ])
    func pairDifferences(pu: Int, pm: String, pa: Int64?, iu: Int, im: String, ia: Int64?,
                         expected: MatchSetStatus, fields: [String]) throws {
        let p = MatchFixtures.paper(1, doc: 1, line: 0, "Amy Watson", dob: "1950-02-03", dos: "2026-11-02",
                                    cpt: "99309", units: pu, modifiers: pm, amount: pa)
        var i = MatchFixtures.ice(2, row: 2, "WATSON, AMY", dob: "1950-02-03", dos: "2026-11-02", cpt: "99309", units: iu, modifiers: im)
        i.amount = ia.map { Money(cents: $0) }
        let (st, fs) = try Self.status(paper: p, ice: i)
        #expect(st == expected)
        #expect(fs == fields)
    }
}
