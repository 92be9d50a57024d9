import Foundation
import Testing
@testable import DocRecon

@Suite("Spreadsheet reader")
struct SpreadsheetReaderTests {
    // styles: 0 general, 1 built-in date (14), 2 custom date-time, 3 custom number "0.00", 4 custom
    // format with a quoted "d" that is not a date
    static let xfs = ["<xf numFmtId=\"0\"/>", "<xf numFmtId=\"14\" applyNumberFormat=\"1\"/>", "<xf numFmtId=\"164\"/>",
                      "<xf numFmtId=\"165\"/>", "<xf numFmtId=\"166\"/>"]
    static let numFmts = "<numFmt numFmtId=\"164\" formatCode=\"dd/mm/yyyy\\ hh:mm\"/><numFmt numFmtId=\"165\" formatCode=\"0.00\"/>"
        + "<numFmt numFmtId=\"166\" formatCode=\"0&quot; days&quot;\"/>"

    @Test("every cell kind: shared, rich and inline strings, numbers, booleans, errors, formulas, gaps")
    func cellKinds() throws {
        let dir = try TestSupport.tempDir("xlsx")
        let url = dir.appendingPathComponent("kinds.xlsx")
        let shared = ["<si><t>Patient Name</t></si>",
                      "<si><r><t>RIVERA, </t></r><r><rPr><b/></rPr><t xml:space=\"preserve\">ANA</t></r><rPh sb=\"0\" eb=\"1\"><t>ignored</t></rPh></si>",
                      "<si><t>A &amp; B &lt;x&gt; &#233;</t></si>", "<si/>"]
        let sheet = """
            <row r="1"><c r="A1" t="s"><v>0</v></c><c r="B1" t="inlineStr"><is><t>Inline</t></is></c></row>
            <row r="2" spans="1:8"><c r="A2" t="s"><v>1</v></c><c r="C2"><v>42</v></c><c r="D2" s="3"><v>-3.25</v></c>\
            <c r="E2" t="b"><v>1</v></c><c r="F2" t="e"><v>#N/A</v></c><c r="G2" t="str"><f>A1&amp;"x"</f><v>computed</v></c>\
            <c r="H2" t="s"><v>2</v></c></row>
            <row r="3"/>
            <row r="4"><c r="A4" s="4"/><c r="B4" t="s"><v>3</v></c></row>
            <row r="5"><c><v>1</v></c><c><v>2</v></c><c r="E5" t="inlineStr"><is><r><t>in</t></r><r><t>line</t></r></is></c><c t="b"><v>0</v></c></row>
            <row><c t="d"><v>2026-11-20T00:00:00</v></c><c s="4"><v>7</v></c></row>
            """
        try ReconTest.xlsx(sheets: [("Export", sheet)], shared: shared, numFmts: Self.numFmts, xfs: Self.xfs, to: url)
        let rows = try ReconTest.rows(try Spreadsheet.open(path: url.path))
        #expect(rows.map(\.0) == [1, 2, 5, 6])  // row 3 and 4 have no values
        #expect(rows[0].1 == [.text("Patient Name"), .text("Inline")])
        #expect(rows[1].1 == [.text("RIVERA, ANA"), .empty, .number(42), .number(-3.25), .bool(true), .error("#N/A"),
                              .text("computed"), .text("A & B <x> é")])
        #expect(rows[2].1 == [.number(1), .number(2), .empty, .empty, .text("inline"), .bool(false)])
        #expect(rows[3].1 == [.date(ReconTest.date(2026, 11, 20)), .number(7)])  // a quoted "d" is not a date format
    }

    @Test("one-pass cell scanner: attributes in any order, quoting and spacing; <v> cells and the general path read alike")
    func cellScannerForms() throws {
        let dir = try TestSupport.tempDir("xlsx")
        let url = dir.appendingPathComponent("forms.xlsx")
        let shared = ["<si><t>zero</t></si>", "<si><t>one</t></si>"]
        let sheet = """
            <row r="1"><c t="s" r="B1"><v>0</v></c><c s='1' r='C1'><v>45000</v></c><c r = "D1" t = "s" ><v>1</v></c>\
            <c r="E1" cm="1" t="s"><v>0</v></c><c r="F1" t="s"><v>1</v> </c><c r="G1" t="s">
            <v>0</v></c><c r="H1"><f>1+1</f><v>2</v></c><c r="I1" s="1"><v>45001</v></c><c r="J1" t="n"><v>3.5</v></c></row>
            <row r="2"><c r="A2" t="b"><v>1</v></c><c t="e"><v>#DIV/0!</v></c><c t="str"><v>a &amp; b</v></c><c/>\
            <c r="F2" t="s"><v>1</v></c></row>
            """
        try ReconTest.xlsx(sheets: [("S", sheet)], shared: shared, xfs: Self.xfs, to: url)
        let rows = try ReconTest.rows(try Spreadsheet.open(path: url.path))
        #expect(rows.map(\.0) == [1, 2])
        #expect(rows[0].1 == [.empty, .text("zero"), .date(ReconTest.date(2023, 3, 15)), .text("one"), .text("zero"), .text("one"),
                              .text("zero"), .number(2), .date(ReconTest.date(2023, 3, 16)), .number(3.5)])
        #expect(rows[1].1 == [.bool(true), .error("#DIV/0!"), .text("a & b"), .empty, .empty, .text("one")])
    }

    @Test("a row without its </row> and a cell without its </c> are damage, named with the row")
    func damagedRows() throws {
        let dir = try TestSupport.tempDir("xlsx")
        let cut = dir.appendingPathComponent("cut.xlsx")
        try ReconTest.xlsx(sheets: [("S", "<row r=\"1\"><c><v>1</v></c></row><row r=\"2\"><c><v>2</v></c>")], to: cut)
        #expect((#expect(throws: SpreadsheetError.self) { _ = try ReconTest.rows(try Spreadsheet.open(path: cut.path)) })?.message
                == "cut.xlsx row 2: the row is cut off (damaged sheet)")
        for body in ["<row r=\"4\"><c><v>1</v></row>", "<row r=\"4\"><c t=\"inlineStr\"><is><t>x</t></is></row>"] {
            let open = dir.appendingPathComponent("open.xlsx")
            try ReconTest.xlsx(sheets: [("S", body)], to: open)
            #expect((#expect(throws: SpreadsheetError.self) { _ = try ReconTest.rows(try Spreadsheet.open(path: open.path)) })?.message
                    == "open.xlsx row 4: a cell is not closed (damaged sheet)")
        }
    }

    @Test("date serials in the 1900 and 1904 systems, through built-in and custom date formats")
    func dateSystems() throws {
        let dir = try TestSupport.tempDir("xlsx")
        // 45000 is 2023-03-15 in the 1900 system; the same day is 43538 in the 1904 system.
        let body1900 = """
            <row r="1"><c s="1"><v>45000</v></c><c s="2"><v>45000.75</v></c><c s="1"><v>59</v></c><c s="1"><v>61</v></c>\
            <c s="1"><v>1</v></c><c><v>45000</v></c></row>
            """
        let u1 = dir.appendingPathComponent("d1900.xlsx")
        try ReconTest.xlsx(sheets: [("S", body1900)], numFmts: Self.numFmts, xfs: Self.xfs, to: u1)
        let r1 = try XlsxReader(path: u1.path)
        #expect(r1.dateSystem == .excel1900)
        #expect(try ReconTest.rows(r1)[0].1 == [.date(ReconTest.date(2023, 3, 15)), .date(ReconTest.date(2023, 3, 15)),
                                                 .date(ReconTest.date(1900, 2, 28)), .date(ReconTest.date(1900, 3, 1)),
                                                 .date(ReconTest.date(1900, 1, 1)), .number(45000)])
        let u2 = dir.appendingPathComponent("d1904.xlsx")
        try ReconTest.xlsx(sheets: [("S", "<row r=\"1\"><c s=\"1\"><v>43538</v></c><c s=\"1\"><v>0</v></c></row>")],
                           numFmts: Self.numFmts, xfs: Self.xfs, date1904: true, to: u2)
        let r2 = try XlsxReader(path: u2.path)
        #expect(r2.dateSystem == .excel1904)
        #expect(try ReconTest.rows(r2)[0].1 == [.date(ReconTest.date(2023, 3, 15)), .date(ReconTest.date(1904, 1, 1))])
        // Lotus' 1900-02-29 (serial 60) does not exist: the cell stays a number.
        #expect(DateSystem.excel1900.date(serial: 60) == nil)
        #expect(DateSystem.excel1900.serial(of: ReconTest.date(2023, 3, 15)) == 45000)
        #expect(DateSystem.excel1904.serial(of: ReconTest.date(2023, 3, 15)) == 43538)
    }

    @Test("first sheet by default, another by --sheet, a wrong name lists the sheets")
    func sheets() throws {
        let dir = try TestSupport.tempDir("xlsx")
        let url = dir.appendingPathComponent("two.xlsx")
        try ReconTest.xlsx(sheets: [("First", "<row r=\"1\"><c t=\"inlineStr\"><is><t>one</t></is></c></row>"),
                                    ("R&amp;D", "<row r=\"1\"><c t=\"inlineStr\"><is><t>two</t></is></c></row>")], to: url)
        #expect(try ReconTest.rows(try Spreadsheet.open(path: url.path))[0].1 == [.text("one")])
        #expect(try ReconTest.rows(try Spreadsheet.open(path: url.path, sheet: "R&D"))[0].1 == [.text("two")])
        let e = #expect(throws: SpreadsheetError.self) { try Spreadsheet.open(path: url.path, sheet: "Nope") }
        #expect(e?.message == "two.xlsx: no sheet named 'Nope' (sheets: First, R&D)")
    }

    @Test("hostile and broken files fail with one clear message")
    func hostileFiles() throws {
        let dir = try TestSupport.tempDir("xlsx")
        // Not a zip.
        let notZip = dir.appendingPathComponent("export.xlsx")
        try Data("Patient Name,DOB\n".utf8).write(to: notZip)
        #expect((#expect(throws: SpreadsheetError.self) { try Spreadsheet.open(path: notZip.path) })?.message
                == "export.xlsx: not an .xlsx workbook (the file is not a zip archive)")
        // A zip that is no workbook.
        let plainZip = dir.appendingPathComponent("plain.xlsx")
        try ReconTest.zip([("readme.txt", Data("hello".utf8))], to: plainZip)
        #expect((#expect(throws: SpreadsheetError.self) { try Spreadsheet.open(path: plainZip.path) })?.message
                == "plain.xlsx: not an .xlsx workbook (no xl/workbook.xml inside the zip)")
        // Zip bomb: 40 MB of blanks between two rows inflate ~1000 times.
        let bomb = dir.appendingPathComponent("bomb.xlsx")
        let padding = String(repeating: " ", count: 40 << 20)
        try ReconTest.xlsx(sheets: [("S", "<row r=\"1\"><c><v>1</v></c></row>\(padding)<row r=\"2\"><c><v>2</v></c></row>")], to: bomb)
        let bombError = #expect(throws: SpreadsheetError.self) { _ = try ReconTest.rows(try Spreadsheet.open(path: bomb.path)) }
        #expect(bombError?.message.contains("zip bomb") == true)
        #expect(bombError?.message.hasPrefix("bomb.xlsx: xl/worksheets/sheet1.xml inflates more than 250 times") == true)
        // Size, row and column limits.
        var limits = SpreadsheetLimits()
        limits.maxRows = 3
        let many = dir.appendingPathComponent("many.xlsx")
        try ReconTest.xlsx(sheets: [("S", (1...5).map { "<row r=\"\($0)\"><c><v>\($0)</v></c></row>" }.joined())], to: many)
        #expect((#expect(throws: SpreadsheetError.self) { _ = try ReconTest.rows(try Spreadsheet.open(path: many.path, limits: limits)) })?.message
                == "many.xlsx: more than 3 rows (limit)")
        let wide = dir.appendingPathComponent("wide.xlsx")
        try ReconTest.xlsx(sheets: [("S", "<row r=\"1\"><c r=\"XFD1\"><v>1</v></c></row>")], to: wide)
        #expect((#expect(throws: SpreadsheetError.self) { _ = try ReconTest.rows(try Spreadsheet.open(path: wide.path)) })?.message
                == "wide.xlsx row 1: a cell beyond column 2048 (limit)")
        limits = SpreadsheetLimits()
        limits.maxPartBytes = 100
        #expect((#expect(throws: SpreadsheetError.self) { _ = try ReconTest.rows(try Spreadsheet.open(path: many.path, limits: limits)) })?.message
                .contains("more than the limit of 100") == true)
        // Shared strings are held in memory: their own, lower limit.
        limits = SpreadsheetLimits()
        limits.maxSharedStringsBytes = 200
        let strings = dir.appendingPathComponent("strings.xlsx")
        try ReconTest.xlsx(sheets: [("S", "<row r=\"1\"><c t=\"s\"><v>0</v></c></row>")],
                           shared: (0..<20).map { "<si><t>string number \($0)</t></si>" }, to: strings)
        #expect((#expect(throws: SpreadsheetError.self) { _ = try Spreadsheet.open(path: strings.path, limits: limits) })?.message
                .hasPrefix("strings.xlsx: xl/sharedStrings.xml is ") == true)
        // A shared string index out of range.
        let badIndex = dir.appendingPathComponent("badindex.xlsx")
        try ReconTest.xlsx(sheets: [("S", "<row r=\"1\"><c t=\"s\"><v>9</v></c></row>")], to: badIndex)
        #expect((#expect(throws: SpreadsheetError.self) { _ = try ReconTest.rows(try Spreadsheet.open(path: badIndex.path)) })?.message
                == "badindex.xlsx row 1: a shared string index is out of range (damaged workbook)")
    }

    @Test("a sheet whose compressed bytes or CRC are damaged is refused, not read as garbage")
    func damagedSheet() throws {
        let dir = try TestSupport.tempDir("xlsx")
        let good = dir.appendingPathComponent("good.xlsx")
        let body = (1...3_000).map { "<row r=\"\($0)\"><c t=\"inlineStr\"><is><t>PATIENT \($0)</t></is></c><c><v>\($0)</v></c></row>" }.joined()
        try ReconTest.xlsx(sheets: [("S", body)], to: good)
        #expect(try ReconTest.rows(try Spreadsheet.open(path: good.path)).count == 3_000)
        let bytes = try [UInt8](Data(contentsOf: good))
        let sheet = try #require(try ZipDirectory.entries(of: bytes, what: "good.xlsx").first { $0.nameString == "xl/worksheets/sheet1.xml" })
        #expect(sheet.method == 8)
        // The directory's CRC (local header and central directory) no longer matches the bytes.
        var wrongCRC = bytes
        let crc = withUnsafeBytes(of: sheet.crc.littleEndian) { Array($0) }
        var replaced = 0
        for i in 0..<(wrongCRC.count - 3) where Array(wrongCRC[i..<(i + 4)]) == crc {
            wrongCRC[i] ^= 0x01; replaced += 1
        }
        #expect(replaced == 2)
        let crcFile = dir.appendingPathComponent("crc.xlsx")
        try Data(wrongCRC).write(to: crcFile)
        let crcError = #expect(throws: SpreadsheetError.self) { _ = try ReconTest.rows(try Spreadsheet.open(path: crcFile.path)) }
        #expect(crcError?.message == "crc.xlsx: the part xl/worksheets/sheet1.xml is damaged (its size or CRC is not the one the zip directory gives)")
        // Compressed bytes overwritten in the middle of the sheet: refused, never read as rows.
        var garbled = bytes
        let mid = sheet.data.lowerBound + sheet.data.count / 2
        for i in mid..<(mid + 64) { garbled[i] = 0xFF }
        let garbledFile = dir.appendingPathComponent("garbled.xlsx")
        try Data(garbled).write(to: garbledFile)
        let garbledError = #expect(throws: SpreadsheetError.self) { _ = try ReconTest.rows(try Spreadsheet.open(path: garbledFile.path)) }
        // Whichever meets the damage first says so: the inflater (damaged stream or CRC) or the
        // parser reading what the garbage inflated to (a row number then).
        #expect(garbledError?.message.hasPrefix("garbled.xlsx") == true)
    }

    /// A workbook whose `part` has its compressed bytes replaced, in place (same length, so the
    /// zip directory stays valid), by `replacement(length)`.
    static func damaging(_ part: String, of source: URL, to target: URL, _ replacement: (Int) -> [UInt8]) throws {
        var bytes = try [UInt8](Data(contentsOf: source))
        let entry = try #require(try ZipDirectory.entries(of: bytes, what: "source").first { $0.nameString == part })
        let fresh = replacement(entry.data.count)
        bytes.replaceSubrange(entry.data, with: fresh.prefix(entry.data.count) + [UInt8](repeating: 0, count: max(0, entry.data.count - fresh.count)))
        try Data(bytes).write(to: target)
    }

    @Test("every part's CRC is checked: single-bit flips in any compressed part are refused or read unchanged, never read altered",
          arguments: ["xl/sharedStrings.xml", "xl/styles.xml", "xl/workbook.xml", "xl/_rels/workbook.xml.rels", "_rels/.rels"])
    func bitFlipsInEveryPart(part: String) throws {
        let dir = try TestSupport.tempDir("xlsx-flip")
        let sample = TestSupport.repoRoot.appendingPathComponent("Samples/ice/Export PRM 11-20-2026 Completed.xlsx")
        let original = try ReconTest.rows(try Spreadsheet.open(path: sample.path))
        let bytes = try [UInt8](Data(contentsOf: sample))
        let entry = try #require(try ZipDirectory.entries(of: bytes, what: "sample").first { $0.nameString == part })
        var rng = SplitMix64(state: 21)
        var refused = 0, unchanged = 0
        let target = dir.appendingPathComponent("flipped.xlsx")
        for _ in 0..<60 {
            var b = bytes
            let at = entry.data.lowerBound + Int(rng.next() % UInt64(entry.data.count))
            b[at] ^= UInt8(1) << UInt8(rng.next() % 8)
            try Data(b).write(to: target)
            do {
                let rows = try ReconTest.rows(try Spreadsheet.open(path: target.path))
                // Only a flip that changes nothing the reader uses may pass (none did here).
                #expect(rows.map(\.0) == original.map(\.0) && rows.map(\.1) == original.map(\.1), "a flip at byte \(at) of \(part) was read altered")
                unchanged += 1
            } catch let e as SpreadsheetError {
                #expect(e.message.hasPrefix("flipped.xlsx"))
                refused += 1
            }
        }
        #expect(refused + unchanged == 60)
        #expect(refused >= 55)
    }

    @Test("ZIP64 workbooks (Info-ZIP's zip -fz: ZIP64 end record, sizes and offsets in extra fields) read like plain ones",
          .enabled(if: FileManager.default.isExecutableFile(atPath: "/usr/bin/zip"), "Info-ZIP zip is not installed (make deps installs it)"))
    func zip64Workbook() throws {
        let dir = try TestSupport.tempDir("xlsx-zip64")
        let sample = TestSupport.repoRoot.appendingPathComponent("Samples/ice/Export PRM 11-20-2026 Completed.xlsx")
        let target = dir.appendingPathComponent("zip64.xlsx")
        let parts = dir.appendingPathComponent("parts")
        let unzipped = try TestSupport.runTool("/usr/bin/unzip", ["-q", sample.path, "-d", parts.path])
        #expect(unzipped.status == 0)
        let zipped = try TestSupport.runTool("/usr/bin/zip", ["-q", "-fz", "-X", "-r", target.path, "."], cwd: parts)
        #expect(zipped.status == 0)
        let bytes = try [UInt8](Data(contentsOf: target))
        // The directory is ZIP64's: a ZIP64 end-record locator, and 0xFFFFFFFF in the old end record.
        #expect(bytes.indices.dropLast(4).contains { bytes[$0] == 0x50 && bytes[$0 + 1] == 0x4B && bytes[$0 + 2] == 0x06 && bytes[$0 + 3] == 0x07 })
        #expect(Array(bytes.suffix(22)[(bytes.count - 6)..<(bytes.count - 2)]) == [0xFF, 0xFF, 0xFF, 0xFF])
        let plain = try ReconTest.rows(try Spreadsheet.open(path: sample.path))
        let zip64 = try ReconTest.rows(try Spreadsheet.open(path: target.path))
        #expect(zip64.map(\.0) == plain.map(\.0))
        #expect(zip64.map(\.1) == plain.map(\.1))
        #expect(plain.count > 40)
    }

    @Test("elements with a namespace prefix (<x:row>, as the .NET Open XML SDK writes) read like plain ones")
    func prefixedElements() throws {
        let dir = try TestSupport.tempDir("xlsx")
        let shared = ["<si><t>Patient Name</t></si>", "<si><r><t>RIVERA, </t></r><r><t>ANA</t></r></si>"]
        // Enough rows that prefixes are cut between inflate chunks too.
        var body = "<row r=\"1\"><c r=\"A1\" t=\"s\"><v>0</v></c><c r=\"B1\" t=\"inlineStr\"><is><t>DOS</t></is></c></row>"
        for i in 2...6_000 { body += "<row r=\"\(i)\"><c r=\"A\(i)\" t=\"s\"><v>1</v></c><c r=\"B\(i)\" s=\"1\"><v>\(46000 + i)</v></c></row>" }
        let xfs = ["<xf numFmtId=\"0\"/>", "<xf numFmtId=\"14\" applyNumberFormat=\"1\"/>"]
        let plain = dir.appendingPathComponent("plain.xlsx"), prefixed = dir.appendingPathComponent("prefixed.xlsx")
        try ReconTest.xlsx(sheets: [("Export", body)], shared: shared, xfs: xfs, date1904: true, to: plain)
        try ReconTest.xlsx(sheets: [("Export", body)], shared: shared, xfs: xfs, date1904: true, prefix: "x", to: prefixed)
        let a = try ReconTest.rows(try Spreadsheet.open(path: plain.path))
        let b = try ReconTest.rows(try Spreadsheet.open(path: prefixed.path, sheet: "Export"))
        #expect(b.count == 6_000)
        #expect(b[0].1 == [.text("Patient Name"), .text("DOS")])
        #expect(b[1].1 == [.text("RIVERA, ANA"), .date(ReconTest.date(2029, 12, 12))])  // 1904 system, date style
        #expect(a.map(\.0) == b.map(\.0) && a.map(\.1) == b.map(\.1))
    }

    @Test("the prefix filter keeps a prefix cut between two pieces and leaves other prefixes alone")
    func prefixFilterPieces() {
        let xml = Array(#"<?xml version="1.0"?><x:sst xmlns:x="m"><x:si><x:t>a</x:t></x:si><x:si r:id="7"><x:t>b&lt;x:c</x:t></x:si></x:sst>"#.utf8)
        for cut in 1..<xml.count {
            var f = XmlPrefixStripper()
            var out = f.feed(Data(xml[..<cut]))
            out += f.feed(Data(xml[cut...]))
            out += f.finish()
            #expect(String(decoding: out, as: UTF8.self) == #"<?xml version="1.0"?><sst xmlns:x="m"><si><t>a</t></si><si r:id="7"><t>b&lt;x:c</t></si></sst>"#)
        }
        var plain = XmlPrefixStripper()
        let doc = Data(#"<worksheet xmlns="m"><row/></worksheet>"#.utf8)
        #expect(plain.feed(doc) + plain.finish() == doc)
    }

    @Test("rows split across inflate chunks are read whole")
    func chunkBoundaries() throws {
        let dir = try TestSupport.tempDir("xlsx")
        let url = dir.appendingPathComponent("big.xlsx")
        // ~4 MB of sheet XML: many 256 KiB chunks, rows straddling them.
        let n = 20_000
        var body = ""
        for i in 1...n { body += "<row r=\"\(i)\"><c r=\"A\(i)\" t=\"inlineStr\"><is><t>name \(i) &amp; co</t></is></c><c r=\"C\(i)\"><v>\(i)</v></c></row>" }
        try ReconTest.xlsx(sheets: [("S", body)], to: url)
        let rows = try ReconTest.rows(try Spreadsheet.open(path: url.path))
        #expect(rows.count == n)
        #expect(rows.allSatisfy { r in r.1 == [.text("name \(r.0) & co"), .empty, .number(Double(r.0))] })
    }

    @Test("CSV: quotes, doubled quotes, newlines inside fields, CRLF, BOM, blank lines")
    func csv() throws {
        let dir = try TestSupport.tempDir("csv")
        let url = dir.appendingPathComponent("export.csv")
        let text = "\u{FEFF}Patient Name,Note,CPT\r\n\"RIVERA, ANA\",\"said \"\"hi\"\"\nthen left\",99309\r\n\r\nLEE,,\n\"\",x,\"\"\n"
        try Data(text.utf8).write(to: url)
        let rows = try ReconTest.rows(try Spreadsheet.open(path: url.path))
        #expect(rows.map(\.0) == [1, 2, 4, 5])
        #expect(rows[0].1 == [.text("Patient Name"), .text("Note"), .text("CPT")])
        #expect(rows[1].1 == [.text("RIVERA, ANA"), .text("said \"hi\"\nthen left"), .text("99309")])
        #expect(rows[2].1 == [.text("LEE")])
        #expect(rows[3].1 == [.empty, .text("x")])
        // without BOM, LF only
        try Data("a,b\n1,2".utf8).write(to: url)
        #expect(try ReconTest.rows(try Spreadsheet.open(path: url.path)).map(\.1) == [[.text("a"), .text("b")], [.text("1"), .text("2")]])
        try Data("a,\"open\n".utf8).write(to: url)
        #expect((#expect(throws: SpreadsheetError.self) { _ = try ReconTest.rows(try Spreadsheet.open(path: url.path)) })?.message
                == "export.csv row 1: a quoted field is not closed")
        #expect((#expect(throws: SpreadsheetError.self) { _ = try Spreadsheet.open(path: url.path, sheet: "X") })?.message
                == "export.csv: a CSV file has no sheets (--sheet given)")
    }

    @Test("a workbook written by another program (openpyxl), both date systems", .enabled(if: ReconTest.hasOpenpyxl, ReconTest.noOpenpyxl))
    func openpyxlWorkbook() throws {
        let dir = try TestSupport.tempDir("pyxl")
        for epoch1904 in [false, true] {
            let url = dir.appendingPathComponent("py-\(epoch1904).xlsx")
            try ReconTest.runPython("""
                import sys, datetime, openpyxl
                from openpyxl.utils.datetime import CALENDAR_MAC_1904
                wb = openpyxl.Workbook()
                if sys.argv[2] == "1": wb.epoch = CALENDAR_MAC_1904
                ws = wb.active
                ws.title = "Export PRM"
                ws.append(["Patient Name", "DOB", "Room", "Ratio", "Flag", "Note"])
                ws.append(["RIVERA, ANA", datetime.date(1944, 2, 29), 101, 2.5, True, None])
                ws.append(["O'NEIL & SONS <x>", datetime.datetime(2026, 11, 20, 14, 30), -7, 1e-3, False, "é ü"])
                ws.append([None, None, None, None, None, "last"])
                other = wb.create_sheet("Second")
                other["C3"] = "only C3"
                wb.save(sys.argv[1])
                """, [url.path, epoch1904 ? "1" : "0"])
            let reader = try XlsxReader(path: url.path)
            #expect(reader.dateSystem == (epoch1904 ? .excel1904 : .excel1900))
            #expect(reader.sheetNames == ["Export PRM", "Second"])
            let rows = try ReconTest.rows(reader)
            #expect(rows.map(\.0) == [1, 2, 3, 4])
            #expect(rows[0].1 == ["Patient Name", "DOB", "Room", "Ratio", "Flag", "Note"].map { .text($0) })
            #expect(rows[1].1 == [.text("RIVERA, ANA"), .date(ReconTest.date(1944, 2, 29)), .number(101), .number(2.5), .bool(true)])
            #expect(rows[2].1 == [.text("O'NEIL & SONS <x>"), .date(ReconTest.date(2026, 11, 20)), .number(-7), .number(0.001),
                                  .bool(false), .text("é ü")])
            #expect(rows[3].1 == [.empty, .empty, .empty, .empty, .empty, .text("last")])
            let second = try ReconTest.rows(try XlsxReader(path: url.path, sheet: "Second"))
            #expect(second.count == 1 && second[0].0 == 3 && second[0].1 == [.empty, .empty, .text("only C3")])
        }
    }

    @Test("what our writer writes, our reader and openpyxl read alike", .enabled(if: ReconTest.hasOpenpyxl, ReconTest.noOpenpyxl))
    func writerRoundTrip() throws {
        let dir = try TestSupport.tempDir("wr")
        let path = dir.appendingPathComponent("out.xlsx").path
        let wb = try XlsxWorkbook(path: path)
        let s = try wb.addSheet("Data")
        s.writeHeader(["Name", "Date", "N", "B"])
        let values: [[CellValue]] = [[.text("A <&> \"q\""), .date(ReconTest.date(2026, 1, 31)), .number(3), .bool(true)],
                                     [.text("é"), .date(ReconTest.date(1950, 12, 1)), .number(-0.5), .bool(false)]]
        for (r, row) in values.enumerated() { for (c, v) in row.enumerated() { s.write(r + 1, c, v) } }
        try wb.close()
        let attrs = try FileManager.default.attributesOfItem(atPath: path)
        #expect((attrs[.posixPermissions] as? Int) == 0o600)
        let ours = try ReconTest.rows(try XlsxReader(path: path)).map { $0.1.map(ReconTest.typed) }
        let theirs = try ReconTest.openpyxlDump(path)["Data"]!
        #expect(ours == theirs)
        #expect(theirs[1] == [["s", "A <&> \"q\""], ["d", "2026-01-31"], ["n", "3"], ["b", "TRUE"]])
    }
}
