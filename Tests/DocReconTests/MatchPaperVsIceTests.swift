import Foundation
import GRDB
import Testing
@testable import DocRecon

@Suite struct MatchPaperVsIceTests {
    /// The fixtures, matched, with extraction cells (page, confidence) for two paper lines.
    static func database() throws -> AppDatabase {
        let db = try MatchFixtures.database()
        try db.write { db in
            let cells: [(Int64, Int, String, String, Int, Double)] = [
                (4, 0, "units", "2", 1, 0.62), (4, 0, "code", "99309", 1, 0.97),
                (2, 0, "code", "99310", 1, 0.91), (9, 1, "code", "G0439", 2, 0.88),
            ]
            for (doc, line, name, value, page, conf) in cells {
                try db.execute(sql: """
                    INSERT INTO lines (document_id, record_index, line_index, name, type, value, raw, page, confidence, status,
                      template, rule, updated_at) VALUES (?, 0, ?, ?, 'text', ?, ?, ?, ?, 'ok', 't', 'r', ?)
                    """, arguments: [doc, line, name, value, value, page, conf, Date()])
            }
        }
        try MatchFixtures.matcher().recomputeAll(db)
        return db
    }

    @Test func paperOnlyAndMismatchRows() throws {
        let db = try Self.database()
        let rows = try db.read { try PaperVsIce.rows($0) }
        // paper-only: Ana Rivera's line and Ida Novak's second line; mismatches: units (Baker),
        // code (Chen). Complete and ICE-only sets give no row.
        #expect(rows.map(\.document) == ["sheet-2.pdf", "sheet-4.pdf", "sheet-5.pdf", "sheet-9.pdf"])
        let units = try #require(rows.first { $0.field == "units" })
        #expect(units.status == "mismatch")
        #expect(units.paperValue == "2" && units.iceValue == "1")
        #expect(units.page == 1 && units.confidence == 0.62)
        #expect(units.iceRow == 4)
        #expect(units.sheet == 1 && units.line == 1)
        let code = try #require(rows.first { $0.field == "cpt" })
        #expect(code.paperValue == "99310" && code.iceValue == "99309")
        #expect(code.confidence == nil)    // no extraction cell stored for that line
        let novak = try #require(rows.first { $0.document == "sheet-9.pdf" })
        #expect(novak.status == "paper-only" && novak.field == nil)
        #expect(novak.cpt == "G0439" && novak.line == 2 && novak.page == 2 && novak.confidence == 0.88)
    }

    @Test func exceptionsListEveryMemberOfAConflict() throws {
        let db = try Self.database()
        let rows = try db.read { try PaperVsIce.exceptions($0) }
        #expect(rows.map(\.chargeId) == [61, 62, 63])
        #expect(rows.allSatisfy { $0.setId == 61 && $0.disagreement == "patient_name: John Smith / Jon Smith" })
        #expect(rows[1].source == "sheet-6.pdf sheet 1 line 1")
    }

    @Test func nothingWithoutPaper() throws {
        let db = try AppDatabase.inMemory()
        try MatchBench.insert(MatchFixtures.charges.filter { $0.source == .ice }, into: db)
        try MatchFixtures.matcher().recomputeAll(db)
        let (has, rows, exceptions) = try db.read { db in
            (try PaperVsIce.hasPaperCharges(db), try PaperVsIce.rows(db), try PaperVsIce.exceptions(db))
        }
        #expect(!has)
        #expect(rows.isEmpty)
        #expect(exceptions.isEmpty)
    }
}
