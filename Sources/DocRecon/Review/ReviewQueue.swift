import Foundation
import GRDB

/// One value waiting for a person: a record field or a service-line cell.
public struct ReviewItem: Sendable, Equatable {
    public var key: FieldKey
    public var documentName: String
    public var type: FieldType
    public var value: String?
    public var raw: String
    public var page: Int
    public var box: Box?
    public var confidence: Double
    public var status: String
    /// What the extractor said about it (nil when it had nothing to say).
    public var problem: String?
    public var skipped: Bool

    /// Human form of the value (lists as `A, B`).
    public var displayValue: String {
        guard let value else { return "(none)" }
        let d = FieldValue.fromStorage(value, type: type).description
        return d.isEmpty ? "(none)" : d
    }
}

/// Narrows the queue (`review --doc --field --below`).
public struct ReviewFilter: Sendable {
    public var documentId: Int64?
    public var field: String?
    /// Values below this confidence are queued even when their status is fine.
    public var below: Double
    /// Also queue what this reviewer skipped before (after the rest).
    public var includeSkipped: Bool
    public var reviewer: String

    /// The extractor's default `review_confidence` (Rules/ templates may set their own).
    public static let defaultThreshold = 0.6

    public init(documentId: Int64? = nil, field: String? = nil, below: Double = ReviewFilter.defaultThreshold,
                includeSkipped: Bool = false, reviewer: String) {
        self.documentId = documentId; self.field = field; self.below = below
        self.includeSkipped = includeSkipped; self.reviewer = reviewer
    }
}

public enum ReviewQueue {
    /// Everything that needs a person: status `needs_review`, or confidence below the threshold
    /// (corrected and accepted values never), lowest confidence first. What this reviewer
    /// skipped stays out (or comes last with `includeSkipped`). Accepted and corrected values
    /// leave it, so a new session resumes where the last one stopped.
    public static func items(_ db: Database, _ f: ReviewFilter) throws -> [ReviewItem] {
        var out: [ReviewItem] = []
        for table in ["fields", "lines"] {
            let line = table == "lines" ? "v.line_index" : "-1"
            var sql = """
                SELECT v.*, \(line) AS li, d.original_name AS document_name,
                       EXISTS (SELECT 1 FROM review_skips s WHERE s.reviewer = ? AND s.document_id = v.document_id
                               AND s.record_index = v.record_index AND s.line_index = \(line) AND s.field = v.name) AS skipped
                FROM \(table) v JOIN documents d ON d.id = v.document_id
                WHERE v.status != 'corrected' AND (v.status = 'needs_review' OR v.confidence < ?)
                """
            var args: StatementArguments = [f.reviewer, f.below]
            if let d = f.documentId { sql += " AND v.document_id = ?"; args += [d] }
            if let n = f.field { sql += " AND v.name = ?"; args += [n] }
            for row in try Row.fetchAll(db, sql: sql, arguments: args) {
                let skipped: Bool = row["skipped"]
                if skipped && !f.includeSkipped { continue }
                let li: Int = row["li"]
                let x0: Int? = row["x0"], y0: Int? = row["y0"], x1: Int? = row["x1"], y1: Int? = row["y1"]
                var box: Box?
                if let x0, let y0, let x1, let y1 { box = Box(x0, y0, x1, y1) }
                out.append(ReviewItem(
                    key: FieldKey(documentId: row["document_id"], recordIndex: row["record_index"], lineIndex: li < 0 ? nil : li, name: row["name"]),
                    documentName: row["document_name"], type: FieldType(rawValue: row["type"]) ?? .text, value: row["value"],
                    raw: row["raw"], page: row["page"], box: box, confidence: row["confidence"], status: row["status"],
                    problem: row["problem"], skipped: skipped))
            }
        }
        return out.sorted { a, b in
            if a.skipped != b.skipped { return !a.skipped }
            if a.confidence != b.confidence { return a.confidence < b.confidence }
            if a.key.documentId != b.key.documentId { return a.key.documentId < b.key.documentId }
            if a.key.recordIndex != b.key.recordIndex { return a.key.recordIndex < b.key.recordIndex }
            if (a.key.lineIndex ?? -1) != (b.key.lineIndex ?? -1) { return (a.key.lineIndex ?? -1) < (b.key.lineIndex ?? -1) }
            return a.key.name < b.key.name
        }
    }

    public static func items(_ db: AppDatabase, _ f: ReviewFilter) throws -> [ReviewItem] {
        try db.read { try items($0, f) }
    }

    /// Remembers that `reviewer` skipped an item (it stays out of their queue).
    public static func skip(_ db: AppDatabase, _ key: FieldKey, reviewer: String) throws {
        try db.write { db in
            try db.execute(sql: """
                INSERT OR REPLACE INTO review_skips (reviewer, document_id, record_index, line_index, field, skipped_at)
                VALUES (?, ?, ?, ?, ?, ?)
                """, arguments: [reviewer, key.documentId, key.recordIndex, key.lineIndex ?? -1, key.name, AuditTrail.timestamp()])
        }
    }

    /// The current state of one item (after a correction, or for `b`ack).
    public static func current(_ db: AppDatabase, _ key: FieldKey) throws -> ReviewItem? {
        try db.read { db -> ReviewItem? in
            guard let row = try Corrections.row(db, key) else { return nil }
            let doc = try String.fetchOne(db, sql: "SELECT original_name FROM documents WHERE id = ?", arguments: [key.documentId]) ?? ""
            let x0: Int? = row["x0"], y0: Int? = row["y0"], x1: Int? = row["x1"], y1: Int? = row["y1"]
            var box: Box?
            if let x0, let y0, let x1, let y1 { box = Box(x0, y0, x1, y1) }
            return ReviewItem(key: key, documentName: doc, type: FieldType(rawValue: row["type"]) ?? .text, value: row["value"],
                              raw: row["raw"], page: row["page"], box: box, confidence: row["confidence"], status: row["status"],
                              problem: row["problem"], skipped: false)
        }
    }

    /// Why the item is in the queue, in words: the extractor's reason, what the validators say
    /// about the raw text now, the record's cross-checks that involve it, and low confidence.
    public static func reasons(_ db: Database, _ item: ReviewItem, threshold: Double) throws -> [String] {
        var out: [String] = []
        if let p = item.problem, !p.isEmpty { out.append(p) }
        // What the validators say about the text it was read from.
        if item.value == nil || item.status == "needs_review" {
            let raw = item.raw.trimmingCharacters(in: .whitespaces)
            if !raw.isEmpty, item.type != .text, item.type != .name, item.type != .icd10List, item.type != .modifierList,
               FieldValues.normalize(raw, type: item.type) == nil {
                let why = ValueCheck.reason(raw, type: item.type)
                if !out.contains(where: { $0.contains(why) || why.contains($0) }) { out.append(why) }
            }
        }
        if item.key.name == "total_charge" || item.key.name == "charge" {
            let fs = try ExtractionStore.fields(db, documentId: item.key.documentId).filter { $0.recordIndex == item.key.recordIndex }
            let ls = try ExtractionStore.lines(db, documentId: item.key.documentId).filter { $0.recordIndex == item.key.recordIndex }
            if let m = RecordChecks.totalMismatch(fields: fs, lines: ls), !out.contains(where: { $0.contains("sum of") }) { out.append(m) }
        }
        if item.confidence < threshold, !out.contains(where: { $0.contains("confidence") }) {
            out.append(String(format: "read with confidence %.2f (below %.2f)", item.confidence, threshold))
        }
        if out.isEmpty { out.append("flagged for review") }
        return out
    }

    /// The words around the value on its page, as lines of text; the value's own words are
    /// in [brackets].
    public static func context(_ db: Database, _ item: ReviewItem, marginX: Int = 450, linesAround: Int = 2) throws -> [String] {
        guard let box = item.box,
              let pageId = try Int64.fetchOne(db, sql: "SELECT id FROM pages WHERE document_id = ? AND number = ?",
                                              arguments: [item.key.documentId, item.page]) else { return [] }
        let h = max(box.height, 20)
        let region = Box(box.x0 - marginX, box.y0 - h * (linesAround * 2), box.x1 + marginX, box.y1 + h * (linesAround * 2))
        let words = try Word.filter(Column("page_id") == pageId).fetchAll(db).filter { w in
            w.box.midX >= Double(region.x0) && w.box.midX <= Double(region.x1) && w.box.midY >= Double(region.y0) && w.box.midY <= Double(region.y1)
        }
        // Rows: words whose vertical centres are within half a word height of each other.
        var rows: [[Word]] = []
        for w in words.sorted(by: { $0.box.midY < $1.box.midY }) {
            if let last = rows.last?.last, abs(last.box.midY - w.box.midY) < Double(max(last.box.height, w.box.height)) / 2 {
                rows[rows.count - 1].append(w)
            } else {
                rows.append([w])
            }
        }
        return rows.map { row in
            row.sorted { $0.x0 < $1.x0 }.map { w in
                let inside = w.box.midX >= Double(box.x0) && w.box.midX <= Double(box.x1) && w.box.midY >= Double(box.y0) && w.box.midY <= Double(box.y1)
                return inside ? "[\(w.text)]" : w.text
            }.joined(separator: " ")
        }
    }
}
