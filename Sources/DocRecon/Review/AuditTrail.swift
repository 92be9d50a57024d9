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

    /// Appends one row (inside the caller's transaction).
    static func append(_ db: Database, action: AuditEntry.Action, reviewer: String, documentId: Int64,
                       recordIndex: Int, lineIndex: Int?, field: String, old: String?, new: String?,
                       reason: String?, forced: Bool, at: Date = Date()) throws {
        let doc = try Row.fetchOne(db, sql: "SELECT original_name, sha256 FROM documents WHERE id = ?", arguments: [documentId])
        try db.execute(sql: """
            INSERT INTO audit (at, reviewer, action, document_id, document_name, document_sha256, record_index, line_index,
                               field, old, new, reason, forced)
            VALUES (?, ?, ?, ?, ?, ?, ?, ?, ?, ?, ?, ?, ?)
            """, arguments: [timestamp(at), reviewer, action.rawValue, documentId, doc?["original_name"] as String? ?? "",
                             doc?["sha256"] as String? ?? "", recordIndex, lineIndex, field, old, new, reason, forced])
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
