import Foundation
import GRDB
import Testing
@testable import DocRecon

/// Incremental updates give exactly what a full recomputation gives, on random sequences of
/// add-paper / add-ICE / correct-a-field / re-extract operations over a small, crowded world
/// (few patients, dates and codes, so blocks collide, multi-code rows and conflicts happen).
@Suite struct MatchIncrementalTests {
    static let people: [(names: [String], dob: String)] = [
        (["WATSON, AMY", "Amy J. Watson", "Amy Wats0n"], "1950-02-03"),
        (["RIVERA, ANA", "Ana Rivera"], "1944-05-06"),
        (["SMITH, JOHN", "John Smith", "Jon Smith"], "1955-01-01"),
        (["SMITH, JOAN", "Joan Smith"], "1955-01-01"),
        (["KATZ, EVA", "Eva Katz"], "1941-12-24"),
    ]
    static let dates = ["2026-11-02", "2026-11-03", "2026-11-04"]
    static let codes = ["99309", "99310", "99358", "G0439"]
    static let facilities = ["Maple Grove Care Center", "Riverside Rehab", ""]

    /// A second rule set whose encounter blocks span dates (DOB only, DOS within a day), so
    /// components reach across the date blocks of the shipped rules.
    static let looseRules = """
        rules:
          - name: near-date
            links: [paper_charge, ice_row]
            blocking: [patient_dob]
            predicates:
              - {field: patient_name, test: jaro_winkler, at_least: 0.85, weight: 2}
              - {field: date_of_service, test: date_within, days: 1, weight: 2}
              - {field: facility, test: levenshtein, at_least: 0.8, weight: 1, when_present: true}
            accept: 0.75
          - name: same-code
            links: [paper_charge, ice_row]
            within: near-date
            blocking: [cpt]
          - name: other-code
            links: [paper_charge, ice_row]
            within: near-date
            blocking: []
            accept: 0
        differences:
          - {field: cpt}
          - {field: units}
          - {field: date_of_service}
          - {field: amount, test: amount_within, basis_points: 100}
        """

    struct World {
        var r: MatchBench.Random
        var nextDoc: Int64 = 1
        var nextImport: Int64 = 1
        var nextRow = 2

        mutating func pick<T>(_ xs: [T]) -> T { xs[Int(r.next() % UInt64(xs.count))] }
        mutating func chance(_ percent: UInt64) -> Bool { r.next() % 100 < percent }

        mutating func charge(_ source: ChargeSource) -> Charge {
            let p = pick(MatchIncrementalTests.people)
            var cpt = pick(MatchIncrementalTests.codes)
            if source == .ice && chance(30) { cpt += ", " + pick(MatchIncrementalTests.codes) }
            return Charge(source: source, patientName: pick(p.names),
                          patientDob: chance(97) ? CalendarDate(iso: p.dob) : nil,
                          dateOfService: CalendarDate(iso: pick(MatchIncrementalTests.dates)),
                          facility: pick(MatchIncrementalTests.facilities), cpt: cpt, units: chance(80) ? 1 : 2,
                          amount: source == .paper && chance(50) ? Money(cents: 10_000 + Int64(r.next() % 300)) : nil)
        }
    }

    func check(_ db: AppDatabase, _ matcher: Matcher, _ context: String) throws {
        let stored = try MatchQueries.sets(db)
        let charges = try db.read { try Charge.fetchAll($0) }
        let full = matcher.engine.sets(for: charges)
        guard stored != full else { return }
        let onlyStored = stored.filter { !full.contains($0) }.prefix(2)
        let onlyFull = full.filter { !stored.contains($0) }.prefix(2)
        Issue.record("incremental ≠ full after \(context): stored only \(onlyStored.map { "\($0.id) \($0.status) \($0.members.map(\.id))" }), full only \(onlyFull.map { "\($0.id) \($0.status) \($0.members.map(\.id))" })")
    }

    @Test(arguments: [(UInt64(1), false), (2, false), (3, true), (4, true), (5, false)])
    func incrementalEqualsFull(seed: UInt64, loose: Bool) throws {
        let rules = loose ? try MatchRules.parse(Self.looseRules) : try MatchRules.shipped(rulesDir: MatchFixtures.rulesDir)
        let matcher = Matcher(rules: rules)
        let db = try AppDatabase.inMemory()
        var w = World(r: MatchBench.Random(seed: seed))
        var ops: [String] = []
        for step in 0..<120 {
            let roll = w.r.next() % 100
            let existing = try db.read { try Int64.fetchAll($0, sql: "SELECT id FROM charges") }
            if roll < 30 {
                // A paper sheet ingested: 1–3 lines of one encounter.
                let doc = w.nextDoc; w.nextDoc += 1
                let first = w.charge(.paper)
                let lines = (0..<Int(1 + w.r.next() % 3)).map { i -> Charge in
                    var c = first
                    c.cpt = w.pick(Self.codes); c.documentId = doc; c.recordIndex = 0; c.lineIndex = i
                    return c
                }
                try db.write { db in
                    var d = Document(id: doc, sha256: String(format: "%064d", doc), originalName: "s\(doc).pdf", originalPath: "",
                                     storedPath: "", kind: .pdf, byteSize: 0, pageCount: 1, status: .extracted)
                    try d.insert(db)
                    for var c in lines { try c.insert(db) }
                }
                try matcher.update(db, affecting: .documents([doc]))
                ops.append("paper doc \(doc)")
            } else if roll < 55 {
                // An ICE export imported: 1–4 rows.
                let imp = w.nextImport; w.nextImport += 1
                var rows: [Charge] = []
                for _ in 0..<(1 + w.r.next() % 4) {
                    var c = w.charge(.ice); c.importId = imp; c.rowNumber = w.nextRow; w.nextRow += 1
                    rows.append(c)
                }
                let batch = rows
                try db.write { db in for var c in batch { try c.insert(db) } }
                try matcher.update(db, affecting: .imports([imp]))
                ops.append("import \(imp)")
            } else if roll < 90, !existing.isEmpty {
                // A reviewer corrects one field of one charge.
                let id = w.pick(existing)
                let field = w.r.next() % 6
                let other = w.charge(.paper)
                try db.write { db in
                    var c = try Charge.fetchOne(db, key: id)!
                    switch field {
                    case 0: c.patientName = other.patientName
                    case 1: c.patientDob = other.patientDob
                    case 2: c.dateOfService = other.dateOfService
                    case 3: c.cpt = other.cpt
                    case 4: c.units = c.units == 1 ? 2 : 1
                    default: c.facility = other.facility
                    }
                    try c.update(db)
                }
                try matcher.update(db, affecting: .charges([id]))
                ops.append("correct \(id).\(field)")
            } else if w.nextDoc > 1 {
                // A document re-extracted: its lines deleted and written again, maybe fewer.
                let doc = Int64(1 + w.r.next() % UInt64(w.nextDoc - 1))
                let drop = w.chance(50) ? 1 : 0
                try db.write { db in
                    let old = try Charge.filter(Column("document_id") == doc).fetchAll(db)
                    try Charge.filter(Column("document_id") == doc).deleteAll(db)
                    for var c in old.dropLast(drop) { c.id = nil; try c.insert(db) }
                }
                try matcher.update(db, affecting: .documents([doc]))
                ops.append("re-extract \(doc)")
            }
            if step % 10 == 9 { try check(db, matcher, ops.suffix(10).joined(separator: ", ")) }
        }
        try check(db, matcher, "the whole sequence")
        let incremental = try MatchQueries.sets(db)
        // The world must have been crowded enough to exercise links, mismatches and conflicts.
        let statuses = Set(incremental.map(\.status))
        #expect(statuses.isSuperset(of: [.complete, .mismatch, .paperOnly, .iceOnly]), "\(statuses)")
        try matcher.recomputeAll(db)
        #expect(try MatchQueries.sets(db) == incremental)
        #expect(try db.read { try Int.fetchOne($0, sql: "SELECT COUNT(*) FROM match_keys") ?? 0 } > 0)
    }

    @Test func updateRematchesOnlyTheAffectedBlock() throws {
        let db = try MatchFixtures.database()
        let m = try MatchFixtures.matcher()
        try m.recomputeAll(db)
        try db.write { db in try db.execute(sql: "UPDATE charges SET units = 1 WHERE id = 41") }
        let s = try m.update(db, affecting: .charges([41]))
        #expect(!s.full)
        #expect(s.chargesMatched == 2)    // Tom Baker's block: his paper line and ICE row
        #expect(try MatchQueries.sets(db).first { $0.id == 41 }?.status == .complete)
    }

    @Test func refreshFindsChangesNobodyAnnounced() throws {
        let db = try MatchFixtures.database()
        let m = try MatchFixtures.matcher()
        try m.recomputeAll(db)
        #expect(try m.refresh(db).chargesMatched == 0)
        try db.write { db in
            try db.execute(sql: "UPDATE charges SET cpt = '99309' WHERE id = 51")
            try db.execute(sql: "DELETE FROM charges WHERE id = 21")
        }
        let s = try m.refresh(db)
        #expect(s.chargesMatched == 2)
        let sets = try MatchQueries.sets(db)
        #expect(sets.first { $0.id == 51 }?.status == .complete)
        #expect(!sets.contains { $0.members.contains { $0.id == 21 } })
        #expect(sets == m.engine.sets(for: try db.read { try Charge.fetchAll($0) }))
    }

    @Test func changedRulesMeanFullRecomputation() throws {
        let db = try MatchFixtures.database()
        try MatchFixtures.matcher().recomputeAll(db)
        let other = Matcher(rules: try MatchRules.parse(Self.looseRules))
        let s = try other.update(db, affecting: .charges([11]))
        #expect(s.full)
        #expect(try MatchQueries.sets(db) == other.engine.sets(for: MatchFixtures.charges))
    }
}

@Suite struct MatchHooksTests {
    @Test func hookFollowsAChangeOnceMatchingHasRun() throws {
        let db = try MatchFixtures.database()
        let rules = try MatchRules.shipped(rulesDir: MatchFixtures.rulesDir)
        // Never matched: the hook leaves the work to the first refresh.
        try db.write { db in try MatchHooks.chargesChanged(db, [.charges([41])], rules: rules) }
        #expect(try MatchQueries.sets(db).isEmpty)
        try Matcher(rules: rules).recomputeAll(db)
        try db.write { db in
            try db.execute(sql: "UPDATE charges SET units = 1 WHERE id = 41")
            try MatchHooks.chargesChanged(db, [.documents([4])], rules: rules)
        }
        #expect(try MatchQueries.sets(db).first { $0.id == 41 }?.status == .complete)
    }
}
