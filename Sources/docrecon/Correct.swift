import ArgumentParser
import DocRecon
import Foundation

struct Correct: AsyncParsableCommand {
    static let configuration = CommandConfiguration(
        abstract: "Correct one extracted value (audited; paper charges follow in the same transaction).",
        discussion: "The value is normalised and checked like an extracted one; a value that fails its check is refused unless --force.")
    @OptionGroup var global: GlobalOptions
    @Argument(help: "Document id or original file name.") var document: String
    @Argument(help: "Field name (e.g. provider_npi), or a service-line cell (code, units, charge…) with --line.") var field: String
    @Argument(help: "The value, as printed on the sheet.") var value: String
    @Option(name: .long, help: "Record number (1-based; needed when the document has several).") var record: Int?
    @Option(name: .long, help: "Service line number (1-based) for a line cell.") var line: Int?
    @Option(name: .long, help: "Who corrects (default $DOCRECON_REVIEWER, else the OS user).") var reviewer: String?
    @Option(name: .long, help: "Why, for the audit trail.") var reason: String?
    @Flag(name: .long, help: "Store the value even when it fails its check.") var force = false
    @Flag(name: .long, help: "Print one JSON document on stdout.") var json = false

    struct Output: Encodable {
        var document: Int64; var record: Int; var line: Int?; var field: String
        var old: String?; var new: String?; var charges: Int; var notes: [String]; var forced: Bool
        func encode(to encoder: Encoder) throws {
            var c = encoder.container(keyedBy: CodingKeys.self)
            try c.encode(document, forKey: .document); try c.encode(record, forKey: .record); try c.encode(line, forKey: .line)
            try c.encode(field, forKey: .field); try c.encode(old, forKey: .old); try c.encode(new, forKey: .new)
            try c.encode(charges, forKey: .charges); try c.encode(notes, forKey: .notes); try c.encode(forced, forKey: .forced)
        }
        enum CodingKeys: String, CodingKey { case document, record, line, field, old, new, charges, notes, forced }
    }

    func run() async throws {
        let db = try global.open()
        let d: Document
        do { d = try DocumentQueries.find(db, document) } catch { throw CLIError.failure("\(error)") }
        if let record, record < 1 { throw CLIError.failure("--record counts from 1") }
        if let line, line < 1 { throw CLIError.failure("--line counts from 1") }
        let records = try db.read { try Int.fetchOne($0, sql: "SELECT count(DISTINCT record_index) FROM fields WHERE document_id = ?", arguments: [d.id!]) ?? 0 }
        if record == nil, records > 1 {
            throw CLIError.failure("\(d.originalName) has \(records) records; pass --record N (docrecon fields \(d.id!) lists them)")
        }
        let key = FieldKey(documentId: d.id!, recordIndex: (record ?? 1) - 1, lineIndex: line.map { $0 - 1 }, name: field)
        let who = AuditTrail.reviewer(explicit: reviewer)
        let r: CorrectionResult
        do {
            r = try Corrections.correct(db, key, input: value, reviewer: who, reason: reason ?? "docrecon correct", force: force)
        } catch let e as CorrectionError {
            if case .invalid = e { throw CLIError.failure("\(d.originalName) \(field): \(e) (--force stores it anyway)") }
            throw CLIError.failure("\(d.originalName): \(e)")
        }
        if json {
            print(try JSON.string(Output(document: d.id!, record: key.recordIndex + 1, line: line, field: field, old: r.old, new: r.new,
                                         charges: r.charges, notes: r.notes, forced: force)))
        } else {
            print("\(d.originalName) record \(key.recordIndex + 1)\(line.map { " line \($0)" } ?? "") \(field): \(r.old ?? "(none)") → \(r.new ?? "(none)")"
                  + "; \(r.charges) paper charge(s) updated")
        }
        for n in r.notes { printError("note: \(n)") }
    }
}
