import Foundation
import GRDB

/// Where a charge came from. Paper charges and ICE rows enter the reconciliation core alike.
public enum ChargeSource: String, Codable, Sendable {
    /// A row of an ICE export.
    case ice
    /// A service line extracted from a scanned or born-digital charge sheet.
    case paper
}

/// One billable service: an ICE export row or one extracted service line of a paper sheet.
/// Every field the encounter key is made of is stored as such (never rebuilt from a key).
public struct Charge: Codable, Sendable, Equatable, FetchableRecord, MutablePersistableRecord {
    public static let databaseTableName = "charges"
    public static let databaseColumnDecodingStrategy = DatabaseColumnDecodingStrategy.convertFromSnakeCase
    public static let databaseColumnEncodingStrategy = DatabaseColumnEncodingStrategy.convertToSnakeCase

    public var id: Int64?
    public var source: ChargeSource
    /// For ICE rows: the import the row belongs to (see the reconciliation tables).
    public var importId: Int64?
    /// For ICE rows: the 1-based spreadsheet row number (header is row 1).
    public var rowNumber: Int?
    /// For paper charges: the document, record (sheet) and service line they came from.
    public var documentId: Int64?
    public var recordIndex: Int?
    public var lineIndex: Int?

    public var patientName: String
    public var patientDob: CalendarDate?
    public var dateOfService: CalendarDate?
    public var facility: String
    public var typeOfCare: String
    public var typeOfVisit: String
    public var servicingProvider: String
    public var providerNpi: String?
    public var accountNumber: String?
    /// CPT/HCPCS code(s) as given (an ICE cell may hold several, comma separated).
    public var cpt: String
    /// Modifiers, comma separated, canonical (upper-case 2-char).
    public var modifiers: String
    public var units: Int
    public var amount: Money?
    /// ICD-10-CM codes, comma separated, canonical (with the dot).
    public var diagnosisCodes: String
    /// For ICE rows: every original cell's text, in input order (a JSON array). The headers are
    /// stored once per import (`recon_imports.headers_json`); `ReconIntake.originalColumns`
    /// pairs them up. Pairs on every row would cost ~230 MB more at a million rows.
    public var columnsJson: String?
    /// The same, in the compact binary form of `RowCells` (rows imported since migration v7;
    /// `columnsJson` is then nil). `cells` reads either.
    public var columnsBin: Data?
    public var createdAt: Date

    /// The original cells of an ICE row, in input order (empty for paper charges).
    public var cells: [CellValue] {
        if let b = columnsBin { return RowCells.decode([UInt8](b), charge: self) }
        if let j = columnsJson { return RowValues.decode(j) }
        return []
    }

    public init(id: Int64? = nil, source: ChargeSource, importId: Int64? = nil, rowNumber: Int? = nil,
                documentId: Int64? = nil, recordIndex: Int? = nil, lineIndex: Int? = nil,
                patientName: String, patientDob: CalendarDate?, dateOfService: CalendarDate?,
                facility: String = "", typeOfCare: String = "", typeOfVisit: String = "",
                servicingProvider: String = "", providerNpi: String? = nil, accountNumber: String? = nil,
                cpt: String, modifiers: String = "", units: Int = 1, amount: Money? = nil,
                diagnosisCodes: String = "", columnsJson: String? = nil, columnsBin: Data? = nil, createdAt: Date = Date()) {
        self.id = id; self.source = source; self.importId = importId; self.rowNumber = rowNumber
        self.documentId = documentId; self.recordIndex = recordIndex; self.lineIndex = lineIndex
        self.patientName = patientName; self.patientDob = patientDob; self.dateOfService = dateOfService
        self.facility = facility; self.typeOfCare = typeOfCare; self.typeOfVisit = typeOfVisit
        self.servicingProvider = servicingProvider; self.providerNpi = providerNpi
        self.accountNumber = accountNumber; self.cpt = cpt; self.modifiers = modifiers; self.units = units
        self.amount = amount; self.diagnosisCodes = diagnosisCodes; self.columnsJson = columnsJson
        self.columnsBin = columnsBin
        self.createdAt = createdAt
    }

    public mutating func didInsert(_ inserted: InsertionSuccess) { id = inserted.rowID }
}
