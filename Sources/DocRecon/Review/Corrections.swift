import Foundation
import GRDB

/// Which stored value a correction is about: a record field, or a cell of a service line.
/// Indices are 0-based here (the CLI speaks 1-based).
public struct FieldKey: Sendable, Hashable, CustomStringConvertible {
    public var documentId: Int64
    public var recordIndex: Int
    public var lineIndex: Int?
    public var name: String
    public init(documentId: Int64, recordIndex: Int, lineIndex: Int?, name: String) {
        self.documentId = documentId; self.recordIndex = recordIndex; self.lineIndex = lineIndex; self.name = name
    }
    public var description: String {
        "document \(documentId) record \(recordIndex + 1)" + (lineIndex.map { " line \($0 + 1)" } ?? "") + " \(name)"
    }
}

public enum CorrectionError: Error, CustomStringConvertible, Equatable {
    /// The value fails its check (the reason); `--force` stores it anyway.
    case invalid(String)
    /// Nothing to correct there (no such field, record or line).
    case notFound(String)
    public var description: String {
        switch self {
        case .invalid(let s), .notFound(let s): return s
        }
    }
}

/// Typed values checked like extracted ones: the extractor's parsers (`FieldValues`) give the
/// canonical form, and a value that is not one is refused with the reason in words.
public enum ValueCheck {
    /// The canonical value of `input` for a field of `type` named `name`, or why it is not one.
    public static func parse(_ input: String, type: FieldType, name: String,
                             today: CalendarDate = .today()) -> Result<FieldValue, CorrectionError> {
        let text = FieldValues.fold(input)
        let birth = name.contains("dob") || name.contains("birth")
        switch type {
        case .icd10List, .modifierList:
            let items = text.split(whereSeparator: { $0 == "," || $0 == ";" || $0 == " " }).map(String.init)
            if items.isEmpty {
                return type == .modifierList ? .success(.list([])) : .failure(.invalid("no diagnosis code given"))
            }
            var out: [String] = []
            for item in items {
                let itemType: FieldType = type == .icd10List ? .icd10 : .modifier
                switch parse(item, type: itemType, name: name, today: today) {
                case .success(let v): if !out.contains(v.description) { out.append(v.description) }
                case .failure(let e): return .failure(e)
                }
            }
            return .success(.list(out))
        default:
            break
        }
        if text.isEmpty { return .failure(.invalid("no value given")) }
        // Typed by a person: a lower-case l is a letter they meant, so upper-case codes first.
        let typed = [.icd10, .code, .modifier, .pointer].contains(type) ? text.uppercased() : text
        if let v = FieldValues.normalize(typed, type: type, birth: birth, today: today) {
            if type == .date, case .string(let iso) = v, let d = CalendarDate(iso: iso) {
                if let why = dateProblem(name: name, date: d, today: today) { return .failure(.invalid(why)) }
            }
            return .success(v)
        }
        return .failure(.invalid(reason(text, type: type)))
    }

    static func dateProblem(name: String, date: CalendarDate, today: CalendarDate) -> String? {
        if date > today {
            return name.contains("dob") || name.contains("birth") ? "date of birth \(date.iso) is in the future"
                : "\(name.replacingOccurrences(of: "_", with: " ")) \(date.iso) is in the future"
        }
        return nil
    }

    /// Why `text` is not a valid `type`, in a clerk's words.
    public static func reason(_ text: String, type: FieldType) -> String {
        let digits = text.filter(\.isASCIIDigit)
        switch type {
        case .npi:
            let compact = text.filter { !$0.isWhitespace && $0 != "-" }
            if compact.count == 10, compact.allSatisfy(\.isASCIIDigit) {
                if compact.first != "1" && compact.first != "2" { return "an NPI starts with 1 or 2; '\(compact)' does not" }
                return "NPI check digit fails for '\(compact)'"
            }
            return "an NPI has 10 digits; '\(text)' has \(digits.count)"
        case .date: return "'\(text)' is not a date (write it as MM/DD/YYYY or yyyy-MM-dd)"
        case .money: return "'\(text)' is not an amount of money"
        case .integer: return "'\(text)' is not a whole number of units"
        case .code: return "'\(text)' is not a CPT/HCPCS code (5 characters, e.g. 99213 or G0439)"
        case .modifier: return "'\(text)' is not a modifier (2 letters or digits)"
        case .icd10: return "'\(text)' is not an ICD-10-CM code (e.g. E11.9)"
        case .pos: return "'\(text)' is not a place of service (1-99)"
        case .pointer: return "'\(text)' is not a diagnosis pointer (letters A-L or digits 1-9)"
        case .text, .name: return "no value given"
        case .icd10List, .modifierList: return "'\(text)' is not a list of codes"
        }
    }

    /// The value stored when a reviewer forces one that fails its check: the text as typed
    /// (folded), a list split into its items.
    public static func forced(_ input: String, type: FieldType) -> FieldValue {
        let text = FieldValues.fold(input)
        switch type {
        case .icd10List, .modifierList:
            return .list(text.split(whereSeparator: { $0 == "," || $0 == ";" || $0 == " " }).map { $0.uppercased() })
        case .integer:
            return Int(text).map(FieldValue.int) ?? .string(text)
        default:
            return .string(text)
        }
    }
}

/// What a correction or acceptance did.
public struct CorrectionResult: Sendable, Equatable {
    public var key: FieldKey
    public var old: String?
    public var new: String?
    /// Paper charges of the document written again.
    public var charges: Int
    /// Cross-field checks that still fail after the change (said, not refused).
    public var notes: [String]
}

/// Applies reviewer decisions. Each one is ONE transaction: the field row, its audit row, the
/// document's paper charges and the matched sets move together or not at all.
public enum Corrections {
    /// Looks up the stored value a key names.
    static func row(_ db: Database, _ key: FieldKey) throws -> Row? {
        if let li = key.lineIndex {
            return try Row.fetchOne(db, sql: "SELECT * FROM lines WHERE document_id = ? AND record_index = ? AND line_index = ? AND name = ?",
                                    arguments: [key.documentId, key.recordIndex, li, key.name])
        }
        return try Row.fetchOne(db, sql: "SELECT * FROM fields WHERE document_id = ? AND record_index = ? AND name = ?",
                                arguments: [key.documentId, key.recordIndex, key.name])
    }

    /// Explains a key that names nothing: which records, lines or fields there are.
    static func notFound(_ db: Database, _ key: FieldKey) throws -> CorrectionError {
        let records = try Int.fetchAll(db, sql: "SELECT DISTINCT record_index FROM fields WHERE document_id = ? UNION SELECT DISTINCT record_index FROM lines WHERE document_id = ? ORDER BY 1",
                                       arguments: [key.documentId, key.documentId])
        if records.isEmpty { return .notFound("document \(key.documentId) has no extracted fields") }
        if !records.contains(key.recordIndex) {
            return .notFound("document \(key.documentId) has \(records.count) record(s); there is no record \(key.recordIndex + 1)")
        }
        if let li = key.lineIndex {
            let lines = try Int.fetchAll(db, sql: "SELECT DISTINCT line_index FROM lines WHERE document_id = ? AND record_index = ? ORDER BY 1",
                                         arguments: [key.documentId, key.recordIndex])
            if !lines.contains(li) { return .notFound("record \(key.recordIndex + 1) has \(lines.count) service line(s); there is no line \(li + 1)") }
            let names = try String.fetchAll(db, sql: "SELECT name FROM lines WHERE document_id = ? AND record_index = ? AND line_index = ? ORDER BY id",
                                            arguments: [key.documentId, key.recordIndex, li])
            return .notFound("line \(li + 1) has no cell '\(key.name)'; it has: \(names.joined(separator: ", "))")
        }
        let names = try String.fetchAll(db, sql: "SELECT name FROM fields WHERE document_id = ? AND record_index = ? ORDER BY name",
                                        arguments: [key.documentId, key.recordIndex])
        let lineNames = try String.fetchAll(db, sql: "SELECT DISTINCT name FROM lines WHERE document_id = ? AND record_index = ?",
                                            arguments: [key.documentId, key.recordIndex])
        var msg = "record \(key.recordIndex + 1) has no field '\(key.name)'; fields: \(names.joined(separator: ", "))"
        if lineNames.contains(key.name) { msg += " ('\(key.name)' is a service-line cell: pass --line N)" }
        return .notFound(msg)
    }

    /// Parses and checks `input` for the field `key` names, without changing anything.
    public static func check(_ db: AppDatabase, _ key: FieldKey, input: String, today: CalendarDate = .today()) throws -> Result<FieldValue, CorrectionError> {
        try db.read { db in
            guard let row = try row(db, key) else { return .failure(try notFound(db, key)) }
            let type = FieldType(rawValue: row["type"]) ?? .text
            return ValueCheck.parse(input, type: type, name: key.name, today: today)
        }
    }

    /// Stores a reviewer's value. Refused (`CorrectionError.invalid`) when it fails its check,
    /// unless `force`. Writes the audit row and the document's paper charges in the same
    /// transaction, then lets the matched sets follow.
    @discardableResult
    public static func correct(_ db: AppDatabase, _ key: FieldKey, input: String, reviewer: String, reason: String?,
                               force: Bool = false, today: CalendarDate = .today()) throws -> CorrectionResult {
        try db.write { db in
            guard let row = try row(db, key) else { throw try notFound(db, key) }
            let type = FieldType(rawValue: row["type"]) ?? .text
            let value: FieldValue
            var forcedFailure: String?
            var parsed = ValueCheck.parse(input, type: type, name: key.name, today: today)
            if case .success(let v) = parsed, let why = try crossCheck(db, key, value: v) { parsed = .failure(.invalid(why)) }
            switch parsed {
            case .success(let v): value = v
            case .failure(let e):
                guard force else { throw e }
                value = ValueCheck.forced(input, type: type); forcedFailure = e.description
            }
            let old: String? = row["value"]
            let new = value.storageText
            try update(db, key, row: row, value: new)
            let why = [reason, forcedFailure.map { "forced: \($0)" }].compactMap { $0 }.joined(separator: "; ")
            try AuditTrail.append(db, action: .correct, reviewer: reviewer, documentId: key.documentId, recordIndex: key.recordIndex,
                                  lineIndex: key.lineIndex, field: key.name, old: old, new: new, reason: why.isEmpty ? nil : why,
                                  forced: forcedFailure != nil)
            try db.execute(sql: "DELETE FROM review_skips WHERE document_id = ? AND record_index = ? AND line_index = ? AND field = ?",
                           arguments: [key.documentId, key.recordIndex, key.lineIndex ?? -1, key.name])
            // The paper charges are written again from the fields; an intake batch they were
            // registered in for reconciliation (charges.import_id) stays theirs.
            let batch = try Int64.fetchOne(db, sql: "SELECT import_id FROM charges WHERE document_id = ? AND source = 'paper' AND import_id IS NOT NULL LIMIT 1",
                                           arguments: [key.documentId])
            let charges = try ExtractionStore.writeCharges(db, documentId: key.documentId)
            if let batch {
                try db.execute(sql: "UPDATE charges SET import_id = ? WHERE document_id = ? AND source = 'paper'", arguments: [batch, key.documentId])
            }
            try Downstream.chargesChanged(db, documentId: key.documentId)
            return CorrectionResult(key: key, old: old, new: new, charges: charges,
                                    notes: try RecordChecks.problems(db, documentId: key.documentId, recordIndex: key.recordIndex))
        }
    }

    /// The record's date checks with the new value in place (the extractor's `Checks`): a date
    /// of birth on or after the date of service is refused like a malformed value.
    static func crossCheck(_ db: Database, _ key: FieldKey, value: FieldValue) throws -> String? {
        guard key.lineIndex == nil, key.name == "patient_dob" || key.name == "date_of_service",
              let new = CalendarDate(iso: value.description) else { return nil }
        let other = key.name == "patient_dob" ? "date_of_service" : "patient_dob"
        guard let text = try String.fetchOne(db, sql: "SELECT value FROM fields WHERE document_id = ? AND record_index = ? AND name = ?",
                                             arguments: [key.documentId, key.recordIndex, other]),
              let o = CalendarDate(iso: text) else { return nil }
        let (dob, dos) = key.name == "patient_dob" ? (new, o) : (o, new)
        return dob >= dos ? "date of birth \(dob.iso) is not before the date of service \(dos.iso)" : nil
    }

    /// A reviewer confirms the value as it is: it becomes `corrected` (so re-extraction keeps
    /// it and it leaves the queue) and the trail says who accepted what.
    @discardableResult
    public static func accept(_ db: AppDatabase, _ key: FieldKey, reviewer: String, reason: String?) throws -> CorrectionResult {
        try db.write { db in
            guard let row = try row(db, key) else { throw try notFound(db, key) }
            let value: String? = row["value"]
            try update(db, key, row: row, value: value)
            try AuditTrail.append(db, action: .accept, reviewer: reviewer, documentId: key.documentId, recordIndex: key.recordIndex,
                                  lineIndex: key.lineIndex, field: key.name, old: value, new: value, reason: reason, forced: false)
            try db.execute(sql: "DELETE FROM review_skips WHERE document_id = ? AND record_index = ? AND line_index = ? AND field = ?",
                           arguments: [key.documentId, key.recordIndex, key.lineIndex ?? -1, key.name])
            return CorrectionResult(key: key, old: value, new: value, charges: 0, notes: [])
        }
    }

    private static func update(_ db: Database, _ key: FieldKey, row: Row, value: String?) throws {
        let table = key.lineIndex == nil ? "fields" : "lines"
        // extracted_value keeps what extraction produced, from the first correction on.
        let wasCorrected = (row["status"] as String) == ParseOutcome.Status.corrected.rawValue
        let extracted: String? = wasCorrected ? row["extracted_value"] : row["value"]
        try db.execute(sql: "UPDATE \(table) SET value = ?, status = 'corrected', extracted_value = ?, problem = NULL, updated_at = ? WHERE id = ?",
                       arguments: [value, extracted, Date(), row["id"] as Int64])
    }
}

/// Cross-field checks of one record as stored (the extractor's `Checks`, on stored values).
public enum RecordChecks {
    public static func problems(_ db: Database, documentId: Int64, recordIndex: Int) throws -> [String] {
        let fs = try ExtractionStore.fields(db, documentId: documentId).filter { $0.recordIndex == recordIndex }
        let ls = try ExtractionStore.lines(db, documentId: documentId).filter { $0.recordIndex == recordIndex }
        var out: [String] = []
        if let t = totalMismatch(fields: fs, lines: ls) { out.append(t) }
        func date(_ n: String) -> CalendarDate? { fs.first { $0.name == n }?.value.flatMap { CalendarDate(iso: $0.description) } }
        if let dob = date("patient_dob"), let dos = date("date_of_service"), dob >= dos {
            out.append("date of birth \(dob.iso) is not before the date of service \(dos.iso)")
        }
        return out
    }

    /// "total 1936.98 ≠ sum of lines 1935.98", or nil when it adds up (or cannot be told).
    public static func totalMismatch(fields: [StoredValue], lines: [StoredValue]) -> String? {
        guard let total = fields.first(where: { $0.name == "total_charge" })?.value.flatMap({ Money(parsing: $0.description) }) else { return nil }
        let charges = lines.filter { $0.name == "charge" }
        guard !charges.isEmpty else { return nil }
        let amounts = charges.map { $0.value.flatMap { Money(parsing: $0.description) } }
        guard !amounts.contains(where: { $0 == nil }) else { return nil }
        let sum = amounts.compactMap { $0 }.reduce(Money.zero, +)
        return sum == total ? nil : "total \(total.decimalString) ≠ sum of lines \(sum.decimalString)"
    }
}

/// What follows a change of a document's paper charges, inside the same transaction.
public enum Downstream {
    /// Called after a correction rewrote a document's paper charges: the matched sets follow
    /// at once through the matcher's incremental update (`MatchHooks`, issue 5), in the same
    /// transaction. Reconciliation reads the `charges` table (paper charges are matched before
    /// each run), so the next run sees the corrected values.
    public static func chargesChanged(_ db: Database, documentId: Int64) throws {
        try MatchHooks.chargesChanged(db, [.documents([documentId])])
    }
}
