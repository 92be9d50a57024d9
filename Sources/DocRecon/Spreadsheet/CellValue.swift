import Foundation

/// One cell as read from a spreadsheet: what kind it was in the file, not how it was displayed.
public enum CellValue: Sendable, Equatable {
    case empty
    case text(String)
    case number(Double)
    case bool(Bool)
    /// A numeric cell whose style is a date format (or an ISO `t="d"` cell), as a calendar date.
    case date(CalendarDate)
    /// A formula error such as `#N/A`.
    case error(String)

    public var isEmpty: Bool {
        switch self {
        case .empty: return true
        case .text(let s): return s.allSatisfy { $0 == " " || $0 == "\t" || $0 == "\n" || $0 == "\r" }
        default: return false
        }
    }

    /// The cell as a user would read it (numbers without a trailing `.0`, dates `yyyy-MM-dd`).
    public var text: String {
        switch self {
        case .empty: return ""
        case .text(let s): return s
        case .number(let d): return CellValue.format(d)
        case .bool(let b): return b ? "TRUE" : "FALSE"
        case .date(let d): return d.iso
        case .error(let e): return e
        }
    }

    public static func format(_ d: Double) -> String {
        if d.rounded() == d, abs(d) < 1e15 { return String(Int64(d)) }
        return String(d)
    }
}

/// Which day an Excel serial number counts from.
public enum DateSystem: Sendable, Equatable {
    /// Serial 1 is 1900-01-01, with Lotus' fictitious 1900-02-29 at serial 60.
    case excel1900
    /// Serial 0 is 1904-01-01 (old Mac Excel, workbook flag `date1904`).
    case excel1904

    /// The calendar date of a serial (the time of day, if any, is dropped). Nil when out of range.
    public func date(serial: Double) -> CalendarDate? {
        guard serial.isFinite, serial >= 0, serial < 2_958_466 else { return nil }
        let whole = Int(serial.rounded(.down))
        switch self {
        case .excel1904:
            return CalendarDate(year: 1904, month: 1, day: 1)!.adding(days: whole)
        case .excel1900:
            if whole == 0 || whole == 60 { return nil }  // 1900-01-00 and 1900-02-29 do not exist
            let base = CalendarDate(year: 1899, month: 12, day: 31)!
            return base.adding(days: whole < 60 ? whole : whole - 1)
        }
    }

    /// The serial of a date in this system (what a writer puts in a date cell).
    public func serial(of date: CalendarDate) -> Double {
        switch self {
        case .excel1904:
            return Double(date.days(since: CalendarDate(year: 1904, month: 1, day: 1)!))
        case .excel1900:
            let d = date.days(since: CalendarDate(year: 1899, month: 12, day: 31)!)
            return Double(d < 60 ? d : d + 1)
        }
    }
}

/// Protection against hostile files: every reader checks these and fails with a clear message.
public struct SpreadsheetLimits: Sendable {
    /// Largest uncompressed size of any one part of an .xlsx (or of a .csv file).
    public var maxPartBytes: Int64 = 4 << 30
    /// A part that inflates more than this many times its compressed size is refused (zip bomb),
    /// once it is past `ratioFloorBytes` (small parts can compress extremely well legitimately).
    public var maxCompressionRatio: Int64 = 250
    public var ratioFloorBytes: Int64 = 8 << 20
    public var maxRows = 2_000_000
    public var maxColumns = 2_048
    /// The shared strings are held in memory: their part may not inflate past this.
    public var maxSharedStringsBytes: Int64 = 1 << 30
    /// styles.xml, workbook.xml and the relationship parts are read whole: they must be small.
    public var maxSmallPartBytes: Int64 = 32 << 20
    /// Time budget for reading one part (checked as its data inflates), in seconds; nil: none.
    /// Generous: a 1,000,000-row sheet inflates in under a second here.
    public var maxSeconds: Double? = 300

    public init() {}
}

public struct SpreadsheetError: Error, CustomStringConvertible, Equatable, Sendable {
    public var message: String
    public init(_ message: String) { self.message = message }
    public var description: String { message }
}

/// A table read row by row: the row number as the user sees it (1-based, header is row 1 in a
/// usual export) and the cells of the row by 0-based column, missing cells filled with `.empty`.
public protocol RowSource {
    /// Date system of the source (CSV: the 1900 system, for numbers a user means as serials).
    var dateSystem: DateSystem { get }
    /// Calls `body` for each row in order. Rows with no cell at all are skipped.
    func forEachRow(_ body: (_ rowNumber: Int, _ cells: [CellValue]) throws -> Void) throws
}

public enum Spreadsheet {
    /// Opens an .xlsx or .csv by content (a zip is a workbook) and extension.
    public static func open(path: String, sheet: String? = nil, limits: SpreadsheetLimits = .init()) throws -> any RowSource {
        let url = URL(fileURLWithPath: path)
        let name = url.lastPathComponent
        guard let fh = FileHandle(forReadingAtPath: path) else {
            throw SpreadsheetError("\(name): cannot be read")
        }
        let magic = (try? fh.read(upToCount: 4)) ?? Data()
        try? fh.close()
        let ext = url.pathExtension.lowercased()
        let isZip = magic.count == 4 && magic.starts(with: [0x50, 0x4B, 0x03, 0x04])
        if ext == "csv" || ext == "txt" {
            if sheet != nil { throw SpreadsheetError("\(name): a CSV file has no sheets (--sheet given)") }
            return try CSVReader(path: path, limits: limits)
        }
        if isZip { return try XlsxReader(path: path, sheet: sheet, limits: limits) }
        if ext == "xlsx" || ext == "xlsm" {
            throw SpreadsheetError("\(name): not an .xlsx workbook (the file is not a zip archive)")
        }
        throw SpreadsheetError("\(name): not a spreadsheet (expected .xlsx or .csv)")
    }
}
