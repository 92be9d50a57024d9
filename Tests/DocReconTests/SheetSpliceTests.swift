import Foundation
import Testing
import ZIPFoundation
@testable import DocRecon

/// The igzip and zlib wrappers, and workbooks whose big sheet is streamed by SheetBody and spliced into
/// libxlsxwriter's file: read back by openpyxl, by our reader and by ZIPFoundation, CRCs checked.
@Suite("Streamed sheets and zlib")
struct SheetSpliceTests {
    static func pseudoXML(_ n: Int, seed: UInt64) -> [UInt8] {
        var rng = SplitMix64(state: seed)
        let words = ["<row r=\"", "\"><c r=\"A", "\" t=\"inlineStr\"><is><t>", "RIVERA, ANA", "</t></is></c>", "99213", "</row>"]
        var out: [UInt8] = []
        while out.count < n {
            out.append(contentsOf: words[Int(rng.next() % UInt64(words.count))].utf8)
            out.append(contentsOf: String(rng.next() % 100_000).utf8)
        }
        return Array(out.prefix(n))
    }

    @Test("segments deflated by separate igzip streams (full flush between) inflate as one with zlib; CRC combines", arguments: [0, 1, 3])
    func chunkedDeflateRoundTrip(level: Int32) throws {
        let input = Self.pseudoXML(3_000_000, seed: 11)
        let cuts = [0, 1, 700_000, 2_100_000, input.count]  // an empty-ish first piece and uneven ones
        var joined: [UInt8] = []
        var crc: UInt32 = 0
        for k in 0..<(cuts.count - 1) {
            let piece = Array(input[cuts[k]..<cuts[k + 1]])
            let d = try RawDeflater(level: level)
            // Feed in two calls with no flush, then end the segment.
            let half = piece.count / 2
            try d.compress(Array(piece[..<half]), flush: .none, into: &joined)
            try d.compress(Array(piece[half...]), flush: k == cuts.count - 2 ? .finish : .full, into: &joined)
            #expect(d.totalIn == piece.count)
            crc = k == 0 ? Zlib.crc32(piece) : Zlib.crc32Combine(crc, Zlib.crc32(piece), lengthOfB: piece.count)
        }
        #expect(crc == Zlib.crc32(input))
        #expect(joined.count < input.count / 2)
        // Our inflate and ZIPFoundation's (an independent user of zlib) give the input back.
        #expect(try Zlib.inflateRaw(joined, size: input.count) == input)
        var back = Data()
        let src = Data(joined)
        let zfCRC = try Data.decompress(size: Int64(src.count), bufferSize: 64 << 10, skipCRC32: false, provider: { pos, size in
            src.subdata(in: Int(pos)..<min(Int(pos) + size, src.count))
        }, consumer: { back.append($0) })
        #expect(back == Data(input))
        #expect(zfCRC == crc)
        // A damaged stream or a wrong size is an error, not garbage.
        var bad = joined
        bad[bad.count / 2] ^= 0xFF
        bad[bad.count / 3] ^= 0x5A
        #expect(throws: Zlib.Failure.self) { _ = try Zlib.inflateRaw(bad, size: input.count) }
        #expect(throws: Zlib.Failure.self) { _ = try Zlib.inflateRaw(joined, size: input.count - 1) }
        // A finished stream takes no more input.
        let d = try RawDeflater()
        var o: [UInt8] = []
        try d.compress([1, 2, 3], flush: .finish, into: &o)
        #expect(throws: RawDeflater.Failure.self) { try d.compress([4], flush: .finish, into: &o) }
        #expect(throws: RawDeflater.Failure.self) { _ = try RawDeflater(level: 6) }
        // An empty stream ends too (a sheet with no rows), and inflates to nothing.
        #expect(try Zlib.inflateRaw(try RawDeflater.deflate([UInt8](), final: true), size: 0) == [])
    }

    /// Rows with every cell kind, enough of them to pass the body's 1 MiB flush several times.
    static func rows(_ n: Int) -> [[CellValue]] {
        let specials: [CellValue] = [
            .text("O'NEIL & SONS <x> \"q\""), .text("bell\u{07}tab\there\nnew line\r"), .text("  padded  "),
            .text("_x0041_ stays literal"), .text("é ü — 漢字 🎉"), .text("\u{01}\u{0B}\u{1F}"), .error("#N/A"),
            .text("a_b_x12_"), .text("ends with _x004"),
        ]
        return (0..<n).map { i in
            var r: [CellValue] = [
                .text("PATIENT \(i), NAME"), .date(CalendarDate(daysSinceEpoch: -20_000 + i % 30_000)),
                .number(Double(i)), .number(Double(Money(cents: Int64(i * 37 - 5_000)).decimalString)!), .bool(i % 3 == 0),
                .empty, specials[i % specials.count],
            ]
            if i % 5 == 0 { r.append(.number(-0.001 * Double(i))) }  // a ragged row, a gap in the middle
            if i % 7 == 0 { r[2] = .empty }
            return r
        }
    }

    static func write(_ path: String, rows: [[CellValue]], header: [String]) throws {
        let wb = try XlsxWorkbook(path: path)
        let s = try wb.addSheet("Data", streamed: true)
        let small = try wb.addSheet("Small")
        s.writeHeader(header)
        for (r, row) in rows.enumerated() { for (c, v) in row.enumerated() { s.write(r + 1, c, v) } }
        small.writeHeader(["Date", "N"])
        small.write(1, 0, date: CalendarDate(daysSinceEpoch: 20_000))
        small.write(1, 1, number: 2.5)
        try wb.close()
    }

    @Test("a spliced workbook reads back cell for cell (openpyxl, our reader), zip and CRCs check out",
          .enabled(if: ReconTest.hasOpenpyxl, ReconTest.noOpenpyxl))
    func splicedRoundTrip() throws {
        let dir = try TestSupport.tempDir("splice")
        let path = dir.appendingPathComponent("book.xlsx").path
        let header = ["Name", "DOB", "N", "Money", "Flag", "Empty", "Text", "Extra"]
        let rows = Self.rows(9_000)
        try Self.write(path, rows: rows, header: header)
        #expect((try FileManager.default.attributesOfItem(atPath: path)[.posixPermissions] as? Int) == 0o600)
        #expect(try FileManager.default.contentsOfDirectory(atPath: dir.path) == ["book.xlsx"])  // no temp file left

        // Expected cells in the dump's shape (trailing empties dropped, errors read as text).
        func expected(_ r: [CellValue]) -> [[String]] {
            var cells = r.map(ReconTest.typed)
            while cells.last == ["", ""] { cells.removeLast() }
            return cells
        }
        let want = [header.map { ["s", $0] }] + rows.map(expected)

        // Our reader.
        let ours = try ReconTest.rows(try XlsxReader(path: path, sheet: "Data"))
        #expect(ours.count == rows.count + 1)
        #expect(ours.map(\.0) == Array(1...(rows.count + 1)))
        #expect(ours.map { expected($0.1) } == want)

        // openpyxl: same cells; dates come back as dates through the date style; control
        // characters as Excel's _xHHHH_ escapes (openpyxl 3.0 leaves them escaped), so unescape.
        let cells = try #require(try ReconTest.openpyxlDump(path, unescape: true)["Data"])
        let script = """
            import json, sys, openpyxl
            wb = openpyxl.load_workbook(sys.argv[1])
            ws = wb["Data"]
            print(json.dumps({"dim": ws.dimensions, "filter": ws.auto_filter.ref, "freeze": ws.freeze_panes,
                              "small": [[str(c) for c in r] for r in wb["Small"].iter_rows(values_only=True)],
                              "date_format": ws["B2"].number_format}))
            """
        struct Dump: Decodable { var dim: String; var filter: String?; var freeze: String?
                                 var small: [[String]]; var date_format: String }
        let dump = try JSONDecoder().decode(Dump.self, from: Data(try ReconTest.runPython(script, [path]).utf8))
        #expect(cells.count == want.count)
        for (i, (a, b)) in zip(cells, want).enumerated() where a != b {
            Issue.record("row \(i + 1): openpyxl \(a) != expected \(b)")
            break
        }
        #expect(dump.dim == "A1:H\(rows.count + 1)")
        #expect(dump.filter == "A1:H\(rows.count + 1)")
        #expect(dump.freeze == "A2")
        #expect(dump.date_format == "mm/dd/yyyy")
        #expect(dump.small == [["Date", "N"], ["2024-10-04 00:00:00", "2.5"]])

        // Zip integrity: Python's zipfile test (every CRC) and ZIPFoundation's extraction (CRC checked).
        let t = try ReconTest.runPython("import sys, zipfile\nprint(zipfile.ZipFile(sys.argv[1]).testzip())", [path])
        #expect(t.trimmingCharacters(in: .whitespacesAndNewlines) == "None")
        let archive = try Archive(url: URL(fileURLWithPath: path), accessMode: .read)
        var names: [String] = []
        for entry in archive {
            names.append(entry.path)
            var n = 0
            _ = try archive.extract(entry, skipCRC32: false) { n += $0.count }
            #expect(n == Int(entry.uncompressedSize))
        }
        #expect(names.first == "[Content_Types].xml")
        #expect(names.contains("xl/worksheets/sheet1.xml") && names.contains("xl/styles.xml"))
    }

    @Test("a workbook that cannot be spliced leaves no file behind, temporary or final")
    func failureLeavesNothing() throws {
        let dir = try TestSupport.tempDir("splicefail")
        let path = dir.appendingPathComponent("book.xlsx").path
        let wb = try XlsxWorkbook(path: path)
        let s = try wb.addSheet("Data", streamed: true)
        // Rows but no header row: libxlsxwriter's part has nothing to splice after.
        s.write(1, 0, text: "x")
        #expect(throws: SpreadsheetError.self) { try wb.close() }
        #expect(try FileManager.default.contentsOfDirectory(atPath: dir.path) == [])
    }

    @Test("a workbook written but never moved in place (the run failed after) leaves nothing behind")
    func writtenNotPublished() throws {
        let dir = try TestSupport.tempDir("splicewritten")
        let path = dir.appendingPathComponent("book.xlsx").path
        do {
            let wb = try XlsxWorkbook(path: path)
            let s = try wb.addSheet("Data", streamed: true)
            s.writeHeader(["A"])
            s.write(1, 0, text: "x")
            try wb.write()
            let files = try FileManager.default.contentsOfDirectory(atPath: dir.path)
            #expect(files.count == 1 && !files.contains("book.xlsx"))  // only the temporary file so far
        }
        #expect(try FileManager.default.contentsOfDirectory(atPath: dir.path) == [])
    }

    @Test("an empty streamed sheet is just its header", .enabled(if: ReconTest.hasOpenpyxl, ReconTest.noOpenpyxl))
    func emptyBody() throws {
        let dir = try TestSupport.tempDir("spliceempty")
        let path = dir.appendingPathComponent("book.xlsx").path
        try Self.write(path, rows: [], header: ["A", "B"])
        let dump = try ReconTest.openpyxlDump(path)
        #expect(dump["Data"] == [[["s", "A"], ["s", "B"]]])
        #expect(try ReconTest.rows(try XlsxReader(path: path, sheet: "Data")).count == 1)
    }

    @Test("_xHHHH_ escapes in cell strings are decoded by our reader", arguments: [
        ("a_x000B_b", "a\u{0B}b"), ("_x005F_x0041_", "_x0041_"), ("no_escape", "no_escape"), ("_x12_", "_x12_"), ("_x00e9_", "é"),
    ])
    func readerUnescapes(raw: String, decoded: String) {
        #expect(XmlBytes.unescapeOOXML(raw) == decoded)
    }
}
