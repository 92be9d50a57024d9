import Foundation
@testable import DocRecon

/// Lays out synthetic words on a page the way OCR reports them: each text is split into words
/// of 18 px per character, 12 px apart, 30 px high, at the given top-left position.
struct PageBuilder {
    var width = 2550
    var height = 3300
    var words: [Word] = []
    var charWidth = 18
    var wordHeight = 30

    /// Places `text` starting at (x, y); returns the x just after it.
    @discardableResult
    mutating func put(_ text: String, _ x: Int, _ y: Int, confidence: Double = 0.95) -> Int {
        var cx = x
        for part in text.split(separator: " ") {
            let w = part.count * charWidth
            words.append(Word(pageId: 1, text: String(part), box: Box(cx, y, cx + w, y + wordHeight),
                              confidence: confidence, block: 1, line: y, wordIndex: words.count))
            cx += w + 12
        }
        return cx
    }

    var page: PageWords { PageWords(number: 1, width: width, height: height, words: words) }
}

struct ReadThroughError: Error, CustomStringConvertible { var description: String }

enum ExtractFixtures {
    static var rulesDir: String { TestSupport.repoRoot.appendingPathComponent("Rules").path }
    static func templates() throws -> [Template] { try TemplateLoader.loadAll(rulesDirectory: rulesDir) }
    static func template(_ name: String) throws -> Template { try templates().first { $0.name == name }! }
    static let today = CalendarDate(year: 2026, month: 11, day: 23)!

    /// A file through the real pipeline (intake, OCR or text layer, extraction, with the second
    /// look when asked), compared with the ground-truth JSON beside it.
    static func readThrough(_ path: String, db: AppDatabase, secondLook: Bool)
        throws -> (id: Int64, summary: ExtractionSummary, truth: GroundTruth, report: EvalReport) {
        let tessdata = try TessdataLocator.locate(explicit: nil)
        let templates = try templates()
        var read = ReadSettings(tessdata: tessdata)
        read.forms = FormToRead.all(in: templates)
        let ingested = try IngestPipeline(db: db, options: IngestOptions(jobs: 1, read: read)).run(paths: [path])
        guard let id = ingested.documents.first?.id else { throw ReadThroughError(description: "\(path) was not stored: \(ingested.rejected)") }
        var extractor = Extractor(templates: templates, today: today)
        if secondLook {
            let rereader = try OCRRereader(db: db, tessdata: tessdata)
            rereader.forms = Dictionary(uniqueKeysWithValues: read.forms.map { ($0.template, $0.layout) })
            extractor.rereader = rereader
        }
        let summary = try extractor.extract(documentId: id, in: db)
        guard let truthPath = GroundTruth.path(for: path) else { throw ReadThroughError(description: "no ground truth beside \(path)") }
        let truth = try GroundTruth.load(truthPath)
        var report = EvalReport()
        let (fs, ls) = try db.read { (try ExtractionStore.fields($0, documentId: id), try ExtractionStore.lines($0, documentId: id)) }
        Evaluator.compare(&report, document: (path as NSString).lastPathComponent, truth: truth, fields: fs, lines: ls)
        return (id, summary, truth, report)
    }

    /// `text` read as field `name` of `type` when it is the only thing on the page.
    static func readAlone(_ text: String, confidence: Double = 0.95, name: String, type: FieldType) -> ExtractedValue? {
        var p = PageBuilder()
        p.put(text, 100, 100, confidence: confidence)
        return ValueReader.read(name: name, type: type, words: p.words, page: 1, rule: "t", reviewConfidence: 0.55, today: today)
    }
}

extension ExtractedRecord {
    func str(_ n: String) -> String? { field(n)?.value?.description }
    func cell(_ line: Int, _ n: String) -> ExtractedValue? { lines[line].first { $0.name == n } }
}
