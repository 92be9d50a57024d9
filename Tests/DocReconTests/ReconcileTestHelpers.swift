import Foundation
import Testing
import ZIPFoundation
@testable import DocRecon

/// Builders and independent readers for the spreadsheet and reconciliation tests.
enum ReconTest {
    /// Writes a zip with the given parts (deflated), e.g. a hand-made .xlsx.
    static func zip(_ parts: [(String, Data)], to url: URL) throws {
        try? FileManager.default.removeItem(at: url)
        let archive = try Archive(url: url, accessMode: .create)
        for (path, data) in parts {
            try archive.addEntry(with: path, type: .file, uncompressedSize: Int64(data.count), compressionMethod: .deflate) { pos, size in
                data.subdata(in: Int(pos)..<Int(pos) + size)
            }
        }
    }

    /// A minimal workbook: one or more sheets (name, sheet XML body inside <sheetData>), optional
    /// shared strings (raw <si> elements), styles (raw cellXfs <xf> list and numFmts), 1904 flag.
    /// `prefix` writes the SpreadsheetML parts with that prefix on every element (`<x:row>`), as
    /// the .NET Open XML SDK does.
    static func xlsx(sheets: [(String, String)], shared: [String] = [], numFmts: String = "",
                     xfs: [String] = ["<xf numFmtId=\"0\"/>"], date1904: Bool = false, prefix: String? = nil, to url: URL) throws {
        var parts: [(String, Data)] = []
        func add(_ p: String, _ s: String) {
            var s = s
            if let prefix, p.hasPrefix("xl/"), !p.contains("_rels") {
                s = s.replacingOccurrences(of: "xmlns=\"http://schemas.openxmlformats.org/spreadsheetml/2006/main\"",
                                           with: "xmlns:\(prefix)=\"http://schemas.openxmlformats.org/spreadsheetml/2006/main\"")
                s = s.replacingOccurrences(of: #"<(/?)([A-Za-z])"#, with: "<$1\(prefix):$2", options: .regularExpression)
            }
            parts.append((p, Data(s.utf8)))
        }
        add("[Content_Types].xml", """
            <?xml version="1.0" encoding="UTF-8"?><Types xmlns="http://schemas.openxmlformats.org/package/2006/content-types">\
            <Default Extension="xml" ContentType="application/xml"/></Types>
            """)
        add("_rels/.rels", """
            <?xml version="1.0" encoding="UTF-8"?><Relationships xmlns="http://schemas.openxmlformats.org/package/2006/relationships">\
            <Relationship Id="rId1" Type="http://schemas.openxmlformats.org/officeDocument/2006/relationships/officeDocument" Target="xl/workbook.xml"/></Relationships>
            """)
        var sheetTags = "", rels = ""
        for (i, s) in sheets.enumerated() {
            sheetTags += "<sheet name=\"\(s.0)\" sheetId=\"\(i + 1)\" r:id=\"rId\(i + 1)\"/>"
            rels += "<Relationship Id=\"rId\(i + 1)\" Type=\"http://schemas.openxmlformats.org/officeDocument/2006/relationships/worksheet\" Target=\"worksheets/sheet\(i + 1).xml\"/>"
            add("xl/worksheets/sheet\(i + 1).xml", """
                <?xml version="1.0" encoding="UTF-8" standalone="yes"?>
                <worksheet xmlns="http://schemas.openxmlformats.org/spreadsheetml/2006/main"><dimension ref="A1"/><sheetData>\(s.1)</sheetData></worksheet>
                """)
        }
        let n = sheets.count
        rels += "<Relationship Id=\"rId\(n + 1)\" Type=\"http://schemas.openxmlformats.org/officeDocument/2006/relationships/styles\" Target=\"styles.xml\"/>"
        rels += "<Relationship Id=\"rId\(n + 2)\" Type=\"http://schemas.openxmlformats.org/officeDocument/2006/relationships/sharedStrings\" Target=\"sharedStrings.xml\"/>"
        add("xl/workbook.xml", """
            <?xml version="1.0" encoding="UTF-8"?><workbook xmlns="http://schemas.openxmlformats.org/spreadsheetml/2006/main" \
            xmlns:r="http://schemas.openxmlformats.org/officeDocument/2006/relationships">\
            <workbookPr\(date1904 ? " date1904=\"1\"" : "")/><sheets>\(sheetTags)</sheets></workbook>
            """)
        add("xl/_rels/workbook.xml.rels", """
            <?xml version="1.0" encoding="UTF-8"?><Relationships xmlns="http://schemas.openxmlformats.org/package/2006/relationships">\(rels)</Relationships>
            """)
        add("xl/styles.xml", """
            <?xml version="1.0" encoding="UTF-8"?><styleSheet xmlns="http://schemas.openxmlformats.org/spreadsheetml/2006/main">\
            <numFmts count="1">\(numFmts)</numFmts><cellStyleXfs count="1"><xf numFmtId="14"/></cellStyleXfs>\
            <cellXfs count="\(xfs.count)">\(xfs.joined())</cellXfs></styleSheet>
            """)
        add("xl/sharedStrings.xml", """
            <?xml version="1.0" encoding="UTF-8"?><sst xmlns="http://schemas.openxmlformats.org/spreadsheetml/2006/main" count="\(shared.count)">\(shared.joined())</sst>
            """)
        try zip(parts, to: url)
    }

    /// All rows of a source as (row number, cells).
    static func rows(_ source: any RowSource) throws -> [(Int, [CellValue])] {
        var out: [(Int, [CellValue])] = []
        try source.forEachRow { out.append(($0, $1)) }
        return out
    }

    static func date(_ y: Int, _ m: Int, _ d: Int) -> CalendarDate { CalendarDate(year: y, month: m, day: d)! }

    // MARK: Python + openpyxl, the independent program for comparison tests.

    /// The Python that has openpyxl (Debian's /usr/bin/python3 first: `make deps` installs
    /// python3-openpyxl there), or nil.
    static let python: String? = {
        for p in ["/usr/bin/python3", "/usr/local/bin/python3", "python3"] {
            let path = p.hasPrefix("/") ? p : "/usr/bin/env"
            let args = p.hasPrefix("/") ? ["-c", "import openpyxl"] : [p, "-c", "import openpyxl"]
            guard !p.hasPrefix("/") || FileManager.default.isExecutableFile(atPath: p) else { continue }
            if let r = try? TestSupport.runTool(path, args), r.status == 0 { return p }
        }
        return nil
    }()
    static var hasOpenpyxl: Bool { python != nil }
    static let noOpenpyxl: Comment = "python3-openpyxl is not installed (make deps installs it): comparison test skipped"

    @discardableResult
    static func runPython(_ script: String, _ args: [String]) throws -> String {
        guard let py = python else { throw SpreadsheetError("no python3 with openpyxl") }
        let (path, pre) = py.hasPrefix("/") ? (py, [String]()) : ("/usr/bin/env", [py])
        let r = try TestSupport.runTool(path, pre + ["-c", script] + args)
        guard r.status == 0 else { throw SpreadsheetError("python failed: \(r.stderr)") }
        return r.stdout
    }

    /// Every cell of every sheet as openpyxl reads it: {sheet: [[cell]]}, a cell being
    /// [type, value] with type s (text), n (number), b (bool), d (date, yyyy-MM-dd), or null.
    /// `unescape`: decode Excel's `_xHHHH_` escapes in strings, which openpyxl 3.0 leaves as they are.
    static func openpyxlDump(_ path: String, unescape: Bool = false) throws -> [String: [[[String]]]] {
        let script = """
            import json, sys, datetime, openpyxl
            from openpyxl.utils.escape import unescape
            text = unescape if sys.argv[2] == "1" else str
            wb = openpyxl.load_workbook(sys.argv[1])
            out = {}
            for ws in wb.worksheets:
                rows = []
                for row in ws.iter_rows(values_only=True):
                    cells = []
                    for v in row:
                        if v is None: cells.append(["", ""])
                        elif isinstance(v, bool): cells.append(["b", "TRUE" if v else "FALSE"])
                        elif isinstance(v, datetime.datetime): cells.append(["d", v.date().isoformat()])
                        elif isinstance(v, datetime.date): cells.append(["d", v.isoformat()])
                        elif isinstance(v, (int, float)): cells.append(["n", repr(int(v)) if float(v).is_integer() else repr(v)])
                        else: cells.append(["s", text(str(v))])
                    while cells and cells[-1] == ["", ""]: cells.pop()
                    rows.append(cells)
                out[ws.title] = rows
            print(json.dumps(out))
            """
        let text = try runPython(script, [path, unescape ? "1" : "0"])
        return try JSONDecoder().decode([String: [[[String]]]].self, from: Data(text.utf8))
    }

    /// The same shape from a CellValue (for comparing our reader or our expectations).
    static func typed(_ v: CellValue) -> [String] {
        switch v {
        case .empty: return ["", ""]
        case .text(let s): return ["s", s]
        case .number(let d): return ["n", CellValue.format(d)]
        case .bool(let b): return ["b", b ? "TRUE" : "FALSE"]
        case .date(let d): return ["d", d.iso]
        case .error(let e): return ["s", e]
        }
    }
}
