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
    /// The finished file under its temporary name, until `close()` moves it in place.
    private var written: String?

    /// Removes what a writer killed mid-file left in `dir` (issue 21): `.tmp-PID-NAME.xlsx` and its
    /// `.splice`, when no process PID is alive any more. A live writer's files are left alone.
    static func removeStaleTemporaries(in dir: String) {
        guard let names = try? FileManager.default.contentsOfDirectory(atPath: dir) else { return }
        for n in names where n.hasPrefix(".tmp-") && (n.hasSuffix(".xlsx") || n.hasSuffix(".xlsx.splice")) {
            let rest = n.dropFirst(5)
            guard let dash = rest.firstIndex(of: "-"), let pid = Int32(rest[..<dash]), pid > 0 else { continue }
            if pid == getpid() { continue }
            if kill(pid, 0) == 0 || errno == EPERM { continue }
            unlink(dir + "/" + n)
        }
    }

    /// Creates the workbook that will be moved to `path` on close. Owner-only file.
    /// `constantMemory: false` keeps every cell in memory until close and writes shared strings
    /// (what office programs write); the default streams rows with inline strings.
    public init(path: String, dateFormat pattern: String = "mm/dd/yyyy", constantMemory: Bool = true) throws {
        finalPath = path
        let dir = (path as NSString).deletingLastPathComponent
        let base = (path as NSString).lastPathComponent
        tempPath = (dir.isEmpty ? "." : dir) + "/.tmp-\(getpid())-\(base)"
        XlsxWorkbook.removeStaleTemporaries(in: dir.isEmpty ? "." : dir)
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
        // Written but never moved in place (the run failed after): drop it.
        if let w = written { unlink(w) }
    }

    /// Adds a sheet. A `streamed` sheet's rows (everything below the header) are written by
    /// `SheetBody` and spliced into libxlsxwriter's file at close (`SheetSplice`): for the big
    /// sheets, where libxlsxwriter's per-cell formatting and default-level deflate cost most.
    public func addSheet(_ name: String, streamed: Bool = false) throws -> XlsxSheet {
        guard let wb = handle, let ws = workbook_add_worksheet(wb, name) else {
            throw SpreadsheetError("cannot add the sheet '\(name)'")
        }
        // The date style's index in styles.xml, as libxlsxwriter assigns it (asking registers the
        // format, so styles.xml carries it even when no libxlsxwriter cell uses it).
        let body = streamed ? try SheetBody(dateStyle: Int(lxw_format_get_xf_index(dateFormat))) : nil
        let s = XlsxSheet(ws, bold: bold, date: dateFormat, body: body)
        sheets.append(s)
        return s
    }

    /// Finishes the sheets (widths, frozen header, autofilter) and writes the whole file beside
    /// its destination, under a temporary name: `close()` then only moves it in place. (Lets a
    /// caller write a big workbook on another thread and still publish it last.)
    public func write() throws {
        guard let wb = handle else { return }
        for s in sheets { s.finish() }
        handle = nil
        let err = workbook_close(wb)
        guard err == LXW_NO_ERROR else {
            unlink(tempPath)
            // libxlsxwriter's zip errors carry no errno: a disk with no room left is the cause.
            if DiskFull.hasLittleRoom(at: finalPath) { throw outboxFull }
            throw SpreadsheetError("\((finalPath as NSString).lastPathComponent): cannot write the workbook (\(String(cString: lxw_strerror(err))))")
        }
        chmod(tempPath, 0o600)
        var ready = tempPath
        var bodies: [String: SheetBody] = [:]
        var headers: [String: Int] = [:]
        for (i, s) in sheets.enumerated() {
            if let b = s.body { bodies["xl/worksheets/sheet\(i + 1).xml"] = b; headers["xl/worksheets/sheet\(i + 1).xml"] = s.headerWidth }
        }
        if !bodies.isEmpty {
            let spliced = tempPath + ".splice"
            unlink(spliced)
            do {
                try SheetSplice.write(source: tempPath, dest: spliced, bodies: bodies, headerColumns: headers)
            } catch {
                unlink(spliced); unlink(tempPath)
                if DiskFull.isFull(error) || DiskFull.hasLittleRoom(at: finalPath) { throw outboxFull }
                throw SpreadsheetError("\((finalPath as NSString).lastPathComponent): cannot write the workbook (\(error))")
            }
            unlink(tempPath)
            ready = spliced
        }
        written = ready
    }

    /// The workbook's folder is on a full disk.
    private var outboxFull: DiskFull {
        DiskFull(input: (finalPath as NSString).lastPathComponent,
                 place: "the output folder \((finalPath as NSString).deletingLastPathComponent)",
                 outcome: "the workbook was not written (no partial file is left); run the command again once there is room")
    }

    /// Writes the file (unless `write()` did) and moves it in place.
    public func close() throws {
        try write()
        guard let ready = written else { return }
        written = nil
        guard rename(ready, finalPath) == 0 else {
            unlink(ready)
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
    /// The rows below the header, when this sheet is streamed by our own writer.
    let body: SheetBody?
    private(set) var headerWidth = 0

    init(_ ws: UnsafeMutablePointer<lxw_worksheet>, bold: UnsafeMutablePointer<lxw_format>, date: UnsafeMutablePointer<lxw_format>,
         body: SheetBody?) {
        self.ws = ws; self.bold = bold; self.dateFormat = date; self.body = body
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
        headerWidth = titles.count
        hasHeader = true
    }

    /// Row 0 is the header; data rows start at 1.
    public func write(_ row: Int, _ col: Int, text: String) {
        guard !text.isEmpty else { return }
        if let body { body.text(row, col, text) } else { worksheet_write_string(ws, lxw_row_t(row), lxw_col_t(col), text, nil) }
        if row < 5000 { note(col, min(text.utf8.count, 60)) }
        if row > lastRow { lastRow = row }
    }

    /// A text cell from its UTF-8 bytes (the Data rows of `reconcile`, straight from the database).
    func write(_ row: Int, _ col: Int, textBytes u: UnsafeBufferPointer<UInt8>) {
        guard !u.isEmpty else { return }
        if let body { body.text(row, col, bytes: u) } else { write(row, col, text: String(decoding: u, as: UTF8.self)); return }
        if row < 5000 { note(col, min(u.count, 60)) }
        if row > lastRow { lastRow = row }
    }

    /// A cell of a `RowCells` row (a reference left unresolved writes nothing).
    func write(_ row: Int, _ col: Int, cell: RowCells.Cell) {
        switch cell {
        case .empty, .reference: break
        case .text(let u), .error(let u): write(row, col, textBytes: u)
        case .number(let d): write(row, col, number: d)
        case .bool(let b): write(row, col, bool: b)
        case .date(let d): write(row, col, date: d)
        }
    }

    public func write(_ row: Int, _ col: Int, number: Double) {
        if let body { body.number(row, col, number) } else { worksheet_write_number(ws, lxw_row_t(row), lxw_col_t(col), number, nil) }
        if row < 5000 { note(col, min(CellValue.format(number).count, 20)) }
        if row > lastRow { lastRow = row }
    }

    public func write(_ row: Int, _ col: Int, bool: Bool) {
        if let body { body.bool(row, col, bool) } else { worksheet_write_boolean(ws, lxw_row_t(row), lxw_col_t(col), bool ? 1 : 0, nil) }
        note(col, 5)
        if row > lastRow { lastRow = row }
    }

    /// A real date cell: the 1900-system serial with a date number format.
    public func write(_ row: Int, _ col: Int, date: CalendarDate) {
        if let body { body.date(row, col, date) } else {
            worksheet_write_number(ws, lxw_row_t(row), lxw_col_t(col), DateSystem.excel1900.serial(of: date), dateFormat)
        }
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
