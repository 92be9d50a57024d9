import DocRecon
import Foundation
import Yams
import ZIPFoundation

/// One fuzz target: the bytes of one input, read the way the product reads that kind of input.
/// A target may throw (a refused input is the expected answer to most mutants); it must never
/// crash, hang or grow without bound: libFuzzer (with AddressSanitizer) reports those.
struct FuzzTarget: Sendable {
    let name: String
    let summary: String
    /// Seed corpus: files under these folders of the checkout whose name ends in one of
    /// `extensions` (none: every file), and the `generated` inputs.
    let seeds: [String]
    var extensions: [String] = []
    var generated: [Data] = []
    let run: @Sendable (Data) throws -> Void
}

/// Readers that take a path get the input through one scratch file per process (in /dev/shm when
/// it exists: a write there is a memory copy).
final class Scratch: @unchecked Sendable {
    static let shared = Scratch()
    let folder: String
    private init() {
        let base = FileManager.default.fileExists(atPath: "/dev/shm") ? "/dev/shm" : NSTemporaryDirectory()
        folder = "\(base)/docrecon-fuzz-\(getpid())"
        try? FileManager.default.createDirectory(atPath: folder, withIntermediateDirectories: true)
        // What the sample configuration names, so that its checks pass and the fuzzer goes deeper.
        for sub in ["scans", "ice", "archive", "out", "ebs"] {
            try? FileManager.default.createDirectory(atPath: folder + "/" + sub, withIntermediateDirectories: true)
        }
        for file in ["ebs.token", "id_ed25519", "known_hosts"] {
            _ = FileManager.default.createFile(atPath: folder + "/" + file, contents: Data("x\n".utf8), attributes: [.posixPermissions: 0o600])
        }
        atexit { try? FileManager.default.removeItem(atPath: Scratch.shared.folder) }
    }
    func write(_ data: Data, as name: String) throws -> String {
        let path = folder + "/" + name
        try data.write(to: URL(fileURLWithPath: path))
        return path
    }
}

/// Small limits, so that a mutant claiming a huge part, sheet or image is refused by the limit
/// (which is what is under test) instead of exhausting the fuzzer's memory.
let fuzzLimits: SpreadsheetLimits = {
    var l = SpreadsheetLimits()
    l.maxPartBytes = 64 << 20
    l.maxSharedStringsBytes = 16 << 20
    l.maxSmallPartBytes = 4 << 20
    l.maxRows = 200_000
    l.maxSeconds = 10
    return l
}()
let fuzzMaxPixels = 40_000_000

func readAllRows(_ source: any RowSource) throws {
    var cells = 0
    try source.forEachRow { _, row in cells += row.count }
    _ = cells
}

/// The parts of an .xlsx the reader opens, for the per-part target.
let xlsxParts = ["xl/sharedStrings.xml", "xl/worksheets/sheet1.xml", "xl/styles.xml", "xl/workbook.xml",
                 "xl/_rels/workbook.xml.rels", "[Content_Types].xml", "_rels/.rels"]

/// A well-formed workbook's parts, one of which the fuzzer's bytes replace.
let minimalWorkbook: [String: String] = [
    "[Content_Types].xml": """
        <?xml version="1.0" encoding="UTF-8"?><Types xmlns="http://schemas.openxmlformats.org/package/2006/content-types">\
        <Default Extension="rels" ContentType="application/vnd.openxmlformats-package.relationships+xml"/>\
        <Default Extension="xml" ContentType="application/xml"/>\
        <Override PartName="/xl/workbook.xml" ContentType="application/vnd.openxmlformats-officedocument.spreadsheetml.sheet.main+xml"/>\
        <Override PartName="/xl/worksheets/sheet1.xml" ContentType="application/vnd.openxmlformats-officedocument.spreadsheetml.worksheet+xml"/>\
        <Override PartName="/xl/sharedStrings.xml" ContentType="application/vnd.openxmlformats-officedocument.spreadsheetml.sharedStrings+xml"/>\
        <Override PartName="/xl/styles.xml" ContentType="application/vnd.openxmlformats-officedocument.spreadsheetml.styles+xml"/></Types>
        """,
    "_rels/.rels": """
        <?xml version="1.0" encoding="UTF-8"?><Relationships xmlns="http://schemas.openxmlformats.org/package/2006/relationships">\
        <Relationship Id="rId1" Type="http://schemas.openxmlformats.org/officeDocument/2006/relationships/officeDocument" Target="xl/workbook.xml"/></Relationships>
        """,
    "xl/workbook.xml": """
        <?xml version="1.0" encoding="UTF-8"?><workbook xmlns="http://schemas.openxmlformats.org/spreadsheetml/2006/main" \
        xmlns:r="http://schemas.openxmlformats.org/officeDocument/2006/relationships"><sheets><sheet name="Charges" sheetId="1" r:id="rId1"/></sheets></workbook>
        """,
    "xl/_rels/workbook.xml.rels": """
        <?xml version="1.0" encoding="UTF-8"?><Relationships xmlns="http://schemas.openxmlformats.org/package/2006/relationships">\
        <Relationship Id="rId1" Type="http://schemas.openxmlformats.org/officeDocument/2006/relationships/worksheet" Target="worksheets/sheet1.xml"/>\
        <Relationship Id="rId2" Type="http://schemas.openxmlformats.org/officeDocument/2006/relationships/sharedStrings" Target="sharedStrings.xml"/>\
        <Relationship Id="rId3" Type="http://schemas.openxmlformats.org/officeDocument/2006/relationships/styles" Target="styles.xml"/></Relationships>
        """,
    "xl/styles.xml": """
        <?xml version="1.0" encoding="UTF-8"?><styleSheet xmlns="http://schemas.openxmlformats.org/spreadsheetml/2006/main">\
        <numFmts count="1"><numFmt numFmtId="164" formatCode="mm/dd/yyyy"/></numFmts>\
        <cellXfs count="2"><xf numFmtId="0"/><xf numFmtId="164" applyNumberFormat="1"/></cellXfs></styleSheet>
        """,
    "xl/sharedStrings.xml": """
        <?xml version="1.0" encoding="UTF-8"?><sst xmlns="http://schemas.openxmlformats.org/spreadsheetml/2006/main" count="3" uniqueCount="3">\
        <si><t>Patient</t></si><si><t>DOS</t></si><si><r><t>DOE,</t></r><r><t xml:space="preserve"> JANE</t></r></si></sst>
        """,
    "xl/worksheets/sheet1.xml": """
        <?xml version="1.0" encoding="UTF-8"?><worksheet xmlns="http://schemas.openxmlformats.org/spreadsheetml/2006/main"><sheetData>\
        <row r="1"><c r="A1" t="s"><v>0</v></c><c r="B1" t="s"><v>1</v></c><c r="C1" t="inlineStr"><is><t>Charge</t></is></c></row>\
        <row r="2"><c r="A2" t="s"><v>2</v></c><c r="B2" s="1"><v>46300</v></c><c r="C2"><v>125.5</v></c></row>\
        </sheetData></worksheet>
        """,
]

/// The minimal workbook with one part replaced by `data` (stored, so the bytes reach the XML
/// reader as they are; the whole-file target covers inflate).
func workbook(replacing part: String, with data: Data) throws -> Data {
    let archive = try Archive(accessMode: .create)
    for name in xlsxParts.reversed() {
        let body = name == part ? data : Data(minimalWorkbook[name]!.utf8)
        try archive.addEntry(with: name, type: .file, uncompressedSize: Int64(body.count), compressionMethod: .none,
                             provider: { position, size in body.subdata(in: Int(position)..<Int(position) + size) })
    }
    return archive.data!
}

/// A template and a match rule file need each other's names only loosely: each is parsed alone.
let targets: [FuzzTarget] = [
    FuzzTarget(name: "xlsx", summary: "a whole .xlsx through the sheet reader (zip directory, inflate, every part)",
               seeds: ["Samples", "Tests/Fuzz/Crashers", "Tests/DocReconTests/Fixtures"], extensions: ["xlsx"]) { data in
        let path = try Scratch.shared.write(data, as: "input.xlsx")
        try readAllRows(try XlsxReader(path: path, limits: fuzzLimits))
    },
    FuzzTarget(name: "xlsx-part", summary: "one part of an otherwise valid .xlsx (first byte picks the part)",
               seeds: [], generated: xlsxParts.enumerated().map { Data([UInt8($0.offset)]) + Data(minimalWorkbook[$0.element]!.utf8) }) { data in
        guard let first = data.first else { return }
        let part = xlsxParts[Int(first) % xlsxParts.count]
        let path = try Scratch.shared.write(try workbook(replacing: part, with: Data(data.dropFirst())), as: "part.xlsx")
        try readAllRows(try XlsxReader(path: path, limits: fuzzLimits))
    },
    FuzzTarget(name: "csv", summary: "a .csv through the CSV reader",
               seeds: ["Samples", "Tests/DocReconTests/Fixtures"], extensions: ["csv"]) { data in
        let path = try Scratch.shared.write(data, as: "input.csv")
        try readAllRows(try CSVReader(path: path, limits: fuzzLimits))
    },
    FuzzTarget(name: "ice", summary: "a whole ICE export (.csv or .xlsx by its first bytes) imported into an in-memory database",
               seeds: ["Samples", "Tests/Fuzz/Crashers"], extensions: ["xlsx", "csv"]) { data in
        let ext = data.starts(with: [0x50, 0x4B]) ? "xlsx" : "csv"
        let path = try Scratch.shared.write(data, as: "ice.\(ext)")
        _ = try IceImporter.importFile(path, into: try FuzzDatabase.shared.next(), rules: shippedRules(), limits: fuzzLimits)
    },
    FuzzTarget(name: "template", summary: "a template YAML (Rules/templates) through the template loader",
               seeds: ["Rules/templates"], extensions: ["yaml"]) { data in
        guard let text = String(data: data, encoding: .utf8) else { return }
        _ = try TemplateLoader.parse(text, file: "fuzz.yaml", directory: Scratch.shared.folder)
    },
    FuzzTarget(name: "rules", summary: "matching.yaml and the reconciliation rule files (sources, billing, settings)",
               seeds: [], generated: rulesSeeds()) { data in
        guard let first = data.first, let text = String(data: data.dropFirst(), encoding: .utf8) else { return }
        let decoder = YAMLDecoder()
        switch first % 4 {
        case 0: _ = try MatchRules.parse(text)
        case 1: _ = try decoder.decode(SourceMap.self, from: text)
        case 2: _ = try decoder.decode(BillingRules.self, from: text)
        default: _ = try decoder.decode(ReconciliationSettings.self, from: text)
        }
    },
    FuzzTarget(name: "values", summary: "the value parsers: dates, money, codes, NPI, modifiers, ICD-10, integers, pointers",
               seeds: [], generated: valueSeeds.map { Data($0.utf8) }) { data in
        guard let text = String(data: data, encoding: .utf8) else { return }
        let today = CalendarDate(year: 2026, month: 11, day: 23)!
        for type in FieldType.allCases {
            _ = FieldValues.evaluate(text, type: type, today: today)
            _ = FieldValues.normalize(text, type: type, birth: true, today: today)
        }
        _ = FieldValues.parseDate(text, today: today)
        _ = FieldValues.parseMoney(text)
        _ = Money(parsing: text)
        _ = CalendarDate(iso: text)
        _ = FieldValues.isNPI(text)
    },
    FuzzTarget(name: "config", summary: "the daily run's configuration file",
               seeds: [], generated: [Data(sampleConfig.utf8)]) { data in
        guard let text = String(data: data, encoding: .utf8) else { return }
        _ = try DailyConfig.parse(text, file: "fuzz.yaml", baseFolder: Scratch.shared.folder, environment: [:])
    },
    FuzzTarget(name: "pdf", summary: "a PDF through poppler: open, page sizes, text layer, render under the pixel limit",
               seeds: ["Samples", "Tests/DocReconTests/Fixtures"], extensions: ["pdf"]) { data in
        guard case .kind(.pdf) = Sniffer.sniff(data) else { return }
        let path = try Scratch.shared.write(data, as: "input.pdf")
        let pdf = try PDFDocument(path: path)
        for n in 1...max(1, min(pdf.pageCount, 2)) where pdf.pageCount > 0 {
            _ = try pdf.pageSize(n)
            _ = try pdf.textLayerWords(n, dpi: 72)
            _ = try pdf.render(n, dpi: 24, maxPixels: fuzzMaxPixels)
        }
    },
    FuzzTarget(name: "image", summary: "a PNG, JPEG or TIFF through Leptonica: header, pixel limit, decode",
               seeds: ["Samples", "Tests/DocReconTests/Fixtures"], extensions: ["png", "jpg", "jpeg", "tif", "tiff"]) { data in
        guard case .kind(let kind) = Sniffer.sniff(data) else { return }
        switch kind {
        case .tiff:
            for page in 0..<min(Pix.tiffPageCount(data), 2) {
                guard let size = Pix.tiffPageSize(data, page: page), size.width * size.height <= fuzzMaxPixels else { continue }
                _ = Pix.decodeTIFF(data, page: page)
            }
        case .png, .jpeg:
            guard let size = Pix.header(of: data), size.width * size.height <= fuzzMaxPixels else { return }
            _ = Pix.decode(data)
        case .pdf: return
        }
    },
]

/// The shipped rules, loaded once.
let rulesOnce: Result<ReconRules, Error> = Result { try ReconRules.load() }
func shippedRules() throws -> ReconRules { try rulesOnce.get() }

/// The rule files as shipped, each behind the byte that picks its decoder.
func rulesSeeds() -> [Data] {
    guard let dir = ProjectPaths.rules else { return [] }
    return ["matching.yaml", "sources/ice.yaml", "billing.yaml", "reconciliation.yaml"].enumerated().compactMap { i, rel in
        FileManager.default.contents(atPath: "\(dir)/\(rel)").map { Data([UInt8(i)]) + $0 }
    }
}

let valueSeeds = ["03/14/2026", "3-14-26", "2026-03-14", "14 MAR 2026", "03 14 2026", "$1,234.50", "125.00", "1 250 00",
                  "99213", "J1100", "25", "GT", "E11.9", "E119", "I10", "1234567893", "12345 67893", "11", "2", "AB",
                  "1,2", "DOE, JANE", "O3/l4/2O26", "$(12.00)", "-0.00", "99999999999999999999.99"]

let sampleConfig = """
    inbox: scans
    ice_inbox: ice
    ebs:
      url: https://ebs.example.internal/api/posted-charges
      token_file: ebs.token
      timeout_s: 20
      retries: 5
    outbox:
      url: sftp://billing@127.0.0.1:2222/drop
      key_file: id_ed25519
      known_hosts: known_hosts
    archive: archive
    database: docrecon.sqlite
    jobs: 2
    settle_s: 5
    reconcile_at: "18:00"
    watch:
      rescan_s: 30
      stop_grace_s: 10
    notify:
      webhook: http://127.0.0.1:9/hook
    """

/// One in-memory database for the ICE target (its migrations cost more than an import), made
/// anew every 500 imports so that it does not grow without bound.
final class FuzzDatabase: @unchecked Sendable {
    static let shared = FuzzDatabase()
    private var db: AppDatabase?
    private var uses = 0
    func next() throws -> AppDatabase {
        uses += 1
        if db == nil || uses % 500 == 0 { db = try AppDatabase.inMemory() }
        return db!
    }
}
