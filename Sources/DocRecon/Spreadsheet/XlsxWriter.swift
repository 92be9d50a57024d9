import CXlsxWriter
import Foundation

/// The one owning wrapper around libxlsxwriter. A workbook is written to a temporary file beside
/// its destination and renamed into place on `close()`, so a failed run never leaves half a
/// workbook under the real name. Rows must be written in order (constant-memory mode: each row
/// goes to disk as soon as the next one starts). Nothing outside this file sees a C pointer.
public final class XlsxWorkbook {
    private var handle: UnsafeMutablePointer<lxw_workbook>?
    private let finalPath: String
    private let tempPath: String
    private let bold: UnsafeMutablePointer<lxw_format>
    private let dateFormat: UnsafeMutablePointer<lxw_format>
    private var sheets: [XlsxSheet] = []

    /// Creates the workbook that will be moved to `path` on close. Owner-only file.
    /// `constantMemory: false` keeps every cell in memory until close and writes shared strings
    /// (what office programs write); the default streams rows with inline strings.
    public init(path: String, dateFormat pattern: String = "mm/dd/yyyy", constantMemory: Bool = true) throws {
        finalPath = path
        let dir = (path as NSString).deletingLastPathComponent
        let base = (path as NSString).lastPathComponent
        tempPath = (dir.isEmpty ? "." : dir) + "/.tmp-\(getpid())-\(base)"
        var opts = lxw_workbook_options()
        opts.constant_memory = constantMemory ? 1 : 0
        opts.use_zip64 = 0  // a sheet stays well under 4 GB at the reader's 2M-row limit; ZIP64 upsets some readers
        let tmp = strdup(NSTemporaryDirectory())
        defer { free(tmp) }
        opts.tmpdir = tmp
        guard let wb = workbook_new_opt(tempPath, &opts) else {
            throw SpreadsheetError("\(base): cannot create the workbook in \(dir)")
        }
        handle = wb
        bold = workbook_add_format(wb)
        format_set_bold(bold)
        dateFormat = workbook_add_format(wb)
        format_set_num_format(dateFormat, pattern)
    }

    deinit {
        if let wb = handle {
            // Not closed: free what libxlsxwriter holds and drop the partial file.
            workbook_close(wb)
            unlink(tempPath)
        }
    }

    public func addSheet(_ name: String) throws -> XlsxSheet {
        guard let wb = handle, let ws = workbook_add_worksheet(wb, name) else {
            throw SpreadsheetError("cannot add the sheet '\(name)'")
        }
        let s = XlsxSheet(ws, bold: bold, date: dateFormat)
        sheets.append(s)
        return s
    }

    /// Finishes the sheets (widths, frozen header, autofilter), writes the file and moves it in place.
    public func close() throws {
        guard let wb = handle else { return }
        for s in sheets { s.finish() }
        handle = nil
        let err = workbook_close(wb)
        guard err == LXW_NO_ERROR else {
            unlink(tempPath)
            throw SpreadsheetError("\((finalPath as NSString).lastPathComponent): cannot write the workbook (\(String(cString: lxw_strerror(err))))")
        }
        chmod(tempPath, 0o600)
        guard rename(tempPath, finalPath) == 0 else {
            unlink(tempPath)
            throw SpreadsheetError("\((finalPath as NSString).lastPathComponent): cannot move the workbook into place")
        }
    }
}

/// One worksheet. Cells are written row by row; widths follow the longest text seen per column
/// (capped), and the header row is bold, frozen and carries an autofilter.
public final class XlsxSheet {
    private let ws: UnsafeMutablePointer<lxw_worksheet>
    private let bold: UnsafeMutablePointer<lxw_format>
    private let dateFormat: UnsafeMutablePointer<lxw_format>
    private var widths: [Int] = []
    private var lastRow = 0
    private var hasHeader = false

    init(_ ws: UnsafeMutablePointer<lxw_worksheet>, bold: UnsafeMutablePointer<lxw_format>, date: UnsafeMutablePointer<lxw_format>) {
        self.ws = ws; self.bold = bold; self.dateFormat = date
    }

    @inline(__always) private func note(_ col: Int, _ width: Int) {
        if col >= widths.count { widths.append(contentsOf: repeatElement(0, count: col - widths.count + 1)) }
        if width > widths[col] { widths[col] = width }
    }

    public func writeHeader(_ titles: [String]) {
        for (c, t) in titles.enumerated() {
            worksheet_write_string(ws, 0, lxw_col_t(c), t, bold)
            note(c, t.count + 3)  // room for the filter button
        }
        hasHeader = true
    }

    /// Row 0 is the header; data rows start at 1.
    public func write(_ row: Int, _ col: Int, text: String) {
        guard !text.isEmpty else { return }
        worksheet_write_string(ws, lxw_row_t(row), lxw_col_t(col), text, nil)
        if row < 5000 { note(col, min(text.utf8.count, 60)) }
        if row > lastRow { lastRow = row }
    }

    public func write(_ row: Int, _ col: Int, number: Double) {
        worksheet_write_number(ws, lxw_row_t(row), lxw_col_t(col), number, nil)
        if row < 5000 { note(col, min(CellValue.format(number).count, 20)) }
        if row > lastRow { lastRow = row }
    }

    public func write(_ row: Int, _ col: Int, bool: Bool) {
        worksheet_write_boolean(ws, lxw_row_t(row), lxw_col_t(col), bool ? 1 : 0, nil)
        note(col, 5)
        if row > lastRow { lastRow = row }
    }

    /// A real date cell: the 1900-system serial with a date number format.
    public func write(_ row: Int, _ col: Int, date: CalendarDate) {
        worksheet_write_number(ws, lxw_row_t(row), lxw_col_t(col), DateSystem.excel1900.serial(of: date), dateFormat)
        note(col, 10)
        if row > lastRow { lastRow = row }
    }

    public func write(_ row: Int, _ col: Int, _ value: CellValue) {
        switch value {
        case .empty: break
        case .text(let s): write(row, col, text: s)
        case .number(let d): write(row, col, number: d)
        case .bool(let b): write(row, col, bool: b)
        case .date(let d): write(row, col, date: d)
        case .error(let e): write(row, col, text: e)
        }
    }

    func finish() {
        for (c, w) in widths.enumerated() {
            worksheet_set_column(ws, lxw_col_t(c), lxw_col_t(c), Double(max(8, min(w + 2, 62))), nil)
        }
        if hasHeader {
            worksheet_freeze_panes(ws, 1, 0)
            if !widths.isEmpty {
                worksheet_autofilter(ws, 0, 0, lxw_row_t(lastRow), lxw_col_t(widths.count - 1))
            }
        }
    }
}
