import Foundation

/// Reads one worksheet of an .xlsx (Office Open XML) workbook row by row.
///
/// `ZipArchive` opens the workbook and inflates each part in chunks by igzip straight from the
/// mapped file, its size and CRC checked; the sheet part is scanned as bytes, one complete
/// `<row>` at a time, so memory stays flat however many rows there are. Shared strings are held
/// in memory (they are needed by index). Date serials are recognised through the cell style's
/// number format (built-in date formats and custom formats with day/month/year parts), in the
/// 1900 or 1904 system as the workbook says.
public final class XlsxReader: RowSource {
    public let fileName: String
    public let sheetName: String
    public let sheetNames: [String]
    public let dateSystem: DateSystem
    let archive: ZipArchive
    let sheetPart: String
    let limits: SpreadsheetLimits
    let sharedStrings: [String]
    /// For each cell format index (`s` attribute): is it a date format?
    let dateStyles: [Bool]

    public init(path: String, sheet: String? = nil, limits: SpreadsheetLimits = .init()) throws {
        let archive = try ZipArchive(path: path)
        fileName = archive.fileName
        self.limits = limits
        let name = fileName
        self.archive = archive
        // The workbook part, from the package relationships (usually xl/workbook.xml).
        var workbookPart = "xl/workbook.xml"
        if archive["_rels/.rels"] != nil {
            let rels = try XlsxReader.readSmall(archive, "_rels/.rels", file: name, limits: limits)
            for (type, target, _) in XlsxReader.relationships(rels) where type.hasSuffix("/officeDocument") {
                workbookPart = target.hasPrefix("/") ? String(target.dropFirst()) : target
            }
        }
        guard archive[workbookPart] != nil else {
            throw SpreadsheetError("\(name): not an .xlsx workbook (no \(workbookPart) inside the zip)")
        }
        let wb = try XlsxReader.readSmall(archive, workbookPart, file: name, limits: limits)
        let baseDir = (workbookPart as NSString).deletingLastPathComponent
        let relsPart = baseDir.isEmpty ? "_rels/workbook.xml.rels"
            : "\(baseDir)/_rels/\((workbookPart as NSString).lastPathComponent).rels"
        var targets: [String: String] = [:]
        var stylesPart: String?, sharedPart: String?
        if archive[relsPart] != nil {
            let rels = try XlsxReader.readSmall(archive, relsPart, file: name, limits: limits)
            for (type, target, id) in XlsxReader.relationships(rels) {
                let resolved = XlsxReader.resolve(target, base: baseDir)
                targets[id] = resolved
                if type.hasSuffix("/styles") { stylesPart = resolved }
                if type.hasSuffix("/sharedStrings") { sharedPart = resolved }
            }
        }
        stylesPart = stylesPart ?? (archive["xl/styles.xml"] != nil ? "xl/styles.xml" : nil)
        sharedPart = sharedPart ?? (archive["xl/sharedStrings.xml"] != nil ? "xl/sharedStrings.xml" : nil)

        var sheets: [(name: String, part: String)] = []
        var is1904 = false
        wb.withUnsafeBufferPointer { buf in
            var i = 0
            while let lt = XmlBytes.findByte(XmlBytes.lt, in: buf, from: i, to: buf.count) {
                guard let gt = XmlBytes.findByte(XmlBytes.gt, in: buf, from: lt, to: buf.count) else { break }
                if XmlBytes.isTag("sheet", in: buf, at: lt + 1, to: buf.count) {
                    let n = XmlBytes.attribute("name", in: buf, from: lt, to: gt).map { XmlBytes.text(buf, $0) } ?? ""
                    let rid = XmlBytes.attribute("r:id", in: buf, from: lt, to: gt).map { XmlBytes.text(buf, $0) } ?? ""
                    let idx = sheets.count + 1
                    sheets.append((n, targets[rid] ?? "\(baseDir.isEmpty ? "xl" : baseDir)/worksheets/sheet\(idx).xml"))
                } else if XmlBytes.isTag("workbookPr", in: buf, at: lt + 1, to: buf.count) {
                    if let r = XmlBytes.attribute("date1904", in: buf, from: lt, to: gt) {
                        let v = XmlBytes.text(buf, r).lowercased()
                        is1904 = v == "1" || v == "true"
                    }
                }
                i = gt + 1
            }
        }
        dateSystem = is1904 ? .excel1904 : .excel1900
        sheetNames = sheets.map(\.name)
        guard !sheets.isEmpty else { throw SpreadsheetError("\(name): the workbook has no sheets") }
        if let wanted = sheet {
            guard let s = sheets.first(where: { $0.name == wanted })
                    ?? sheets.first(where: { $0.name.lowercased() == wanted.lowercased() }) else {
                throw SpreadsheetError("\(name): no sheet named '\(wanted)' (sheets: \(sheets.map(\.name).joined(separator: ", ")))")
            }
            sheetName = s.name; sheetPart = s.part
        } else {
            sheetName = sheets[0].name; sheetPart = sheets[0].part
        }
        guard archive[sheetPart] != nil else {
            throw SpreadsheetError("\(name): the sheet '\(sheetName)' is missing from the workbook (\(sheetPart))")
        }
        dateStyles = try stylesPart.map { try XlsxReader.readDateStyles(archive, $0, file: name, limits: limits) } ?? []
        sharedStrings = try sharedPart.map { try XlsxReader.readSharedStrings(archive, $0, file: name, limits: limits) } ?? []
    }

    static func resolve(_ target: String, base: String) -> String {
        if target.hasPrefix("/") { return String(target.dropFirst()) }
        var parts = base.isEmpty ? [] : base.split(separator: "/").map(String.init)
        for p in target.split(separator: "/") {
            if p == ".." { if !parts.isEmpty { parts.removeLast() } } else if p != "." { parts.append(String(p)) }
        }
        return parts.joined(separator: "/")
    }

    /// (Type, Target, Id) of each `<Relationship>` in a .rels part.
    static func relationships(_ bytes: [UInt8]) -> [(String, String, String)] {
        bytes.withUnsafeBufferPointer { buf in
            var out: [(String, String, String)] = []
            var i = 0
            while let lt = XmlBytes.findByte(XmlBytes.lt, in: buf, from: i, to: buf.count) {
                guard let gt = XmlBytes.findByte(XmlBytes.gt, in: buf, from: lt, to: buf.count) else { break }
                if XmlBytes.isTag("Relationship", in: buf, at: lt + 1, to: buf.count) {
                    let t = XmlBytes.attribute("Type", in: buf, from: lt, to: gt).map { XmlBytes.text(buf, $0) } ?? ""
                    let g = XmlBytes.attribute("Target", in: buf, from: lt, to: gt).map { XmlBytes.text(buf, $0) } ?? ""
                    let id = XmlBytes.attribute("Id", in: buf, from: lt, to: gt).map { XmlBytes.text(buf, $0) } ?? ""
                    out.append((t, g, id))
                }
                i = gt + 1
            }
            return out
        }
    }

    /// Inflates a part in chunks (`ZipArchive.stream`: limits, size and CRC), handing on the
    /// pieces with namespace prefixes taken off element names.
    static func streamPart(_ archive: ZipArchive, _ part: String, file: String, limits: SpreadsheetLimits,
                           maxBytes: Int64, _ consume: (Data) throws -> Void) throws {
        var prefixes = XmlPrefixStripper()  // `<x:row>` from some producers reads as `<row>`
        try archive.stream(part, maxBytes: maxBytes, limits: limits) { piece in
            let filtered = prefixes.feed(Data(piece))
            if !filtered.isEmpty { try consume(filtered) }
        }
        let rest = prefixes.finish()
        if !rest.isEmpty { try consume(rest) }
    }

    static func readSmall(_ archive: ZipArchive, _ part: String, file: String, limits: SpreadsheetLimits) throws -> [UInt8] {
        var out = [UInt8]()
        try streamPart(archive, part, file: file, limits: limits, maxBytes: limits.maxSmallPartBytes) { out.append(contentsOf: $0) }
        return out
    }

    /// Streams a part and hands `parse` buffers that end right after the last complete `closing`
    /// tag; `parse` returns how many bytes it consumed. The rest is carried to the next chunk.
    static func streamElements(_ archive: ZipArchive, _ part: String, file: String, limits: SpreadsheetLimits,
                               maxBytes: Int64? = nil, closing: StaticString, inflateAside: Bool = false,
                               _ parse: (UnsafeBufferPointer<UInt8>, Int, Bool) throws -> Int) throws {
        var pending = [UInt8]()
        pending.reserveCapacity(1 << 20)
        let maxPending = 64 << 20
        func take(_ data: Data) throws {
            pending.append(contentsOf: data)
            let consumed = try pending.withUnsafeBufferPointer { buf -> Int in
                guard let last = XmlBytes.findLast(closing, in: buf, to: buf.count) else { return 0 }
                return try parse(buf, last + closing.utf8CodeUnitCount, false)
            }
            if consumed > 0 { pending.removeFirst(consumed) }
            if pending.count > maxPending {
                throw SpreadsheetError("\(file): \(part) has an element larger than \(maxPending) bytes")
            }
        }
        if inflateAside {
            // The part is inflated (and checked against the limits) on a thread of its own while
            // this one parses: inflating was ~20% of the parsing thread of import-ice.
            let chunks = RowPipe<Data>(capacity: 8)
            let source = Handoff(value: archive)
            let inflater = Worker {
                defer { chunks.close() }
                try streamPart(source.value, part, file: file, limits: limits, maxBytes: maxBytes ?? limits.maxPartBytes) {
                    try chunks.push($0)
                }
            }
            do {
                while let data = chunks.pop() { try take(data) }
            } catch {
                chunks.fail(error)
                try? inflater.wait()
                throw error
            }
            try inflater.wait()
        } else {
            try streamPart(archive, part, file: file, limits: limits, maxBytes: maxBytes ?? limits.maxPartBytes) { try take($0) }
        }
        _ = try pending.withUnsafeBufferPointer { buf in try parse(buf, buf.count, true) }
    }

    /// Concatenates the `<t>` texts in `buf[from..<to]`, leaving out phonetic runs (`<rPh>`).
    static func collectText(_ buf: UnsafeBufferPointer<UInt8>, from: Int, to: Int) -> String {
        var pieces: [Range<Int>] = []
        var i = from
        var inPhonetic = false
        while let lt = XmlBytes.findByte(XmlBytes.lt, in: buf, from: i, to: to) {
            guard let gt = XmlBytes.findByte(XmlBytes.gt, in: buf, from: lt, to: to) else { break }
            if XmlBytes.isTag("rPh", in: buf, at: lt + 1, to: to) {
                inPhonetic = buf[gt - 1] != XmlBytes.slash
            } else if buf[lt + 1] == XmlBytes.slash && XmlBytes.isTag("rPh", in: buf, at: lt + 2, to: to) {
                inPhonetic = false
            } else if XmlBytes.isTag("t", in: buf, at: lt + 1, to: to) && buf[gt - 1] != XmlBytes.slash {
                if let end = XmlBytes.find("</t>", in: buf, from: gt + 1, to: to) {
                    if !inPhonetic { pieces.append((gt + 1)..<end) }
                    i = end + 4
                    continue
                }
            }
            i = gt + 1
        }
        if pieces.count == 1 { return XmlBytes.unescapeOOXML(XmlBytes.text(buf, pieces[0])) }
        var out = [UInt8]()
        for p in pieces { XmlBytes.appendDecoded(buf, p, to: &out) }
        return XmlBytes.unescapeOOXML(String(decoding: out, as: UTF8.self))
    }

    static func readSharedStrings(_ archive: ZipArchive, _ part: String, file: String, limits: SpreadsheetLimits) throws -> [String] {
        var strings: [String] = []
        try streamElements(archive, part, file: file, limits: limits, maxBytes: limits.maxSharedStringsBytes, closing: "</si>") { buf, end, _ in
            var i = 0
            var consumed = 0
            while let lt = XmlBytes.find("<si", in: buf, from: i, to: end) {
                guard let gt = XmlBytes.findByte(XmlBytes.gt, in: buf, from: lt, to: end) else { break }
                guard XmlBytes.isTag("si", in: buf, at: lt + 1, to: end) else { i = lt + 3; continue }
                if buf[gt - 1] == XmlBytes.slash {
                    strings.append(""); i = gt + 1; consumed = i; continue
                }
                guard let close = XmlBytes.find("</si>", in: buf, from: gt + 1, to: end) else { break }
                strings.append(collectText(buf, from: gt + 1, to: close))
                i = close + 5
                consumed = i
            }
            return consumed
        }
        return strings
    }

    static func readDateStyles(_ archive: ZipArchive, _ part: String, file: String, limits: SpreadsheetLimits) throws -> [Bool] {
        let bytes = try readSmall(archive, part, file: file, limits: limits)
        return bytes.withUnsafeBufferPointer { buf -> [Bool] in
            var custom: [Int: Bool] = [:]
            var styles: [Bool] = []
            var inXfs = false
            var i = 0
            while let lt = XmlBytes.findByte(XmlBytes.lt, in: buf, from: i, to: buf.count) {
                guard let gt = XmlBytes.findByte(XmlBytes.gt, in: buf, from: lt, to: buf.count) else { break }
                if XmlBytes.isTag("numFmt", in: buf, at: lt + 1, to: buf.count) {
                    if let idR = XmlBytes.attribute("numFmtId", in: buf, from: lt, to: gt), let id = XmlBytes.int(buf, idR),
                       let codeR = XmlBytes.attribute("formatCode", in: buf, from: lt, to: gt) {
                        custom[id] = isDateFormat(XmlBytes.text(buf, codeR))
                    }
                } else if XmlBytes.isTag("cellXfs", in: buf, at: lt + 1, to: buf.count) {
                    inXfs = buf[gt - 1] != XmlBytes.slash
                } else if buf[lt + 1] == XmlBytes.slash && XmlBytes.isTag("cellXfs", in: buf, at: lt + 2, to: buf.count) {
                    inXfs = false
                } else if inXfs && XmlBytes.isTag("xf", in: buf, at: lt + 1, to: buf.count) {
                    let id = XmlBytes.attribute("numFmtId", in: buf, from: lt, to: gt).flatMap { XmlBytes.int(buf, $0) } ?? 0
                    styles.append(custom[id] ?? isBuiltinDateFormat(id))
                }
                i = gt + 1
            }
            return styles
        }
    }

    /// Built-in number formats that show a date (ECMA-376 18.8.30, plus the East Asian ones).
    static func isBuiltinDateFormat(_ id: Int) -> Bool {
        switch id {
        case 14...17, 22, 27...36, 50...58: return true
        default: return false
        }
    }

    /// A custom format shows a date when, outside quoted text and brackets, it has a day or year part.
    static func isDateFormat(_ code: String) -> Bool {
        var inQuote = false, inBracket = false, escaped = false
        for ch in code.lowercased() {
            if escaped { escaped = false; continue }
            switch ch {
            case "\\": escaped = true
            case "\"": inQuote.toggle()
            case "[" where !inQuote: inBracket = true
            case "]" where !inQuote: inBracket = false
            case "d", "y":
                if !inQuote && !inBracket { return true }
            default: break
            }
        }
        return false
    }

    /// One pass over each cell: the `<c>` tag's attributes (`r`, `t`, `s`) are read in a single
    /// scan, and a cell written as `<c …><v>…</v></c>` (what Excel and libxlsxwriter write for every
    /// shared string, number, boolean and error) is taken without looking for `</c>`, `<v>` and
    /// `</row>` separately. Anything else (inline strings, formulas, odd spacing) goes the general
    /// way, which finds the row's end first. A row's end is its `</row>`, met while scanning.
    public func forEachRow(_ body: (Int, [CellValue]) throws -> Void) throws {
        var cells: [CellValue] = []
        cells.reserveCapacity(64)
        var lastRow = 0
        let file = fileName
        let limits = self.limits
        let shared = sharedStrings
        let dateStyles = self.dateStyles
        let system = dateSystem
        /// The value of a cell of type `kind` (first two bytes of `t`, "n" when absent) from its `<v>` text.
        func value(_ buf: UnsafeBufferPointer<UInt8>, _ vs: Range<Int>, kind: UInt8, kind2: UInt8, style: Range<Int>?,
                   row rowNumber: Int) throws -> CellValue {
            switch kind {
            case UInt8(ascii: "s") where kind2 == UInt8(ascii: "t"):  // str (formula text)
                let s = XmlBytes.text(buf, vs); return s.isEmpty ? .empty : .text(s)
            case UInt8(ascii: "s"):
                guard let idx = XmlBytes.int(buf, vs), idx < shared.count else {
                    throw SpreadsheetError("\(file) row \(rowNumber): a shared string index is out of range (damaged workbook)")
                }
                let s = shared[idx]; return s.isEmpty ? .empty : .text(s)
            case UInt8(ascii: "b"):
                return .bool(XmlBytes.int(buf, vs) == 1)
            case UInt8(ascii: "e"):
                return .error(XmlBytes.text(buf, vs))
            case UInt8(ascii: "d"):
                let s = XmlBytes.text(buf, vs)
                if let d = CalendarDate(iso: String(s.prefix(10))) { return .date(d) } else { return .text(s) }
            default:
                guard let d = XmlBytes.double(buf, vs) else {
                    // The cell's text is a value (a patient's, possibly) and, in a damaged part,
                    // any amount of markup: shown only with --verbose, and cut short.
                    let shown = Log.isVerbose ? ": '\(Printable.oneLine(String(XmlBytes.text(buf, vs).prefix(60))))'" : ""
                    throw SpreadsheetError("\(file) row \(rowNumber): a number cell is not a number (damaged workbook)\(shown)")
                }
                if let sr = style, let s = XmlBytes.int(buf, sr), s < dateStyles.count, dateStyles[s], let date = system.date(serial: d) {
                    return .date(date)
                }
                return .number(d)
            }
        }
        try XlsxReader.streamElements(archive, sheetPart, file: file, limits: limits, closing: "</row>", inflateAside: true) { buf, end, atEnd in
            var i = 0
            var consumed = 0
            rows: while let lt = XmlBytes.findByte(XmlBytes.lt, in: buf, from: i, to: end) {
                guard XmlBytes.isTag("row", in: buf, at: lt + 1, to: end),
                      let gt = XmlBytes.findByte(XmlBytes.gt, in: buf, from: lt, to: end) else {
                    if XmlBytes.find("</sheetData>", in: buf, from: lt, to: min(end, lt + 12)) == lt { return end }
                    i = lt + 1; continue
                }
                let rowNumber = XmlBytes.attribute("r", in: buf, from: lt, to: gt).flatMap { XmlBytes.int(buf, $0) } ?? (lastRow + 1)
                if buf[gt - 1] == XmlBytes.slash {  // <row .../>: no cells
                    lastRow = rowNumber; i = gt + 1; consumed = i; continue
                }
                cells.removeAll(keepingCapacity: true)
                var col = -1
                var nonEmpty = false
                var j = gt + 1
                var rowEnd = -1  // the row's `</row>`, looked for only by the general path
                var closed = -1  // where the row's `</row>` starts, once met
                while let clt = XmlBytes.findByte(XmlBytes.lt, in: buf, from: j, to: end) {
                    if clt + 5 < end && buf[clt + 1] == XmlBytes.slash && XmlBytes.startsWith("/row>", in: buf, at: clt + 1) {
                        closed = clt; break
                    }
                    guard XmlBytes.isTag("c", in: buf, at: clt + 1, to: end),
                          let cgt = XmlBytes.findByte(XmlBytes.gt, in: buf, from: clt, to: end) else {
                        j = clt + 1; continue
                    }
                    // The tag's attributes in one pass: r (reference), t (type), s (style).
                    var refR: Range<Int>? = nil, typeR: Range<Int>? = nil, styleR: Range<Int>? = nil
                    var a = clt + 2
                    while a < cgt {
                        let ch = buf[a]
                        if ch == 0x20 || ch == 0x09 || ch == 0x0A || ch == 0x0D { a += 1; continue }
                        let ns = a
                        while a < cgt {
                            let x = buf[a]
                            if x == XmlBytes.eq || x == 0x20 || x == 0x09 || x == 0x0A || x == 0x0D || x == XmlBytes.slash { break }
                            a += 1
                        }
                        let ne = a
                        if ne == ns { a += 1; continue }
                        while a < cgt && (buf[a] == 0x20 || buf[a] == 0x09 || buf[a] == 0x0A || buf[a] == 0x0D) { a += 1 }
                        guard a < cgt, buf[a] == XmlBytes.eq else { continue }
                        a += 1
                        while a < cgt && (buf[a] == 0x20 || buf[a] == 0x09 || buf[a] == 0x0A || buf[a] == 0x0D) { a += 1 }
                        guard a < cgt, buf[a] == XmlBytes.quote || buf[a] == XmlBytes.apos else { continue }
                        guard let close = XmlBytes.findByte(buf[a], in: buf, from: a + 1, to: cgt) else { break }
                        if ne - ns == 1 {
                            switch buf[ns] {
                            case UInt8(ascii: "r"): refR = (a + 1)..<close
                            case UInt8(ascii: "t"): typeR = (a + 1)..<close
                            case UInt8(ascii: "s"): styleR = (a + 1)..<close
                            default: break
                            }
                        }
                        a = close + 1
                    }
                    if let rr = refR, let c = XmlBytes.column(ofRef: buf, rr) { col = c } else { col += 1 }
                    if col >= limits.maxColumns {
                        throw SpreadsheetError("\(file) row \(rowNumber): a cell beyond column \(limits.maxColumns) (limit)")
                    }
                    var kind: UInt8 = UInt8(ascii: "n")
                    var kind2: UInt8 = 0
                    if let tr = typeR, !tr.isEmpty { kind = buf[tr.lowerBound]; kind2 = tr.count > 1 ? buf[tr.lowerBound + 1] : 0 }
                    var cell = CellValue.empty
                    var next = cgt + 1
                    if buf[cgt - 1] != XmlBytes.slash {
                        let vs = cgt + 4
                        if kind != UInt8(ascii: "i"), vs < end, buf[cgt + 1] == XmlBytes.lt, buf[cgt + 2] == UInt8(ascii: "v"),
                           buf[cgt + 3] == XmlBytes.gt, let ve = XmlBytes.findByte(XmlBytes.lt, in: buf, from: vs, to: end),
                           ve + 8 <= end, XmlBytes.startsWith("</v></c>", in: buf, at: ve) {
                            cell = try value(buf, vs..<ve, kind: kind, kind2: kind2, style: styleR, row: rowNumber)
                            next = ve + 8
                        } else {
                            if rowEnd < 0 {
                                guard let re = XmlBytes.find("</row>", in: buf, from: cgt + 1, to: end) else { break }
                                rowEnd = re
                            }
                            guard let cend = XmlBytes.find("</c>", in: buf, from: cgt + 1, to: rowEnd) else {
                                throw SpreadsheetError("\(file) row \(rowNumber): a cell is not closed (damaged sheet)")
                            }
                            next = cend + 4
                            if kind == UInt8(ascii: "i") {  // inlineStr
                                let s = XlsxReader.collectText(buf, from: cgt + 1, to: cend)
                                cell = s.isEmpty ? .empty : .text(s)
                            } else if let vr = XlsxReader.valueRange(buf, from: cgt + 1, to: cend) {
                                cell = try value(buf, vr, kind: kind, kind2: kind2, style: styleR, row: rowNumber)
                            }
                        }
                    }
                    if case .empty = cell {} else {
                        while cells.count < col { cells.append(.empty) }
                        if cells.count == col { cells.append(cell) } else { cells[col] = cell }
                        nonEmpty = true
                    }
                    j = next
                }
                guard closed >= 0 else {
                    if atEnd { throw SpreadsheetError("\(file) row \(rowNumber): the row is cut off (damaged sheet)") }
                    break rows
                }
                if rowNumber > limits.maxRows {
                    throw SpreadsheetError("\(file): more than \(limits.maxRows) rows (limit)")
                }
                lastRow = rowNumber
                if nonEmpty { try body(rowNumber, cells) }
                i = closed + 6
                consumed = i
            }
            return atEnd ? end : consumed
        }
    }

    /// The text range of the `<v>` child in a cell body, or nil.
    @inline(__always)
    static func valueRange(_ buf: UnsafeBufferPointer<UInt8>, from: Int, to: Int) -> Range<Int>? {
        var i = from
        while let lt = XmlBytes.findByte(XmlBytes.lt, in: buf, from: i, to: to) {
            if XmlBytes.isTag("v", in: buf, at: lt + 1, to: to), let gt = XmlBytes.findByte(XmlBytes.gt, in: buf, from: lt, to: to) {
                if buf[gt - 1] == XmlBytes.slash { return nil }
                guard let e = XmlBytes.find("</v>", in: buf, from: gt + 1, to: to) else { return nil }
                return (gt + 1)..<e
            }
            i = lt + 1
        }
        return nil
    }
}
