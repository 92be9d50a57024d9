import Foundation
import GRDB

/// For the code that writes charges (extraction, corrections, imports): call inside the same
/// transaction, right after the write, so the matched sets follow at once and only the blocks
/// the change touches are matched again. Until matching has run once (or after the rules
/// changed) it does nothing: the next `Matcher.refresh` (run by `sets` and `reconcile`) does the
/// whole work, so a long first ingest never pays for matching page by page.
public enum MatchHooks {
    /// The checkout's Rules/matching.yaml, read once per process (nil when absent or invalid).
    public static let shippedRules: MatchRules? = try? MatchRules.shipped()

    public static func chargesChanged(_ db: Database, _ scopes: [MatchScope], rules: MatchRules? = MatchHooks.shippedRules) throws {
        guard let rules, try db.tableExists("match_state"),
              try String.fetchOne(db, sql: "SELECT rules_fingerprint FROM match_state WHERE id = 1") == rules.fingerprint
        else { return }
        try Matcher(rules: rules).update(in: db, affecting: scopes)
    }
}
