import DocRecon
import Foundation

extension Demo {
    /// Demo step: the paper charges extracted from the sample sheets against the ICE rows of the
    /// sample exports (Samples/ice/ holds one that overlaps the sheets, with one line left out and
    /// one with other units): the matched sets by status, and the ones a person should look at.
    static func matchPaper(db: AppDatabase, dbPath: String) throws {
        print("\n== Matching: paper charges against ICE rows (Rules/matching.yaml)")
        let paper = try db.read { try Int.fetchOne($0, sql: "SELECT COUNT(*) FROM charges WHERE source = 'paper'") ?? 0 }
        guard paper > 0 else {
            print("no paper charges yet (the sheets gave no service lines), nothing to match")
            return
        }
        try Matcher.shipped().refresh(db)
        let counts = try MatchQueries.counts(db)
        print("\(paper) paper charges; sets: " + MatchSetStatus.allCases.map { "\(counts[$0] ?? 0) \($0.rawValue)" }.joined(separator: ", "))
        var review: [MatchedSet] = []
        for s in [MatchSetStatus.paperOnly, .mismatch, .conflict] { review += try MatchQueries.sets(db, status: s) }
        if !review.isEmpty {
            let charges = try db.read { db in try Matcher.loadCharges(db, where: "source = 'paper' OR id IN (SELECT charge_id FROM match_set_members WHERE set_id IN (SELECT id FROM match_sets WHERE status IN ('paper-only', 'mismatch', 'conflict')))") }
            print(SetsText.list(review, charges: charges))
        }
        print("see them with: docrecon --db \(dbPath) sets [--status paper-only|mismatch|conflict] [SET]")
    }
}
