import Foundation

/// The rows of one big worksheet, written as SpreadsheetML by our own code and deflated as they
/// come (libxlsxwriter formats every cell with fprintf and deflates at zlib's default level: for a
/// million rows that was most of `reconcile`). libxlsxwriter still writes everything around the
/// rows (header row, styles, panes, filter, widths); `SheetSplice` joins the two at close.
///
/// Cell kinds are the ones libxlsxwriter wrote: numbers, booleans, real dates (the serial with the
/// date style's index), inline strings. Rows are 0-based as in libxlsxwriter (row 0 is the
/// header, which libxlsxwriter writes) and go in increasing order, cells left to right.
final class SheetBody {
    /// The index of the date format in the workbook's cell styles (`s="N"`).
    let dateStyle: Int
    /// The XML being formatted, written through a pointer (`Out`); `chunk` owns the memory.
    private var xml: Out
    private var chunk: XmlChunk
    private let flushAt = 1 << 20
    /// The deflater and what it made so far; fed 1 MB chunks of XML by a thread of its own (started
    /// at the first chunk) so that compressing overlaps formatting.
    private let sink: ChunkDeflater
    private var chunks: RowPipe<XmlChunk>?
    private let spare = RowPipe<XmlChunk>(capacity: 8)
    private var compressor: Worker?
    /// The compressed rows (raw deflate, left open and byte-aligned by `finish`).
    var compressed: [[UInt8]] { sink.compressed }
    var crc: UInt32 { sink.crc }
    var size: Int { sink.size }
    private var openRow = 0
    /// The last column written in the open row (-1 before its first cell).
    private var openColumn = -1
    private(set) var lastRow = 0
    private(set) var maxColumn = -1
    private var finished = false
    /// A compression failure met between rows, thrown by `finish`.
    private var failure: Error?
    private var columnNames: [[UInt8]] = []
    /// The open row's number, as written (repeated in every cell reference).
    private var rowDigits: [UInt8] = []
    private let dateStyleBytes: [UInt8]

    init(dateStyle: Int, level: Int32 = 1) throws {
        self.dateStyle = dateStyle
        dateStyleBytes = Array(" s=\"\(dateStyle)\"".utf8)
        sink = ChunkDeflater(try RawDeflater(level: level))
        chunk = XmlChunk(capacity: flushAt + 64 << 10)
        xml = Out(chunk)
    }

    // MARK: cells

    @inline(__always) private func begin(_ row: Int, _ col: Int) {
        precondition(row >= openRow && row > 0, "rows are written in order")
        if row != openRow {
            if openRow > 0 { endRow() }
            lit(#"<row r=""#)
            let at = xml.count
            appendInt(row + 1)
            rowDigits.removeAll(keepingCapacity: true)
            rowDigits.append(contentsOf: UnsafeBufferPointer(start: xml.base + at, count: xml.count - at))
            lit(#"">"#)
            openRow = row
            lastRow = row
            openColumn = -1
        }
        if col > maxColumn { maxColumn = col }
        // A cell right after the previous one of its row needs no reference (`r` is optional:
        // readers place it in the next column); the first cell of a row and one after a gap get it.
        if col == openColumn + 1 {
            lit("<c")
        } else {
            lit(#"<c r=""#)
            if col < columnNames.count { xml.append(columnNames[col]) } else { xml.append(columnName(col)) }
            xml.append(rowDigits)
            xml.append(UInt8(ascii: "\""))
        }
        openColumn = col
    }

    private func endRow() {
        lit("</row>")
        if xml.count >= flushAt {
            do { try flush() } catch { if failure == nil { failure = error } }
        }
    }

    func text(_ row: Int, _ col: Int, _ s: String) {
        var s = s
        s.withUTF8 { text(row, col, bytes: $0) }
    }

    /// A text cell from its UTF-8 bytes.
    func text(_ row: Int, _ col: Int, bytes u: UnsafeBufferPointer<UInt8>) {
        guard !u.isEmpty else { return }
        begin(row, col)
        let needsPreserve = Self.isSpace(u[0]) || Self.isSpace(u[u.count - 1])
        if needsPreserve { lit(#" t="inlineStr"><is><t xml:space="preserve">"#) } else { lit(#" t="inlineStr"><is><t>"#) }
        appendEscaped(u)
        lit("</t></is></c>")
    }

    func number(_ row: Int, _ col: Int, _ d: Double) {
        guard d.isFinite else { return }  // Excel has no cell for NaN or infinity
        begin(row, col)
        lit("><v>")
        appendNumber(d)
        lit("</v></c>")
    }

    func bool(_ row: Int, _ col: Int, _ b: Bool) {
        begin(row, col)
        if b { lit(#" t="b"><v>1</v></c>"#) } else { lit(#" t="b"><v>0</v></c>"#) }
    }

    func date(_ row: Int, _ col: Int, _ d: CalendarDate) {
        begin(row, col)
        xml.append(dateStyleBytes)
        lit("><v>")
        appendNumber(DateSystem.excel1900.serial(of: d))
        lit("</v></c>")
    }

    // MARK: compression

    private func flush() throws {
        guard xml.count > 0 else { return }
        if chunks == nil {
            let pipe = RowPipe<XmlChunk>(capacity: 3)
            let sink = sink, spare = spare
            chunks = pipe
            compressor = Worker {
                do {
                    while let full = pipe.pop() {
                        try sink.take(full.bytes, flush: .none)
                        full.count = 0
                        try? spare.push(full)
                    }
                } catch {
                    pipe.fail(error)
                    throw error
                }
            }
        }
        chunk.count = xml.count
        let full = chunk
        chunk = spare.tryPop() ?? XmlChunk(capacity: flushAt + 64 << 10)
        xml = Out(chunk)
        try chunks!.push(full)
    }

    /// Closes the last row and compresses what is left. The deflate stream ends with a full flush
    /// (byte-aligned, not final), so the sheet's tail can follow it.
    func finish() throws {
        guard !finished else { return }
        finished = true
        if let compressor { chunks?.close(); try compressor.wait() }
        if let failure { throw failure }
        if openRow > 0 { lit("</row>") }
        chunk.count = xml.count
        try sink.take(chunk.bytes, flush: .full)
        chunk = XmlChunk(capacity: 0)
        xml = Out(chunk)
    }

    deinit { chunks?.close() }

    // MARK: bytes

    /// Appends a literal's bytes (a plain copy: appending a `String.UTF8View` went element by element).
    @inline(__always) private func lit(_ s: StaticString) {
        xml.append(s.utf8Start, count: s.utf8CodeUnitCount)
    }

    @inline(__always) private static func isSpace(_ b: UInt8) -> Bool { b == 0x20 || b == 0x09 || b == 0x0A || b == 0x0D }

    /// A1-style column letters, cached.
    func columnName(_ col: Int) -> [UInt8] {
        while columnNames.count <= col { columnNames.append(Self.letters(columnNames.count)) }
        return columnNames[col]
    }

    static func letters(_ col: Int) -> [UInt8] {
        var n = col + 1
        var out: [UInt8] = []
        while n > 0 {
            let r = (n - 1) % 26
            out.insert(UInt8(ascii: "A") + UInt8(r), at: 0)
            n = (n - 1) / 26
        }
        return out
    }

    @inline(__always) private func appendInt(_ v: Int) {
        if v < 0 { xml.append(UInt8(ascii: "-")); appendInt(-v); return }
        if v < 10 { xml.append(UInt8(ascii: "0") + UInt8(v)); return }
        var digits: (UInt8, UInt8, UInt8, UInt8, UInt8, UInt8, UInt8, UInt8, UInt8, UInt8,
                     UInt8, UInt8, UInt8, UInt8, UInt8, UInt8, UInt8, UInt8, UInt8, UInt8) =
            (0, 0, 0, 0, 0, 0, 0, 0, 0, 0, 0, 0, 0, 0, 0, 0, 0, 0, 0, 0)
        var n = v, k = 0
        withUnsafeMutableBytes(of: &digits) { d in
            while n > 0 { d[k] = UInt8(ascii: "0") + UInt8(n % 10); n /= 10; k += 1 }
            while k > 0 { k -= 1; xml.append(d[k]) }
        }
    }

    private func appendNumber(_ d: Double) {
        if d.rounded() == d, abs(d) < 1e15 { appendInt(Int(d)); return }
        xml.append(Array(String(d).utf8))
    }

    /// XML text content: & < > " as entities; the C0 controls XML 1.0 cannot carry as `_xHHHH_`
    /// (what Excel and libxlsxwriter write; CR too, which XML parsers would turn into LF), and a literal `_xHHHH_` in the text gets its
    /// underscore escaped (`_x005F_`) so that it reads back as written.
    private func appendEscaped(_ u: UnsafeBufferPointer<UInt8>) {
        var clean = true
        for b in u where b < 0x20 || b == UInt8(ascii: "&") || b == UInt8(ascii: "<") || b == UInt8(ascii: ">")
            || b == UInt8(ascii: "\"") || b == UInt8(ascii: "_") {
            if b == 0x09 || b == 0x0A { continue }
            clean = false
            break
        }
        if clean { xml.append(u); return }
        let hex = Array("0123456789ABCDEF".utf8)
        var i = 0
        let n = u.count
        while i < n {
            let b = u[i]
            switch b {
            case UInt8(ascii: "&"): lit("&amp;")
            case UInt8(ascii: "<"): lit("&lt;")
            case UInt8(ascii: ">"): lit("&gt;")
            case UInt8(ascii: "\""): lit("&quot;")
            case 0x09, 0x0A: xml.append(b)
            case 0..<0x20:
                lit("_x00"); xml.append(hex[Int(b >> 4)]); xml.append(hex[Int(b & 15)]); xml.append(UInt8(ascii: "_"))
            case UInt8(ascii: "_") where Self.isEscapeLike(u, at: i):
                lit("_x005F_")
            default: xml.append(b)
            }
            i += 1
        }
    }

    /// `_xHHHH_` at `i`.
    static func isEscapeLike(_ u: UnsafeBufferPointer<UInt8>, at i: Int) -> Bool {
        guard i + 6 < u.count, u[i + 1] == UInt8(ascii: "x"), u[i + 6] == UInt8(ascii: "_") else { return false }
        for k in 2...5 {
            let c = u[i + k] | 0x20
            if !((c >= UInt8(ascii: "0") && c <= UInt8(ascii: "9")) || (c >= UInt8(ascii: "a") && c <= UInt8(ascii: "f"))) { return false }
        }
        return true
    }
}

/// A raw deflate stream and its output so far: CRC and size of what went in, compressed pieces.
/// One thread at a time (the compressing thread, then `finish` after it has ended).
final class ChunkDeflater: @unchecked Sendable {
    private let deflater: RawDeflater
    private(set) var compressed: [[UInt8]] = []
    private(set) var crc: UInt32 = 0
    private(set) var size = 0

    init(_ deflater: RawDeflater) { self.deflater = deflater }

    func take(_ xml: UnsafeRawBufferPointer, flush: RawDeflater.Flush) throws {
        crc = Zlib.crc32(xml, continuing: crc)
        size += xml.count
        var out: [UInt8] = []
        out.reserveCapacity(xml.count / 4)
        try deflater.compress(xml, flush: flush, into: &out)
        if !out.isEmpty { compressed.append(out) }
    }
}

/// One piece of a sheet's XML, owning its memory: filled by the formatting thread (through `Out`),
/// then handed to the compressing thread, then reused.
final class XmlChunk: @unchecked Sendable {
    private(set) var base: UnsafeMutablePointer<UInt8>
    private(set) var capacity: Int
    /// Bytes in use (set from `Out` when the chunk is handed on).
    var count = 0

    init(capacity: Int) {
        base = .allocate(capacity: max(capacity, 1))
        self.capacity = max(capacity, 1)
    }

    deinit { base.deallocate() }

    var bytes: UnsafeRawBufferPointer { UnsafeRawBufferPointer(start: base, count: count) }

    /// Room for `needed` bytes in all, keeping the first `count`.
    func grow(to needed: Int, keeping count: Int) {
        let bigger = max(capacity * 2, needed)
        let b = UnsafeMutablePointer<UInt8>.allocate(capacity: bigger)
        b.initialize(from: base, count: count)
        base.deallocate()
        base = b
        capacity = bigger
    }
}

/// Appends to an `XmlChunk` through its pointer. A struct stored in the sheet: each append is a
/// bounds check and a copy (appending to an Array went through a generic call that also checked
/// uniqueness: ~8 million of them for a 100,000-row sheet).
struct Out {
    private let chunk: XmlChunk
    private(set) var base: UnsafeMutablePointer<UInt8>
    private var capacity: Int
    private(set) var count = 0

    init(_ chunk: XmlChunk) {
        self.chunk = chunk
        base = chunk.base
        capacity = chunk.capacity
    }

    @inline(__always) mutating func append(_ b: UInt8) {
        if count == capacity { grow(1) }
        base[count] = b
        count += 1
    }

    @inline(__always) mutating func append(_ p: UnsafePointer<UInt8>, count n: Int) {
        if count + n > capacity { grow(n) }
        (base + count).update(from: p, count: n)
        count += n
    }

    @inline(__always) mutating func append(_ u: UnsafeBufferPointer<UInt8>) {
        if let p = u.baseAddress { append(p, count: u.count) }
    }

    @inline(__always) mutating func append(_ a: [UInt8]) {
        a.withUnsafeBufferPointer { append($0) }
    }

    @inline(never) private mutating func grow(_ n: Int) {
        chunk.grow(to: count + n, keeping: count)
        base = chunk.base
        capacity = chunk.capacity
    }
}
