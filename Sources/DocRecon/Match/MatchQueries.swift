import Foundation
import GRDB

/// Reads the stored matched sets (what `docrecon sets` prints).
public enum MatchQueries {
    public static func sets(_ db: AppDatabase, status: MatchSetStatus? = nil) throws -> [MatchedSet] {
        try db.read { try sets(in: $0, status: status) }
    }

    public static func sets(in db: Database, status: MatchSetStatus? = nil, ids: [Int64]? = nil) throws -> [MatchedSet] {
        var sql = "SELECT id, status, differences_json, conflicts_json FROM match_sets"
        var args = StatementArguments()
        var conditions: [String] = []
        if let status { conditions.append("status = ?"); args += [status.rawValue] }
        if let ids { conditions.append("id IN (\(ids.map(String.init).joined(separator: ",")))") }
        if !conditions.isEmpty { sql += " WHERE " + conditions.joined(separator: " AND ") }
        sql += " ORDER BY id"
        let dec = JSON.decoder()
        var out: [MatchedSet] = []
        var index: [Int64: Int] = [:]
        for row in try Row.fetchAll(db, sql: sql, arguments: args) {
            let id: Int64 = row["id"]
            let statusText: String = row["status"]
            guard let st = MatchSetStatus(rawValue: statusText) else { continue }
            let diffs = try dec.decode([MatchDifference].self, from: Data((row["differences_json"] as String).utf8))
            let confl = try dec.decode([MatchConflict].self, from: Data((row["conflicts_json"] as String).utf8))
            index[id] = out.count
            out.append(MatchedSet(id: id, status: st, members: [], links: [], differences: diffs, conflicts: confl))
        }
        if out.isEmpty { return out }
        let filter = (status != nil || ids != nil) ? " WHERE set_id IN (SELECT id FROM match_sets" + (conditions.isEmpty ? "" : " WHERE " + conditions.joined(separator: " AND ")) + ")" : ""
        for row in try Row.fetchAll(db, sql: "SELECT set_id, charge_id, kind FROM match_set_members\(filter) ORDER BY set_id, charge_id", arguments: args) {
            guard let i = index[row["set_id"]], let kind = MatchKind(rawValue: row["kind"]) else { continue }
            out[i].members.append(MatchMember(kind: kind, id: row["charge_id"]))
        }
        for row in try Row.fetchAll(db, sql: """
            SELECT set_id, rule, a_kind, a_id, b_kind, b_id, a_code, b_code, score, parent_rule, parent_score
            FROM match_links\(filter) ORDER BY set_id, a_id, b_id, a_code, b_code
            """, arguments: args) {
            guard let i = index[row["set_id"]], let ak = MatchKind(rawValue: row["a_kind"]), let bk = MatchKind(rawValue: row["b_kind"]) else { continue }
            out[i].links.append(MatchLink(rule: row["rule"], a: MatchMember(kind: ak, id: row["a_id"]),
                                          b: MatchMember(kind: bk, id: row["b_id"]), aCode: row["a_code"], bCode: row["b_code"],
                                          score: row["score"], parentRule: row["parent_rule"], parentScore: row["parent_score"]))
        }
        return out
    }

    /// One set with its member charges, or nil.
    public static func set(_ db: AppDatabase, id: Int64) throws -> (set: MatchedSet, charges: [Charge])? {
        try db.read { db in
            guard let s = try sets(in: db, ids: [id]).first else { return nil }
            let charges = try Charge.filter(keys: s.members.map(\.id)).order(Column("id")).fetchAll(db)
            return (s, charges)
        }
    }

    /// The set a charge belongs to.
    public static func setId(ofCharge id: Int64, in db: Database) throws -> Int64? {
        try Int64.fetchOne(db, sql: "SELECT set_id FROM match_set_members WHERE charge_id = ?", arguments: [id])
    }

    /// Number of sets per status.
    public static func counts(_ db: AppDatabase) throws -> [MatchSetStatus: Int] {
        try db.read { db in
            var out: [MatchSetStatus: Int] = [:]
            for row in try Row.fetchAll(db, sql: "SELECT status, COUNT(*) AS n FROM match_sets GROUP BY status") {
                if let s = MatchSetStatus(rawValue: row["status"]) { out[s] = row["n"] }
            }
            return out
        }
    }
}
