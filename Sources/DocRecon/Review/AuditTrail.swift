import Foundation
import GRDB

/// One row of the append-only audit trail (table `audit`, migration "v6-review").
/// `record` and `line` are 1-based, as people count them (`fields` prints them so).
public struct AuditEntry: Codable, Sendable, Equatable {
    public enum Action: String, Codable, Sendable { case correct, accept }
    public var id: Int64
    public var document: Int64
    public var documentName: String
    public var field: String
    public var record: Int
    public var line: Int?
    public var old: String?
    public var new: String?
    public var reviewer: String
    public var at: String
    public var reason: String?
    public var action: Action
    public var forced: Bool

    enum CodingKeys: String, CodingKey {
        case id, document, documentName, field, record, line, old, new, reviewer, at, reason, action, forced
    }

    /// DESIGN.md `audit --json` shape: every key present, `null` where there is no value.
    public func encode(to encoder: Encoder) throws {
        var c = encoder.container(keyedBy: CodingKeys.self)
        try c.encode(id, forKey: .id); try c.encode(document, forKey: .document)
        try c.encode(documentName, forKey: .documentName); try c.encode(field, forKey: .field)
        try c.encode(record, forKey: .record); try c.encode(line, forKey: .line)
        try c.encode(old, forKey: .old); try c.encode(new, forKey: .new)
        try c.encode(reviewer, forKey: .reviewer); try c.encode(at, forKey: .at)
        try c.encode(reason, forKey: .reason); try c.encode(action, forKey: .action); try c.encode(forced, forKey: .forced)
    }

    init(row: Row) {
        id = row["id"]; document = row["document_id"]; documentName = row["document_name"]
        field = row["field"]; record = (row["record_index"] as Int) + 1
        line = (row["line_index"] as Int?).map { $0 + 1 }
        old = row["old"]; new = row["new"]; reviewer = row["reviewer"]; at = row["at"]; reason = row["reason"]
        action = Action(rawValue: row["action"]) ?? .correct; forced = row["forced"]
    }
}

public enum AuditTrail {
    /// `2026-11-22T10:00:00Z`: ISO-8601, UTC, whole seconds.
    public static func timestamp(_ date: Date = Date()) -> String {
        let f = ISO8601DateFormatter()
        f.formatOptions = [.withInternetDateTime]
        f.timeZone = TimeZone(identifier: "UTC")
        return f.string(from: date)
    }

    /// Who is reviewing: `--reviewer`, else `$DOCRECON_REVIEWER`, else the OS user.
    public static func reviewer(explicit: String?, environment: [String: String] = ProcessInfo.processInfo.environment) -> String {
        if let e = explicit?.trimmingCharacters(in: .whitespaces), !e.isEmpty { return e }
        if let e = environment["DOCRECON_REVIEWER"]?.trimmingCharacters(in: .whitespaces), !e.isEmpty { return e }
        if let pw = getpwuid(geteuid()), let name = pw.pointee.pw_name { return String(cString: name) }
        return environment["USER"] ?? "unknown"
    }

    /// Appends one row (inside the caller's transaction), chained to the row before it.
    static func append(_ db: Database, action: AuditEntry.Action, reviewer: String, documentId: Int64,
                       recordIndex: Int, lineIndex: Int?, field: String, old: String?, new: String?,
                       reason: String?, forced: Bool, at: Date = Date()) throws {
        let doc = try Row.fetchOne(db, sql: "SELECT original_name, sha256 FROM documents WHERE id = ?", arguments: [documentId])
        // The id AUTOINCREMENT would give, known before the insert because the hash covers it.
        let seq = try Int64.fetchOne(db, sql: "SELECT seq FROM sqlite_sequence WHERE name = 'audit'") ?? 0
        let maxId = try Int64.fetchOne(db, sql: "SELECT MAX(id) FROM audit") ?? 0
        let prev = try String.fetchOne(db, sql: "SELECT row_hash FROM audit ORDER BY id DESC LIMIT 1") ?? AuditChain.genesis
        let row = AuditChain.Fields(id: max(seq, maxId) + 1, at: timestamp(at), reviewer: reviewer, action: action.rawValue,
                                    documentId: documentId, documentName: doc?["original_name"] as String? ?? "",
                                    documentSha256: doc?["sha256"] as String? ?? "", recordIndex: Int64(recordIndex),
                                    lineIndex: lineIndex.map(Int64.init), field: field, old: old, new: new, reason: reason,
                                    forced: forced, prevHash: prev)
        let hash = row.hash()
        try db.execute(sql: """
            INSERT INTO audit (id, at, reviewer, action, document_id, document_name, document_sha256, record_index, line_index,
                               field, old, new, reason, forced, prev_hash, row_hash)
            VALUES (?, ?, ?, ?, ?, ?, ?, ?, ?, ?, ?, ?, ?, ?, ?, ?)
            """, arguments: [row.id, row.at, row.reviewer, row.action, row.documentId, row.documentName, row.documentSha256,
                             row.recordIndex, row.lineIndex, row.field, row.old, row.new, row.reason, row.forced, prev, hash])
    }

    /// The trail, oldest first, optionally for one document.
    public static func entries(_ db: Database, documentId: Int64? = nil) throws -> [AuditEntry] {
        if let documentId {
            return try Row.fetchAll(db, sql: "SELECT * FROM audit WHERE document_id = ? ORDER BY id", arguments: [documentId]).map(AuditEntry.init)
        }
        return try Row.fetchAll(db, sql: "SELECT * FROM audit ORDER BY id").map(AuditEntry.init)
    }

    public static func entries(_ db: AppDatabase, documentId: Int64? = nil) throws -> [AuditEntry] {
        try db.read { try entries($0, documentId: documentId) }
    }

    /// The human table of `docrecon audit`.
    public static func table(_ entries: [AuditEntry]) -> String {
        if entries.isEmpty { return "no corrections or acceptances yet" }
        let rows = entries.map { e in
            [e.at, e.reviewer, e.action.rawValue + (e.forced ? "!" : ""), "\(e.document) \(e.documentName)", String(e.record),
             e.line.map(String.init) ?? "", e.field, e.old ?? "-", e.new ?? "-", e.reason ?? ""]
        }
        return TextTable.render(header: ["at", "reviewer", "action", "document", "rec", "line", "field", "old", "new", "reason"], rows: rows)
    }
}

/// The audit trail as a hash chain (issue 21): each row carries the SHA-256 of its own contents and
/// of the row before it, so a row changed, deleted or inserted with the append-only triggers
/// dropped is found by `docrecon audit --verify`. A chain in the same file can be rewritten whole
/// by someone who knows how; `--verify` prints the head hash, so that a head kept elsewhere (a
/// mail, a log) also shows a trail rewritten whole. `docrecon run` verifies before it starts.
public enum AuditChain {
    public static let genesis = String(repeating: "0", count: 64)

    /// What a row's hash covers: every column but the hash itself.
    struct Fields {
        var id: Int64
        var at: String
        var reviewer: String
        var action: String
        var documentId: Int64
        var documentName: String
        var documentSha256: String
        var recordIndex: Int64
        var lineIndex: Int64?
        var field: String
        var old: String?
        var new: String?
        var reason: String?
        var forced: Bool
        var prevHash: String

        /// Each value length-prefixed (`~` for NULL), so no two rows encode alike.
        func hash() -> String {
            let parts: [String?] = [String(id), at, reviewer, action, String(documentId), documentName, documentSha256,
                                    String(recordIndex), lineIndex.map { String($0) }, field, old, new, reason,
                                    forced ? "1" : "0", prevHash]
            let text = parts.map { $0.map { "\($0.utf8.count):\($0)" } ?? "~" }.joined(separator: "|")
            return SHA256.hexDigest(of: Array(text.utf8))
        }
    }

    public struct Verification: Sendable, Equatable {
        public var rows: Int
        /// The last row's hash (the genesis value for an empty trail).
        public var head: String
        /// The first row found broken, and how.
        public var brokenRow: Int64?
        public var problem: String?
        public var intact: Bool { problem == nil }
    }

    /// Walks the trail oldest first and stops at the first row that does not hold.
    public static func verify(_ db: Database) throws -> Verification {
        var prev = genesis
        var count = 0
        var lastId: Int64 = 0
        let rows = try Row.fetchCursor(db, sql: "SELECT * FROM audit ORDER BY id")
        while let row = try rows.next() {
            let f = Fields(row: row)
            let stored: String? = row["row_hash"]
            if f.prevHash != prev {
                let what = f.id == lastId + 1
                    ? "row \(f.id) does not follow row \(lastId): it was inserted, or the row it followed was changed"
                    : "row \(f.id) does not follow row \(lastId): the rows between them were deleted, or it was inserted"
                return Verification(rows: count, head: prev, brokenRow: f.id, problem: what)
            }
            if stored != f.hash() {
                return Verification(rows: count, head: prev, brokenRow: f.id,
                                    problem: "row \(f.id) was changed or inserted: its contents do not match its hash")
            }
            prev = stored!
            lastId = f.id
            count += 1
        }
        // AUTOINCREMENT remembers the highest id ever given: rows deleted from the end show there.
        let seq = try Int64.fetchOne(db, sql: "SELECT seq FROM sqlite_sequence WHERE name = 'audit'") ?? 0
        if seq > lastId {
            return Verification(rows: count, head: prev, brokenRow: lastId + 1,
                                problem: "rows \(lastId + 1)-\(seq) were deleted from the end of the trail")
        }
        return Verification(rows: count, head: prev, brokenRow: nil, problem: nil)
    }

    public static func verify(_ db: AppDatabase) throws -> Verification { try db.read { try verify($0) } }

    /// Gives every row its hashes (migration v14, for trails written before the chain).
    static func backfill(_ db: Database) throws {
        var prev = genesis
        let rows = try Row.fetchAll(db, sql: "SELECT * FROM audit ORDER BY id")
        for row in rows {
            var f = Fields(row: row)
            f.prevHash = prev
            let h = f.hash()
            try db.execute(sql: "UPDATE audit SET prev_hash = ?, row_hash = ? WHERE id = ?", arguments: [prev, h, f.id])
            prev = h
        }
    }
}

extension AuditChain.Fields {
    /// A stored audit row (its memberwise initialiser stays the one Swift writes).
    init(row: Row) {
        self.init(id: row["id"], at: row["at"], reviewer: row["reviewer"], action: row["action"],
                  documentId: row["document_id"], documentName: row["document_name"], documentSha256: row["document_sha256"],
                  recordIndex: row["record_index"], lineIndex: row["line_index"], field: row["field"], old: row["old"],
                  new: row["new"], reason: row["reason"], forced: row["forced"], prevHash: row["prev_hash"] ?? "")
    }
}
