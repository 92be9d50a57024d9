import Foundation
import GRDB

/// One stored field or line cell (tables `fields` and `lines`).
public struct StoredValue: Sendable, Equatable {
    public var recordIndex: Int
    public var lineIndex: Int?
    public var name: String
    public var type: FieldType
    public var value: FieldValue?
    public var raw: String
    public var page: Int
    public var box: Box?
    public var confidence: Double
    public var status: ParseOutcome.Status
    public var problem: String?
    public var template: String
    public var rule: String
    public var secondLook: String?
    /// For corrected values: what extraction had produced.
    public var extractedValue: String?

    init(row: Row, hasLine: Bool) {
        recordIndex = row["record_index"]
        lineIndex = hasLine ? row["line_index"] : nil
        name = row["name"]
        type = FieldType(rawValue: row["type"]) ?? .text
        let v: String? = row["value"]
        let t = type
        value = v.map { FieldValue.fromStorage($0, type: t) }
        raw = row["raw"]; page = row["page"]
        let x0: Int? = row["x0"], y0: Int? = row["y0"], x1: Int? = row["x1"], y1: Int? = row["y1"]
        if let x0, let y0, let x1, let y1 { box = Box(x0, y0, x1, y1) } else { box = nil }
        confidence = row["confidence"]
        status = ParseOutcome.Status(rawValue: row["status"]) ?? .needsReview
        problem = row["problem"]; template = row["template"]; rule = row["rule"]
        secondLook = row["second_look"]; extractedValue = row["extracted_value"]
    }
}

public enum ExtractionStore {
    /// Replaces a document's extracted fields and lines, keeping every `corrected` row as it is.
    static func replace(_ db: Database, documentId: Int64, template: String, records: [ExtractedRecord]) throws {
        let keptFields = Set(try Row.fetchAll(db, sql: "SELECT record_index, name FROM fields WHERE document_id = ? AND status = 'corrected'",
                                              arguments: [documentId]).map { "\($0["record_index"] as Int)/\($0["name"] as String)" })
        let keptLines = Set(try Row.fetchAll(db, sql: "SELECT record_index, line_index, name FROM lines WHERE document_id = ? AND status = 'corrected'",
                                             arguments: [documentId]).map { "\($0["record_index"] as Int)/\($0["line_index"] as Int)/\($0["name"] as String)" })
        try db.execute(sql: "DELETE FROM fields WHERE document_id = ? AND status != 'corrected'", arguments: [documentId])
        try db.execute(sql: "DELETE FROM lines WHERE document_id = ? AND status != 'corrected'", arguments: [documentId])
        let now = Date()
        try db.execute(sql: "DELETE FROM record_templates WHERE document_id = ?", arguments: [documentId])
        func args(_ v: ExtractedValue, _ ri: Int, _ li: Int?, _ template: String) -> StatementArguments {
            var a: [(any DatabaseValueConvertible)?] = [documentId, ri]
            if let li { a.append(li) }
            a += [v.name, v.type.rawValue, v.value?.storageText, v.raw, v.page, v.box?.x0, v.box?.y0, v.box?.x1, v.box?.y1,
                  v.confidence, v.status.rawValue, v.problem, template, v.rule, v.secondLook, now]
            return StatementArguments(a)
        }
        let cols = "name, type, value, raw, page, x0, y0, x1, y1, confidence, status, problem, template, rule, second_look, updated_at"
        for (ri, r) in records.enumerated() {
            let t = r.template ?? template
            try db.execute(sql: "INSERT INTO record_templates (document_id, record_index, template, reason) VALUES (?, ?, ?, ?)",
                           arguments: [documentId, ri, t, r.choice ?? "chosen by the caller"])
            for f in r.fields where !keptFields.contains("\(ri)/\(f.name)") {
                try db.execute(sql: "INSERT INTO fields (document_id, record_index, \(cols)) VALUES (?, ?, \(Array(repeating: "?", count: 16).joined(separator: ", ")))",
                               arguments: args(f, ri, nil, t))
            }
            for (li, line) in r.lines.enumerated() {
                for c in line where !keptLines.contains("\(ri)/\(li)/\(c.name)") {
                    try db.execute(sql: "INSERT INTO lines (document_id, record_index, line_index, \(cols)) VALUES (?, ?, ?, \(Array(repeating: "?", count: 16).joined(separator: ", ")))",
                                   arguments: args(c, ri, li, t))
                }
            }
        }
    }

    public static func fields(_ db: Database, documentId: Int64) throws -> [StoredValue] {
        try Row.fetchAll(db, sql: "SELECT * FROM fields WHERE document_id = ? ORDER BY record_index, id", arguments: [documentId])
            .map { StoredValue(row: $0, hasLine: false) }
    }

    public static func lines(_ db: Database, documentId: Int64) throws -> [StoredValue] {
        try Row.fetchAll(db, sql: "SELECT * FROM lines WHERE document_id = ? ORDER BY record_index, line_index, id", arguments: [documentId])
            .map { StoredValue(row: $0, hasLine: true) }
    }

    /// Brings the document's paper charges in line with its stored service lines: one per line,
    /// with the record's patient, DOB, account, DOS, facility, provider, NPI and diagnoses
    /// (corrected values win). A line that was there before keeps its charge (same id, same
    /// creation time), so re-extraction and corrections leave charge ids and the matched sets
    /// named after them (a set's id is its smallest member) where they were; lines that are gone
    /// lose their charge.
    static func writeCharges(_ db: Database, documentId: Int64) throws -> Int {
        var previous: [[Int]: Charge] = [:]
        for c in try Charge.filter(Column("document_id") == documentId && Column("source") == ChargeSource.paper.rawValue).fetchAll(db) {
            previous[[c.recordIndex ?? 0, c.lineIndex ?? 0]] = c
        }
        let fs = try fields(db, documentId: documentId)
        let ls = try lines(db, documentId: documentId)
        var n = 0
        let byRecord = Dictionary(grouping: fs, by: \.recordIndex)
        let linesByKey = Dictionary(grouping: ls, by: { [$0.recordIndex, $0.lineIndex ?? 0] })
        for key in linesByKey.keys.sorted(by: { ($0[0], $0[1]) < ($1[0], $1[1]) }) {
            let cells = linesByKey[key]!
            let rf = byRecord[key[0]] ?? []
            func f(_ n: String) -> String? { rf.first { $0.name == n }?.value.map(\.description) }
            func c(_ n: String) -> FieldValue? { cells.first { $0.name == n }?.value }
            guard let codeCell = cells.first(where: { $0.name == "code" }) else { continue }
            let code = codeCell.value?.description ?? codeCell.raw
            var mods: [String] = []
            if case .list(let l)? = c("modifiers") { mods = l }
            var dx: [String] = []
            if case .list(let l)? = rf.first(where: { $0.name == "diagnosis_codes" })?.value { dx = l }
            var units = 1
            if case .int(let u)? = c("units") { units = u }
            let lineDos = c("date_of_service").flatMap { CalendarDate(iso: $0.description) }
            var charge = Charge(source: .paper, documentId: documentId, recordIndex: key[0], lineIndex: key[1],
                                patientName: f("patient_name") ?? "", patientDob: f("patient_dob").flatMap(CalendarDate.init(iso:)),
                                dateOfService: lineDos ?? f("date_of_service").flatMap(CalendarDate.init(iso:)),
                                facility: f("facility") ?? "", servicingProvider: f("rendering_provider") ?? "",
                                providerNpi: f("provider_npi"), accountNumber: f("account_number"), cpt: code,
                                modifiers: mods.joined(separator: ","), units: units,
                                amount: c("charge").flatMap { Money(parsing: $0.description) },
                                diagnosisCodes: dx.joined(separator: ","))
            if let before = previous.removeValue(forKey: key) {
                charge.id = before.id
                charge.createdAt = before.createdAt
                if charge != before { try charge.update(db) }
            } else {
                try charge.insert(db)
            }
            n += 1
        }
        for gone in previous.values { _ = try gone.delete(db) }
        return n
    }
}

/// What `fields --json` prints (DESIGN.md record shape).
public struct FieldsReport: Codable, Sendable {
    public struct DocumentInfo: Codable, Sendable { public var id: Int64; public var name: String; public var sha256: String; public var type: String? }
    public struct Value: Codable, Sendable {
        public var value: FieldValue?
        public var raw: String
        public var confidence: Double
        public var box: [Int]?
        public var page: Int
        public var status: String
        public var problem: String?
        public var rule: String
        public var secondLook: String?
        public var corrected: Bool
        public func encode(to encoder: Encoder) throws {
            var c = encoder.container(keyedBy: CodingKeys.self)
            try c.encode(value, forKey: .value) // null when nothing could be read
            try c.encode(raw, forKey: .raw); try c.encode((confidence * 1000).rounded() / 1000, forKey: .confidence)
            try c.encode(box, forKey: .box); try c.encode(page, forKey: .page); try c.encode(status, forKey: .status)
            try c.encodeIfPresent(problem, forKey: .problem); try c.encode(rule, forKey: .rule)
            try c.encodeIfPresent(secondLook, forKey: .secondLook); try c.encode(corrected, forKey: .corrected)
        }
    }
    public struct Record: Codable, Sendable {
        public var pages: [Int]
        public var template: String
        /// Why this template read the record (several may apply; issue 13).
        public var templateReason: String?
        public var fields: [String: Value]
        public var lines: [[String: Value]]
    }
    public var document: DocumentInfo
    public var records: [Record]

    public static func load(_ db: AppDatabase, document d: Document) throws -> FieldsReport {
        let id = d.id!
        let (fs, ls, reasons) = try db.read { db in
            (try ExtractionStore.fields(db, documentId: id), try ExtractionStore.lines(db, documentId: id),
             Dictionary(try Row.fetchAll(db, sql: "SELECT record_index, template, reason FROM record_templates WHERE document_id = ?", arguments: [id])
                .map { ($0["record_index"] as Int, ($0["template"] as String, $0["reason"] as String)) }, uniquingKeysWith: { a, _ in a }))
        }
        func v(_ s: StoredValue) -> Value {
            Value(value: s.value, raw: s.raw, confidence: s.confidence, box: s.box?.array, page: s.page, status: s.status.rawValue,
                  problem: s.problem, rule: s.rule, secondLook: s.secondLook, corrected: s.status == .corrected)
        }
        let indices = Set(fs.map(\.recordIndex) + ls.map(\.recordIndex)).sorted()
        let records = indices.map { ri -> Record in
            let rf = fs.filter { $0.recordIndex == ri }
            let rl = ls.filter { $0.recordIndex == ri }
            let lineIdx = Set(rl.compactMap(\.lineIndex)).sorted()
            let lines = lineIdx.map { li in Dictionary(rl.filter { $0.lineIndex == li }.map { ($0.name, v($0)) }, uniquingKeysWith: { a, _ in a }) }
            let pages = Set((rf + rl).filter { $0.box != nil }.map(\.page)).sorted()
            return Record(pages: pages.isEmpty ? Array(Set((rf + rl).map(\.page))).sorted() : pages,
                          template: (rf.first ?? rl.first)?.template ?? reasons[ri]?.0 ?? "",
                          templateReason: reasons[ri]?.1,
                          fields: Dictionary(rf.map { ($0.name, v($0)) }, uniquingKeysWith: { a, _ in a }), lines: lines)
        }
        return FieldsReport(document: DocumentInfo(id: id, name: d.originalName, sha256: d.sha256, type: d.docType), records: records)
    }

    /// The human table: one row per field and per line cell.
    public func table() -> String {
        var rows: [[String]] = []
        func row(_ r: Int, _ line: String, _ name: String, _ v: Value) {
            rows.append([String(r + 1), line, name, v.value?.description ?? "-", v.raw, String(format: "%.2f", v.confidence),
                         v.status + (v.corrected ? "*" : ""), String(v.page), v.box.map { $0.map(String.init).joined(separator: ",") } ?? "-"])
        }
        for (ri, r) in records.enumerated() {
            for (k, v) in r.fields.sorted(by: { $0.key < $1.key }) { row(ri, "", k, v) }
            for (li, l) in r.lines.enumerated() {
                for k in ["code", "modifiers", "units", "charge"] + l.keys.sorted().filter({ !["code", "modifiers", "units", "charge"].contains($0) }) {
                    if let v = l[k] { row(ri, String(li + 1), k, v) }
                }
            }
        }
        if rows.isEmpty { return "\(document.name): no fields extracted" }
        let why = records.enumerated().map { ri, r in
            "record \(ri + 1): template \(r.template.isEmpty ? "-" : r.template)" + (r.templateReason.map { ": \($0)" } ?? "")
        }
        return "\(document.name) (\(document.type ?? "-"))\n" + why.map { $0 + "\n" }.joined() +
            TextTable.render(header: ["rec", "line", "field", "value", "raw", "conf", "status", "page", "box"], rows: rows)
    }
}
