import Foundation

/// Reads a CSV file (RFC 4180: comma separated, `"` quoting with `""` escapes, newlines inside
/// quoted fields, CRLF or LF line ends), UTF-8 with or without a byte-order mark. The file is
/// memory-mapped; every cell is text (an empty field is `.empty`). The row number is the record
/// number, header = row 1, as a spreadsheet program would show it.
public final class CSVReader: RowSource {
    public let fileName: String
    public let dateSystem = DateSystem.excel1900
    let data: Data
    let limits: SpreadsheetLimits

    public init(path: String, limits: SpreadsheetLimits = .init()) throws {
        let url = URL(fileURLWithPath: path)
        fileName = url.lastPathComponent
        self.limits = limits
        let size = (try? FileManager.default.attributesOfItem(atPath: path)[.size] as? Int64) ?? 0
        if size > limits.maxPartBytes {
            throw SpreadsheetError("\(fileName): \(size) bytes, more than the limit of \(limits.maxPartBytes)")
        }
        do {
            data = try Data(contentsOf: url, options: .alwaysMapped)
        } catch {
            throw SpreadsheetError("\(fileName): cannot be read")
        }
    }

    public func forEachRow(_ body: (Int, [CellValue]) throws -> Void) throws {
        let file = fileName
        let limits = self.limits
        try data.withUnsafeBytes { (raw: UnsafeRawBufferPointer) in
            let buf = raw.bindMemory(to: UInt8.self)
            let n = buf.count
            var i = 0
            if n >= 3 && buf[0] == 0xEF && buf[1] == 0xBB && buf[2] == 0xBF { i = 3 }
            var cells: [CellValue] = []
            var field = [UInt8]()
            var record = 0
            let quote = UInt8(ascii: "\""), comma = UInt8(ascii: ","), cr = UInt8(0x0D), lf = UInt8(0x0A)
            func cell(_ bytes: UnsafeBufferPointer<UInt8>) -> CellValue {
                bytes.isEmpty ? .empty : .text(String(decoding: bytes, as: UTF8.self))
            }
            while i < n {
                record += 1
                if record > limits.maxRows { throw SpreadsheetError("\(file): more than \(limits.maxRows) rows (limit)") }
                cells.removeAll(keepingCapacity: true)
                var endOfRecord = false
                while !endOfRecord {
                    if cells.count >= limits.maxColumns {
                        throw SpreadsheetError("\(file) row \(record): more than \(limits.maxColumns) columns (limit)")
                    }
                    if i < n && buf[i] == quote {
                        field.removeAll(keepingCapacity: true)
                        i += 1
                        var closed = false
                        while i < n {
                            let c = buf[i]
                            if c == quote {
                                if i + 1 < n && buf[i + 1] == quote { field.append(quote); i += 2; continue }
                                i += 1; closed = true; break
                            }
                            field.append(c); i += 1
                        }
                        if !closed { throw SpreadsheetError("\(file) row \(record): a quoted field is not closed") }
                        // Text after the closing quote up to the separator is kept (lenient).
                        while i < n && buf[i] != comma && buf[i] != lf && buf[i] != cr { field.append(buf[i]); i += 1 }
                        cells.append(field.isEmpty ? .empty : .text(String(decoding: field, as: UTF8.self)))
                    } else {
                        let start = i
                        while i < n && buf[i] != comma && buf[i] != lf && buf[i] != cr { i += 1 }
                        cells.append(cell(UnsafeBufferPointer(rebasing: buf[start..<i])))
                    }
                    if i >= n { endOfRecord = true }
                    else if buf[i] == comma { i += 1; if i >= n { cells.append(.empty); endOfRecord = true } }
                    else {
                        if buf[i] == cr { i += 1; if i < n && buf[i] == lf { i += 1 } } else { i += 1 }
                        endOfRecord = true
                    }
                }
                while let last = cells.last, last.isEmpty { cells.removeLast() }
                if !cells.isEmpty { try body(record, cells) }
            }
        }
    }
}
