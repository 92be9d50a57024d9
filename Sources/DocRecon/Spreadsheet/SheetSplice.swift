import Foundation

/// Writes the final .xlsx from libxlsxwriter's file and our streamed sheet bodies: every zip entry
/// of libxlsxwriter's file is copied as it is (compressed bytes untouched), except each streamed
/// sheet's part, which becomes libxlsxwriter's XML up to and including the header row, our rows,
/// then the rest of its XML, with `<dimension ref>` set to the real range. The three pieces are
/// separate raw-deflate segments joined pigz-style (the first two end with a full flush) and the
/// CRC is combined from theirs.
///
/// No ZIP64: an entry, its offset or the whole file past 4 GiB is refused with a clear error (the
/// reader caps sheets at 2,000,000 rows, whose Data XML stays near 2 GB).
enum SheetSplice {
    typealias Entry = ZipDirectory.Entry

    static let limit = Int(UInt32.max)

    /// Splits a sheet's XML around its rows: everything up to and including row 1 (the header),
    /// and everything from `</sheetData>` on. `dimension` replaces the `<dimension ref>` value.
    static func split(sheetXML x: [UInt8], dimension: String) throws -> (head: [UInt8], tail: [UInt8]) {
        func find(_ s: StaticString, from: Int = 0) -> Int? {
            x.withUnsafeBufferPointer { XmlBytes.find(s, in: $0, from: from, to: $0.count) }
        }
        guard let sd = find("<sheetData"), let end = find("</sheetData>", from: sd) else {
            throw SpreadsheetError("the sheet libxlsxwriter wrote has no sheet data")
        }
        // Rows other than the header would be out of order with ours: refuse rather than misplace.
        let firstRowEnd = find("</row>", from: sd).map { $0 + 6 }
        let cut: Int
        if let r = firstRowEnd, r <= end {
            guard find("<row ", from: r).map({ $0 >= end }) ?? true else {
                throw SpreadsheetError("the streamed sheet has rows other than its header in libxlsxwriter's part")
            }
            cut = r
        } else if x[end - 2] == UInt8(ascii: "/") || find("<sheetData/>") != nil {
            throw SpreadsheetError("the streamed sheet has no header row")
        } else {
            cut = end
        }
        var head = Array(x[0..<cut])
        let tail = Array(x[end...])
        if let d = find("<dimension ref=\""), d < sd {
            let start = d + 16
            if let q = head[start...].firstIndex(of: UInt8(ascii: "\"")) {
                head.replaceSubrange(start..<q, with: Array(dimension.utf8))
            }
        }
        return (head, tail)
    }

    /// A part to write: either copied from the source file or spliced from pieces.
    enum Part {
        case copy(Entry)
        /// Raw-deflate segments in order (all but the last end byte-aligned and non-final).
        case spliced(Entry, segments: [[UInt8]], crc: UInt32, size: Int)
    }

    /// Writes `source` (libxlsxwriter's file) to `dest` with the streamed sheets spliced in.
    /// `bodies` maps a part name (`xl/worksheets/sheet1.xml`) to its rows. `dest` is created
    /// owner-only and must not exist.
    static func write(source: String, dest: String, bodies: [String: SheetBody], headerColumns: [String: Int]) throws {
        let src = try [UInt8](Data(contentsOf: URL(fileURLWithPath: source)))
        let all = try ZipDirectory.entries(of: src, what: "the workbook libxlsxwriter wrote")
        var parts: [Part] = []
        var found = Set<String>()
        for e in all {
            let name = e.nameString
            guard let body = bodies[name] else { parts.append(.copy(e)); continue }
            guard e.method == 8 || e.method == 0 else { throw SpreadsheetError("\(name): compression method \(e.method) is not deflate") }
            found.insert(name)
            let slice = src[e.data]
            let xml = e.method == 0 ? Array(slice) : try Zlib.inflateRaw(Array(slice), size: e.size)
            guard Zlib.crc32(xml) == e.crc else { throw SpreadsheetError("\(name): CRC mismatch in libxlsxwriter's part") }
            try body.finish()
            let lastCol = max(body.maxColumn, (headerColumns[name] ?? 1) - 1, 0)
            let lastRow = max(body.lastRow + 1, 1)
            let dim = "A1:" + String(decoding: body.columnName(lastCol), as: UTF8.self) + String(lastRow)
            let (head, tail) = try split(sheetXML: xml, dimension: dim)
            let headZ = try RawDeflater.deflate(head, final: false)
            let tailZ = try RawDeflater.deflate(tail, final: true)
            var crc = Zlib.crc32(head)
            crc = Zlib.crc32Combine(crc, body.crc, lengthOfB: body.size)
            crc = Zlib.crc32Combine(crc, Zlib.crc32(tail), lengthOfB: tail.count)
            let size = head.count + body.size + tail.count
            guard size <= limit else {
                throw SpreadsheetError("\(name): the sheet's XML would pass 4 GiB (\(size) bytes); workbooks are written without ZIP64")
            }
            var entry = e
            entry.method = 8
            parts.append(.spliced(entry, segments: [headZ] + body.compressed + [tailZ], crc: crc, size: size))
        }
        if let missing = Set(bodies.keys).subtracting(found).first {
            throw SpreadsheetError("the workbook libxlsxwriter wrote has no part \(missing)")
        }
        try writeZip(parts, source: src, dest: dest)
    }

    private static func writeZip(_ parts: [Part], source src: [UInt8], dest: String) throws {
        let fd = open(dest, O_WRONLY | O_CREAT | O_EXCL | O_CLOEXEC, 0o600)
        guard fd >= 0 else { throw SpreadsheetError("\((dest as NSString).lastPathComponent): cannot create (\(String(cString: strerror(errno))))") }
        let out = FileHandle(fileDescriptor: fd, closeOnDealloc: true)
        var offset = 0
        var central: [UInt8] = []
        var pending: [UInt8] = []
        pending.reserveCapacity(1 << 20)
        func put16(_ v: UInt16, _ a: inout [UInt8]) { a.append(UInt8(v & 0xFF)); a.append(UInt8(v >> 8)) }
        func put32(_ v: UInt32, _ a: inout [UInt8]) { for k in 0..<4 { a.append(UInt8((v >> (8 * UInt32(k))) & 0xFF)) } }
        func emit(_ bytes: some Collection<UInt8>) throws {
            if pending.count + bytes.count > 1 << 20 {
                if !pending.isEmpty { try out.write(contentsOf: pending); pending.removeAll(keepingCapacity: true) }
                if bytes.count > 1 << 19 { try out.write(contentsOf: Array(bytes)); offset += bytes.count; return }
            }
            pending.append(contentsOf: bytes)
            offset += bytes.count
        }
        var count = 0
        for part in parts {
            let e: Entry, crc: UInt32, csize: Int, size: Int
            switch part {
            case .copy(let x): e = x; crc = x.crc; csize = x.compressedSize; size = x.size
            case .spliced(let x, let segs, let c, let s): e = x; crc = c; csize = segs.reduce(0) { $0 + $1.count }; size = s
            }
            guard offset <= limit, csize <= limit else {
                throw SpreadsheetError("the workbook would pass 4 GiB; workbooks are written without ZIP64")
            }
            var h: [UInt8] = []
            put32(0x0403_4B50, &h); put16(max(e.versionNeeded, 20), &h); put16(e.flags, &h); put16(e.method, &h)
            put16(e.time, &h); put16(e.date, &h); put32(crc, &h); put32(UInt32(csize), &h); put32(UInt32(size), &h)
            put16(UInt16(e.name.count), &h); put16(0, &h); h.append(contentsOf: e.name)
            put32(0x0201_4B50, &central); put16(e.versionMadeBy, &central); put16(max(e.versionNeeded, 20), &central)
            put16(e.flags, &central); put16(e.method, &central); put16(e.time, &central); put16(e.date, &central)
            put32(crc, &central); put32(UInt32(csize), &central); put32(UInt32(size), &central)
            put16(UInt16(e.name.count), &central); put16(0, &central); put16(0, &central); put16(0, &central); put16(0, &central)
            put32(e.externalAttributes, &central); put32(UInt32(offset), &central); central.append(contentsOf: e.name)
            try emit(h)
            switch part {
            case .copy(let x): try emit(src[x.data])
            case .spliced(_, let segs, _, _): for s in segs { try emit(s) }
            }
            count += 1
        }
        guard offset <= limit, count < 0xFFFF else { throw SpreadsheetError("the workbook would pass 4 GiB; workbooks are written without ZIP64") }
        var end: [UInt8] = []
        put32(0x0605_4B50, &end); put16(0, &end); put16(0, &end); put16(UInt16(count), &end); put16(UInt16(count), &end)
        put32(UInt32(central.count), &end); put32(UInt32(offset), &end); put16(0, &end)
        try emit(central)
        try emit(end)
        if !pending.isEmpty { try out.write(contentsOf: pending) }
        try out.close()
    }
}
