import ArgumentParser
import DocRecon
import Foundation
import GRDB

struct Eval: AsyncParsableCommand {
    static let configuration = CommandConfiguration(
        abstract: "Ingest DIR's documents and compare every extracted value with the ground truth beside each.")
    @OptionGroup var global: GlobalOptions
    @Argument(help: "Folder of sample documents, each with its ground-truth JSON beside it.") var dir: String
    @Option(name: .long, help: "Rules folder (default: the checkout's Rules/).") var rules: String?
    @Option(name: .long, help: "How many misses to list (human output).") var misses = 50
    @Option(name: .long, help: "Parallel OCR workers (default: cores).") var jobs: Int?
    @Flag(name: .long, help: "Print one JSON document on stdout.") var json = false
    @Flag(name: .long, help: "Measure without the second look (re-reading doubtful values from their crops).")
    var noSecondLook = false

    func run() async throws {
        let db = try global.open()
        let extractor = try makeExtractor(rules: rules, secondLook: noSecondLook ? nil : db)
        let report: EvalReport
        do {
            report = try Evaluator.run(dir: dir, db: db, extractor: extractor) { try ingestForEval($0, db: db, rules: rules, jobs: jobs) }
        } catch let e as EvalError { throw CLIError.failure(e.description) }
        for r in report.rejected { printError("\(r): not ingested") }
        print(json ? try JSON.string(report) : report.text(misses: misses))
        if !report.rejected.isEmpty { throw ExitCode(2) }
    }
}

/// Documents for the evaluation: ingests the files (stored and read as `ingest` does; the
/// evaluator then extracts each once, with its own extractor) and maps each path to its
/// document id; a rejected file has none.
func ingestForEval(_ paths: [String], db: AppDatabase, rules: String?, jobs: Int?) throws -> [String: Int64] {
    let summary = try IngestRunner.run(db: db, paths: paths, jobs: jobs, dpi: 300, tessdata: nil, rules: rules,
                                       osd: true, deskew: true, extract: false, progress: false)
    // By the path it was stored from: folders of generated sets repeat file names
    // (`seed-7301/clean-01-superbill.pdf`, `seed-7302/clean-01-superbill.pdf`). By name for a
    // file whose content was already stored from elsewhere.
    let byPath: [String: Int64] = try db.read { db in
        Dictionary(try Document.fetchAll(db, keys: summary.documents.map(\.id)).map { ($0.originalPath, $0.id!) }, uniquingKeysWith: { a, _ in a })
    }
    let ids = Dictionary(summary.documents.map { ($0.name, $0.id) }, uniquingKeysWith: { a, _ in a })
    var out: [String: Int64] = [:]
    for p in paths {
        if let id = byPath[(p as NSString).standardizingPath] ?? ids[(p as NSString).lastPathComponent] { out[p] = id }
    }
    return out
}
