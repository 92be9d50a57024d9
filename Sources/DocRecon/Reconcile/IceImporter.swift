import Foundation
import GRDB

public struct RowRejection: Codable, Sendable, Equatable {
    public var row: Int
    public var reason: String
}

/// What `import-ice` did with one file.
public struct ImportResult: Codable, Sendable {
    public var file: String
    public var sheet: String?
    public var sha256: String
    public var importId: Int64?
    /// The same file (same bytes) was imported before: nothing changed.
    public var alreadyImported: Bool
    /// Rows stored as charges.
    public var rows: Int
    /// Rows refused, each with its row number and reason (the rest of the file went in).
    public var rejected: [RowRejection]
    public var seconds: Double
}

/// Imports an ICE export (.xlsx or .csv) into `charges` (source `.ice`), one import record per
/// file. Headers are matched through Rules/sources/ice.yaml; a missing required column rejects
/// the file; a row with a bad date or no patient is refused with its row number and the rest
/// goes on. The whole file is one transaction; the same bytes imported again are a no-op.
public enum IceImporter {
    public static func importFile(_ path: String, sheet: String? = nil, into db: AppDatabase, rules: ReconRules,
                                  limits: SpreadsheetLimits = .init()) throws -> ImportResult {
        let started = Date()
        let name = (path as NSString).lastPathComponent
        let sha = try SHA256.hexOfFile(path)
        let existing = try db.writer.read { db -> (Int64, String?, Int)? in
            guard let r = try Row.fetchOne(db, sql: "SELECT id, sheet, row_count FROM recon_imports WHERE kind = 'ice' AND sha256 = ?",
                                           arguments: [sha]) else { return nil }
            return (r["id"], r["sheet"], r["row_count"])
        }
        if let existing {
            return ImportResult(file: name, sheet: existing.1, sha256: sha, importId: existing.0, alreadyImported: true,
                                rows: existing.2, rejected: [], seconds: Date().timeIntervalSince(started))
        }
        let source = try Spreadsheet.open(path: path, sheet: sheet, limits: limits)
        let sheetName = (source as? XlsxReader)?.sheetName
        let map = rules.ice
        let result = try db.writer.write { db -> ImportResult in
            var importId: Int64 = 0
            var mapping: [Int?] = []
            var rows = 0
            var rejected: [RowRejection] = []
            var sawHeader = false
            var json = [UInt8]()
            json.reserveCapacity(1024)
            var values: [CellValue] = []
            var headers: [String] = []
            // Per field: the column position feeding it.
            var pos: [String: Int] = [:]
            var dateColumns: [(col: Int, header: String, required: Bool)] = []
            let createdAtValue = Date().databaseValue
            let createdAt = String.fromDatabaseValue(createdAtValue) ?? ""
            var insert = try BulkStatement(db, sql: """
                INSERT INTO charges (source, import_id, row_number, patient_name, patient_dob, date_of_service, facility,
                  type_of_care, type_of_visit, servicing_provider, provider_npi, cpt, modifiers, units, diagnosis_codes,
                  columns_json, created_at) VALUES ('ice', ?, ?, ?, ?, ?, ?, ?, ?, ?, ?, ?, ?, ?, ?, ?, ?)
                """)
            func handle(_ rowNumber: Int, _ cells: ArraySlice<CellValue>) throws {
                if !sawHeader {
                    sawHeader = true
                    headers = cells.map { $0.text.trimmingCharacters(in: .whitespacesAndNewlines) }
                    let (m, missing) = map.match(headers: headers)
                    if !missing.isEmpty {
                        let names = missing.map { "'\($0.header)'" }.joined(separator: ", ")
                        throw SpreadsheetError("\(name): missing required column\(missing.count > 1 ? "s" : "") \(names)"
                                               + (sheetName.map { " (sheet '\($0)')" } ?? ""))
                    }
                    mapping = m
                    for (i, ci) in m.enumerated() {
                        guard let ci else { continue }
                        let col = map.columns[ci]
                        pos[col.field] = i
                        if col.isDate { dateColumns.append((i, headers[i], col.required)) }
                    }
                    try db.execute(sql: """
                        INSERT INTO recon_imports (kind, file_name, sheet, sha256, headers_json, row_count, rejected_count, imported_at)
                        VALUES ('ice', ?, ?, ?, ?, 0, 0, ?)
                        """, arguments: [name, sheetName, sha, RowValues.encode(headers.map { CellValue.text($0) }), createdAtValue])
                    importId = db.lastInsertedRowID
                    return
                }
                // Copy the row to the header width (cells past the last header are kept too).
                values.removeAll(keepingCapacity: true)
                values.append(contentsOf: cells)
                while values.count < headers.count { values.append(.empty) }
                func text(_ field: String) -> String {
                    guard let i = pos[field], i < values.count else { return "" }
                    return FastText.trim(values[i].text)
                }
                // Dates: must be dates; normalised to date cells for the output.
                var bad: String?
                for dc in dateColumns {
                    let cell = values[dc.col]
                    if cell.isEmpty {
                        if dc.required { bad = "\(dc.header) is empty"; break }
                        continue
                    }
                    guard let d = DateText.from(cell, system: source.dateSystem) else {
                        bad = "\(dc.header) '\(cell.text)' is not a date"; break
                    }
                    values[dc.col] = .date(d)
                }
                let patient = text("patient_name")
                if bad == nil && patient.isEmpty { bad = "\(headers[pos["patient_name"]!]) is empty" }
                // Optional Units (default 1) and Modifier columns.
                var units = 1
                if bad == nil, let ui = pos["units"], !values[ui].isEmpty {
                    let u = text("units")
                    if let n = Int(u) ?? Double(u).flatMap({ $0 == $0.rounded() ? Int(exactly: $0) : nil }), n > 0 { units = n }
                    else { bad = "\(headers[ui]) '\(u)' is not a whole number of units" }
                }
                if let bad {
                    rejected.append(RowRejection(row: rowNumber, reason: bad))
                    return
                }
                func date(_ field: String) -> String? {
                    guard let i = pos[field], case .date(let d) = values[i] else { return nil }
                    return FastText.iso(d)
                }
                let npi = text("provider_npi")
                RowValues.encode(values, into: &json)
                insert.bind(importId); insert.bind(rowNumber); insert.bind(patient)
                insert.bind(date("patient_dob")); insert.bind(date("date_of_service")); insert.bind(text("facility"))
                insert.bind(text("type_of_care")); insert.bind(text("type_of_visit")); insert.bind(text("servicing_provider"))
                insert.bind(npi.isEmpty ? nil : npi); insert.bind(text("cpt"))
                insert.bind(pos["modifiers"] == nil ? "" : IceImporter.modifierList(text("modifiers")))
                insert.bind(units)
                insert.bind(IceImporter.diagnosisList(text("assessment")))
                json.withUnsafeBufferPointer { insert.bind(bytes: $0) }
                insert.bind(createdAt)
                try insert.step(db)
                rows += 1
            }
            // The sheet is parsed on its own thread while this one (the database writer) stores rows.
            let pipe = RowPipe<RowBatch>(capacity: 8)
            let src = Handoff(value: source)
            let parser = Worker {
                defer { pipe.close() }
                var batch = RowBatch()
                try src.value.forEachRow { n, cells in
                    batch.add(n, cells)
                    if batch.count >= 512 { try pipe.push(batch); batch = RowBatch() }
                }
                if batch.count > 0 { try pipe.push(batch) }
            }
            do {
                while let b = pipe.pop() {
                    for i in 0..<b.count { try handle(b.numbers[i], b.cells[b.starts[i]..<b.starts[i + 1]]) }
                }
            } catch {
                pipe.fail(error)
                try? parser.wait()
                throw error
            }
            try parser.wait()
            guard sawHeader else {
                throw SpreadsheetError("\(name): the sheet\(sheetName.map { " '\($0)'" } ?? "") is empty (no header row)")
            }
            _ = mapping
            try db.execute(sql: "UPDATE recon_imports SET row_count = ?, rejected_count = ? WHERE id = ?",
                           arguments: [rows, rejected.count, importId])
            // With paper charges in the store, the new rows are matched against them now, in this
            // transaction (only the blocks they touch); without paper there is nothing to match.
            if let matching = rules.matching, try PaperVsIce.hasPaperCharges(db) {
                try Matcher(rules: matching).update(in: db, affecting: [.imports([importId])])
            }
            return ImportResult(file: name, sheet: sheetName, sha256: sha, importId: importId, alreadyImported: false,
                                rows: rows, rejected: rejected, seconds: 0)
        }
        var r = result
        r.seconds = Date().timeIntervalSince(started)
        return r
    }

    /// "25, lt" or "25-LT" → "25,LT" (the canonical form of `charges.modifiers`).
    static func modifierList(_ s: String) -> String {
        if s.isEmpty { return s }
        return s.uppercased().split(whereSeparator: { $0 == "," || $0 == ";" || $0 == " " || $0 == "-" || $0 == "/" })
            .map(String.init).filter { !$0.isEmpty }.joined(separator: ",")
    }

    /// "I10,E11.9 ;  Z79.4" → "I10, E11.9, Z79.4".
    static func diagnosisList(_ s: String) -> String {
        if s.isEmpty { return s }
        // Already canonical ("I10, E11.9") in the usual case: keep the string as it is.
        var canonical = true
        var prev: UInt8 = 0
        for b in s.utf8 {
            if b == 0x3B || b == 0x0A || b == 0x0D || b == 0x09 || (prev == 0x2C && b != 0x20) || (prev == 0x20 && (b == 0x20 || b == 0x2C)) {
                canonical = false; break
            }
            prev = b
        }
        if canonical && prev != 0x2C && prev != 0x20 { return s }
        return s.split(whereSeparator: { $0 == "," || $0 == ";" || $0 == "\n" })
            .map { $0.trimmingCharacters(in: .whitespaces) }.filter { !$0.isEmpty }.joined(separator: ", ")
    }
}

/// Rows handed from the parsing thread to the storing one, flattened.
struct RowBatch {
    var numbers: [Int] = []
    var starts: [Int] = [0]
    var cells: [CellValue] = []
    var count: Int { numbers.count }
    mutating func add(_ n: Int, _ row: [CellValue]) {
        numbers.append(n)
        cells.append(contentsOf: row)
        starts.append(cells.count)
    }
}

/// Intake batches for the reconciliation: ICE imports, and (for the paper path) any set of
/// charges someone wants reconciled. A batch not yet taken by a run is part of the next run.
public enum ReconIntake {
    /// Registers a batch of already-stored charges (e.g. paper lines): returns the batch id to
    /// put in `charges.import_id`, or the existing id when `sha256` was registered before.
    public static func registerBatch(_ db: Database, kind: ChargeSource, name: String, sha256: String,
                                     headers: [String] = []) throws -> (id: Int64, existed: Bool) {
        if let id = try Int64.fetchOne(db, sql: "SELECT id FROM recon_imports WHERE kind = ? AND sha256 = ?", arguments: [kind.rawValue, sha256]) {
            return (id, true)
        }
        try db.execute(sql: """
            INSERT INTO recon_imports (kind, file_name, sheet, sha256, headers_json, row_count, rejected_count, imported_at)
            VALUES (?, ?, NULL, ?, ?, 0, 0, ?)
            """, arguments: [kind.rawValue, name, sha256, RowValues.encode(headers.map { CellValue.text($0) }), Date()])
        return (db.lastInsertedRowID, false)
    }

    /// The original columns of an imported row, header → cell, in input order (the headers are
    /// stored once per import; `charges.columns_json` holds the row's values).
    public static func originalColumns(_ db: Database, charge: Charge) throws -> [(header: String, value: CellValue)] {
        guard let importId = charge.importId, let json = charge.columnsJson,
              let headersJSON = try String.fetchOne(db, sql: "SELECT headers_json FROM recon_imports WHERE id = ?", arguments: [importId])
        else { return [] }
        let headers = RowValues.decode(headersJSON).map(\.text)
        let values = RowValues.decode(json)
        return headers.enumerated().map { i, h in (h, i < values.count ? values[i] : .empty) }
    }
}
