import Foundation
import GRDB

public struct RowRejection: Codable, Sendable, Equatable {
    public var row: Int
    /// What is wrong, naming the column, never the value (issue 21: no patient values in
    /// messages at the default level).
    public var reason: String
    /// The offending value, for `--verbose` only.
    public var value: String?
    public init(row: Int, reason: String, value: String? = nil) { self.row = row; self.reason = reason; self.value = value }
    /// The value stays out of JSON and the run records: it is for the terminal under --verbose.
    enum CodingKeys: String, CodingKey { case row, reason }

    /// The stderr line's text after the file name: `row 17: DOB is not a date`, with the value
    /// only when `verbose`.
    public func line(verbose: Bool) -> String {
        "row \(row): \(reason)" + (verbose && value != nil ? " (value '\(value!)')" : "")
    }
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
    /// A text cell holding a C0 control character other than tab, line feed and carriage return, or DEL.
    static func hasControlCharacter(_ v: CellValue) -> Bool {
        guard case .text(let t) = v else { return false }
        for b in t.utf8 where b < 0x20 || b == 0x7F {
            if b != 0x09 && b != 0x0A && b != 0x0D { return true }
        }
        return false
    }

    public static func importFile(_ path: String, sheet: String? = nil, into db: AppDatabase, rules: ReconRules,
                                  limits: SpreadsheetLimits = .init()) throws -> ImportResult {
        let started = Date()
        let name = (path as NSString).lastPathComponent
        // The file's hash (was it imported before?) is computed on its own thread while the sheet
        // is opened and parsing starts; the rows wait in the pipe until it is known.
        let shaBox = ResultBox<String>()
        let hasher = Worker { shaBox.value = try SHA256.hexOfFile(path) }
        let source: any RowSource
        do { source = try Spreadsheet.open(path: path, sheet: sheet, limits: limits) } catch {
            try hasher.wait()  // an unreadable file says so first, as before
            throw error
        }
        PhaseClock.mark("import: sheet open")
        let sheetName = (source as? XlsxReader)?.sheetName
        let map = rules.ice
        let result = try db.writer.write { db -> ImportResult in
            var importId: Int64 = 0
            var rows = 0
            var rejected: [RowRejection] = []
            var sawHeader = false
            let createdAtValue = Date().databaseValue
            let createdAt = String.fromDatabaseValue(createdAtValue) ?? ""
            let createdAtBytes = Array(createdAt.utf8)
            // Columns in the order the preparer lays out a row's fields (`IceBatch`).
            // Rows go in `perStatement` at a time (one multi-row INSERT): SQLite's per-statement work
            // (reset, bindings cleared, the AUTOINCREMENT counter read and written, cursors opened and
            // closed) is paid once per 32 rows; the rest of a batch goes one row per statement.
            let perStatement = 32
            func insertSQL(rows n: Int) -> String {
                """
                INSERT INTO charges (source, import_id, row_number, units, created_at, patient_name, patient_dob, date_of_service,
                  facility, type_of_care, type_of_visit, servicing_provider, provider_npi, cpt, modifiers, diagnosis_codes,
                  columns_bin) VALUES
                """ + Array(repeating: "('ice', ?, ?, ?, ?, ?, ?, ?, ?, ?, ?, ?, ?, ?, ?, ?, ?)", count: n).joined(separator: ", ")
            }
            var insert = try BulkStatement(db, sql: insertSQL(rows: 1))
            var insertMany = try BulkStatement(db, sql: insertSQL(rows: perStatement))
            /// A row's fields bound in place (no copy, no allocation per value).
            func bindRow(_ st: inout BulkStatement, _ b: IceBatch, _ buf: UnsafeBufferPointer<UInt8>, _ ca: UnsafeBufferPointer<UInt8>,
                         _ e: inout Int, _ start: inout Int, number: Int, units: Int) {
                st.bind(importId); st.bind(number); st.bind(units); st.bindStatic(text: ca)
                for f in 0..<IceBatch.fields {
                    let end = Int(b.ends[e])
                    e += 1
                    if end < 0 { st.bindNull(); continue }
                    let field = UnsafeBufferPointer(rebasing: buf[start..<end])
                    start = end
                    if f == IceBatch.fields - 1 { st.bindStatic(blob: field) } else { st.bindStatic(text: field) }
                }
            }
            // The sheet is parsed, checked and encoded on its own thread (IcePreparer) while this
            // one (the database writer) only binds and steps: the writer was the busier of the two.
            let pipe = RowPipe<IceBatch>(capacity: 32)
            let src = Handoff(value: source)
            let preparer = Handoff(value: IcePreparer(map: map, file: name, sheetName: sheetName, dateSystem: source.dateSystem))
            let parser = Worker {
                defer { pipe.close() }
                var batch = IceBatch()
                try src.value.forEachRow { n, cells in
                    try preparer.value.prepare(n, cells[...], into: &batch)
                    if batch.items.count >= 512 { try pipe.push(batch); batch = IceBatch() }
                }
                if !batch.items.isEmpty { try pipe.push(batch) }
            }
            let sha: String
            do {
                try hasher.wait()
                sha = shaBox.value!
            } catch {
                pipe.fail(error)
                try? parser.wait()
                throw error
            }
            if let r = try Row.fetchOne(db, sql: "SELECT id, sheet, row_count FROM recon_imports WHERE kind = 'ice' AND sha256 = ?",
                                        arguments: [sha]) {
                pipe.fail(CancellationError())
                try? parser.wait()
                return ImportResult(file: name, sheet: r["sheet"], sha256: sha, importId: r["id"], alreadyImported: true,
                                    rows: r["row_count"], rejected: [], seconds: 0)
            }
            do {
                while let b = pipe.pop() {
                    try b.bytes.withUnsafeBufferPointer { buf in try createdAtBytes.withUnsafeBufferPointer { ca in
                    var e = 0, start = 0
                    var remaining = b.rows  // rows of this batch not bound yet
                    var inMany = 0          // rows bound into insertMany so far
                    for item in b.items {
                        switch item {
                        case .row(let n, let units):
                            if inMany > 0 || remaining >= perStatement {
                                bindRow(&insertMany, b, buf, ca, &e, &start, number: n, units: units)
                                inMany += 1
                                if inMany == perStatement { try insertMany.step(db); inMany = 0 }
                            } else {
                                bindRow(&insert, b, buf, ca, &e, &start, number: n, units: units)
                                try insert.step(db)
                            }
                            remaining -= 1
                            rows += 1
                        case .rejected(let r): rejected.append(r)
                        case .header(let headers):
                            sawHeader = true
                            try db.execute(sql: """
                                INSERT INTO recon_imports (kind, file_name, sheet, sha256, headers_json, row_count, rejected_count, imported_at)
                                VALUES ('ice', ?, ?, ?, ?, 0, 0, ?)
                                """, arguments: [name, sheetName, sha, RowValues.encode(headers.map { CellValue.text($0) }), createdAtValue])
                            importId = db.lastInsertedRowID
                        }
                    }
                    } }
                }
            } catch {
                pipe.fail(error)
                try? parser.wait()
                throw error
            }
            try parser.wait()
            PhaseClock.mark("import: rows stored")
            guard sawHeader else {
                throw SpreadsheetError("\(name): the sheet\(sheetName.map { " '\($0)'" } ?? "") is empty (no header row)")
            }
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
        PhaseClock.mark("import: committed")
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

/// One item of the sheet, made on the parsing thread: the header, a row ready to bind (its
/// fields are in the batch's bytes), or a refused row.
enum PreparedIceItem {
    case header([String])
    case row(number: Int, units: Int)
    case rejected(RowRejection)
}

/// Up to 512 items and the fields of their rows, laid out one after the other in `bytes`:
/// per row `fields` values (patient name, DOB, date of service, facility, type of care, type of
/// visit, servicing provider, NPI, CPT, modifiers, diagnoses as UTF-8; then the `RowCells` blob),
/// each ending at `ends[k]` (-1: NULL).
struct IceBatch {
    static let fields = 12
    var items: [PreparedIceItem] = []
    var bytes: [UInt8] = []
    var ends: [Int32] = []
    /// How many of `items` are rows.
    var rows = 0

    init() {
        items.reserveCapacity(512); bytes.reserveCapacity(512 * 256); ends.reserveCapacity(512 * Self.fields)
    }

    @inline(__always) mutating func put(_ s: String?) {
        guard var s else { ends.append(-1); return }
        s.withUTF8 { bytes.append(contentsOf: $0) }
        ends.append(Int32(bytes.count))
    }

    /// A date as `yyyy-MM-dd`, written straight into the bytes (no String per date and row).
    @inline(__always) mutating func put(date d: CalendarDate?) {
        guard let d else { ends.append(-1); return }
        FastText.appendISO(d, to: &bytes)
        ends.append(Int32(bytes.count))
    }

    @inline(__always) mutating func put(bytes b: [UInt8]) {
        bytes.append(contentsOf: b)
        ends.append(Int32(bytes.count))
    }
}

/// Turns the sheet's rows into charges' columns: the header row matched through the source map
/// (a missing required column rejects the file), each later row checked (dates, patient, units),
/// normalised and its original cells encoded. Pure: no database, one thread.
final class IcePreparer {
    let map: SourceMap
    let file: String
    let sheetName: String?
    let dateSystem: DateSystem
    private var sawHeader = false
    private var headers: [String] = []
    private var pos: [String: Int] = [:]
    private var dateColumns: [(col: Int, header: String, required: Bool)] = []
    /// The typed charge column each sheet column feeds (nil for the others).
    private var typedAt: [RowCells.Typed?] = []
    /// The columns of the fields read on every row (a dictionary lookup per field and row was ~2%).
    private struct FieldColumns {
        var patient: Int?, dob: Int?, dos: Int?, facility: Int?, care: Int?, visit: Int?, provider: Int?, npi: Int?, cpt: Int?
        var assessment: Int?, modifiers: Int?, units: Int?
    }
    private var at = FieldColumns()
    private var values: [CellValue] = []
    private var cellBytes: [UInt8] = []

    init(map: SourceMap, file: String, sheetName: String?, dateSystem: DateSystem) {
        self.map = map; self.file = file; self.sheetName = sheetName; self.dateSystem = dateSystem
    }

    /// Prepares one sheet row into `batch` (its item, and a row's fields).
    func prepare(_ rowNumber: Int, _ cells: ArraySlice<CellValue>, into batch: inout IceBatch) throws {
        let it = try item(rowNumber, cells, &batch)
        if case .row = it { batch.rows += 1 }
        batch.items.append(it)
    }

    private let today = CalendarDate.today()

    /// Why the row's dates cannot be, or nil.
    /// The row's date in `column` (a date column, already parsed), or nil.
    private func dateValue(_ column: Int?) -> CalendarDate? {
        guard let i = column, i < values.count, case .date(let d) = values[i] else { return nil }
        return d
    }

    private func plausibility(dob: Int?, dos: Int?, rowNumber: Int) -> RowRejection? {
        let service = dateValue(dos), birth = dateValue(dob)
        if let s = service, let i = dos {
            if Plausibility.date(s, birth: false, today: today) != nil {
                return RowRejection(row: rowNumber, reason: "\(headers[i]) is not a plausible date of service (more than \(Plausibility.serviceYearsBack) years before today)", value: s.iso)
            }
            if today.adding(days: 366) < s {
                return RowRejection(row: rowNumber, reason: "\(headers[i]) is not a plausible date of service (more than a year ahead)", value: s.iso)
            }
        }
        if let b = birth, let i = dob {
            if Plausibility.date(b, birth: true, today: today) != nil {
                return RowRejection(row: rowNumber, reason: "\(headers[i]) is not a plausible birth date (more than \(Plausibility.birthYearsBack) years ago)", value: b.iso)
            }
            if let s = service, s < b {
                return RowRejection(row: rowNumber, reason: "\(headers[i]) is after the date of service", value: b.iso)
            }
            if service == nil, today < b {
                return RowRejection(row: rowNumber, reason: "\(headers[i]) is in the future", value: b.iso)
            }
        }
        return nil
    }

    private func item(_ rowNumber: Int, _ cells: ArraySlice<CellValue>, _ batch: inout IceBatch) throws -> PreparedIceItem {
        if !sawHeader {
            sawHeader = true
            headers = cells.map { $0.text.trimmingCharacters(in: .whitespacesAndNewlines) }
            let (m, missing) = map.match(headers: headers)
            if !missing.isEmpty {
                let names = missing.map { "'\($0.header)'" }.joined(separator: ", ")
                throw SpreadsheetError("\(file): missing required column\(missing.count > 1 ? "s" : "") \(names)"
                                       + (sheetName.map { " (sheet '\($0)')" } ?? ""))
            }
            for (i, ci) in m.enumerated() {
                guard let ci else { continue }
                let col = map.columns[ci]
                pos[col.field] = i
                if col.isDate { dateColumns.append((i, headers[i], col.required)) }
            }
            at = FieldColumns(patient: pos["patient_name"], dob: pos["patient_dob"], dos: pos["date_of_service"], facility: pos["facility"],
                              care: pos["type_of_care"], visit: pos["type_of_visit"], provider: pos["servicing_provider"],
                              npi: pos["provider_npi"], cpt: pos["cpt"], assessment: pos["assessment"], modifiers: pos["modifiers"],
                              units: pos["units"])
            typedAt = headers.indices.map { i in pos.first { $0.value == i }.flatMap { RowCells.Typed.field($0.key) } }
            return .header(headers)
        }
        // Copy the row to the header width (cells past the last header are kept too).
        values.removeAll(keepingCapacity: true)
        values.append(contentsOf: cells)
        while values.count < headers.count { values.append(.empty) }
        func text(_ column: Int?) -> String {
            guard let i = column, i < values.count else { return "" }
            return FastText.trim(values[i].text)
        }
        // A cell with a NUL or another control character (tabs and line breaks aside) is no text
        // a person typed: refused, never stored (issue 21).
        for (i, v) in values.enumerated() where IceImporter.hasControlCharacter(v) {
            let column = i < headers.count && !headers[i].isEmpty ? headers[i] : "column \(i + 1)"
            return .rejected(RowRejection(row: rowNumber, reason: "\(column) holds a control character (a damaged export?)"))
        }
        // Dates: must be dates; normalised to date cells for the output.
        for dc in dateColumns {
            let cell = values[dc.col]
            if cell.isEmpty {
                if dc.required { return .rejected(RowRejection(row: rowNumber, reason: "\(dc.header) is empty")) }
                continue
            }
            guard let d = DateText.from(cell, system: dateSystem) else {
                return .rejected(RowRejection(row: rowNumber, reason: "\(dc.header) is not a date", value: cell.text))
            }
            values[dc.col] = .date(d)
        }
        // Dates that parse but cannot be (12-31-9999, 01-01-0001, the number 92 read as 1900-04-01,
        // a birth after the service): checked as paper dates are (issue 21).
        if let why = plausibility(dob: at.dob, dos: at.dos, rowNumber: rowNumber) { return .rejected(why) }
        let patient = text(at.patient)
        if patient.isEmpty { return .rejected(RowRejection(row: rowNumber, reason: "\(headers[at.patient!]) is empty")) }
        // Optional Units (default 1) and Modifier columns.
        var units = 1
        if let ui = at.units, !values[ui].isEmpty {
            let u = text(at.units)
            if let n = Int(u) ?? Double(u).flatMap({ $0 == $0.rounded() ? Int(exactly: $0) : nil }), n > 0 { units = n }
            else { return .rejected(RowRejection(row: rowNumber, reason: "\(headers[ui]) is not a whole number of units", value: u)) }
        }
        let npi = text(at.npi)
        let facility = text(at.facility), care = text(at.care), visit = text(at.visit)
        let provider = text(at.provider), cpt = text(at.cpt)
        let diagnoses = IceImporter.diagnosisList(text(at.assessment))
        // The original cells; those equal to a typed column are stored as a reference to it.
        RowCells.encode(values, into: &cellBytes) { i in
            guard i < self.typedAt.count, let t = self.typedAt[i] else { return nil }
            let v = self.values[i]
            if t.isDate { if case .date = v { return t } else { return nil } }
            guard case .text(let s) = v else { return nil }
            let typed: String
            switch t {
            case .patientName: typed = patient
            case .facility: typed = facility
            case .typeOfCare: typed = care
            case .typeOfVisit: typed = visit
            case .servicingProvider: typed = provider
            case .providerNpi: if npi.isEmpty { return nil }; typed = npi
            case .cpt: typed = cpt
            case .diagnosisCodes: typed = diagnoses
            case .patientDob, .dateOfService: return nil
            }
            return FastText.sameBytes(s, typed) ? t : nil  // byte for byte: the reference must give back the same bytes
        }
        batch.put(patient); batch.put(date: dateValue(at.dob)); batch.put(date: dateValue(at.dos)); batch.put(facility); batch.put(care)
        batch.put(visit); batch.put(provider); batch.put(npi.isEmpty ? nil : npi); batch.put(cpt)
        batch.put(at.modifiers == nil ? "" : IceImporter.modifierList(text(at.modifiers))); batch.put(diagnoses)
        batch.put(bytes: cellBytes)
        return .row(number: rowNumber, units: units)
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
    /// stored once per import; `charges.columns_bin`, or `columns_json` for rows imported before
    /// migration v7, holds the row's values).
    public static func originalColumns(_ db: Database, charge: Charge) throws -> [(header: String, value: CellValue)] {
        guard let importId = charge.importId, charge.columnsBin != nil || charge.columnsJson != nil,
              let headersJSON = try String.fetchOne(db, sql: "SELECT headers_json FROM recon_imports WHERE id = ?", arguments: [importId])
        else { return [] }
        let headers = RowValues.decode(headersJSON).map(\.text)
        let values = charge.cells
        return headers.enumerated().map { i, h in (h, i < values.count ? values[i] : .empty) }
    }
}
