import ArgumentParser
import DocRecon
import Foundation

struct Eval: AsyncParsableCommand {
    static let configuration = CommandConfiguration(
        abstract: "Ingest DIR's documents and compare every extracted value with the ground truth beside each.")
    @OptionGroup var global: GlobalOptions
    @Argument(help: "Folder of sample documents, each with its ground-truth JSON beside it.") var dir: String
    @Option(name: .long, help: "Rules folder (default: the checkout's Rules/).") var rules: String?
    @Option(name: .long, help: "How many misses to list (human output).") var misses = 50
    @Flag(name: .long, help: "Print one JSON document on stdout.") var json = false

    func run() async throws {
        let db = try global.open()
        let extractor = try makeExtractor(rules: rules)
        let report: EvalReport
        do {
            report = try Evaluator.run(dir: dir, db: db, extractor: extractor) { try ingestForEval($0, db: db) }
        } catch let e as EvalError { throw CLIError.failure(e.description) }
        for r in report.rejected { printError("\(r): not ingested") }
        print(json ? try JSON.string(report) : report.text(misses: misses))
        if !report.rejected.isEmpty { throw ExitCode(2) }
    }
}

/// Documents for the evaluation: path → document id. Until the intake pipeline is merged, the
/// documents must already be in the database (`docrecon ingest`); they are found by file name.
/// The intake merge replaces this with the pipeline's ingest call.
func ingestForEval(_ paths: [String], db: AppDatabase) throws -> [String: Int64] {
    let docs = try DocumentQueries.list(db)
    var out: [String: Int64] = [:]
    for p in paths {
        let name = (p as NSString).lastPathComponent
        let matches = docs.filter { $0.originalName == name }
        if matches.count == 1, let id = matches[0].id { out[p] = id }
    }
    return out
}
