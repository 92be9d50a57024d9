import ArgumentParser
import DocRecon
import Foundation

/// Runs every stage that works on the shipped Samples/ into ./demo-out. Each capability adds its
/// step here, so the demo always shows everything that works.
struct Demo: AsyncParsableCommand {
    static let configuration = CommandConfiguration(abstract: "Run the whole pipeline on Samples/ into ./demo-out.")
    @Option(name: .long, help: "Where the samples are (default: the checkout's Samples/).") var samples: String?
    @Option(name: .long, help: "Output folder.") var out = "demo-out"
    @Option(name: .long, help: "Parallel OCR workers (default: cores).") var jobs: Int?

    func run() async throws {
        guard let samplesDir = samples ?? ProjectPaths.samples else {
            throw CLIError.failure("cannot find Samples/; pass --samples DIR")
        }
        try FileManager.default.createDirectory(atPath: out, withIntermediateDirectories: true,
                                                attributes: [.posixPermissions: 0o700])
        let dbPath = "\(out)/docrecon.sqlite"
        print("DocRecon demo: \(samplesDir) → \(out)/ (database \(dbPath))")
        let db = try AppDatabase.open(path: dbPath)

        // 1. Intake: every sample sheet stored, OCRed (or read from its text layer), and extracted.
        print("\n== Intake: \(samplesDir)/sheets")
        let summary = try IngestRunner.run(db: db, paths: ["\(samplesDir)/sheets"], jobs: jobs, dpi: 300, tessdata: nil,
                                           rules: nil, osd: true, deskew: true, progress: true)
        print(IngestRunner.describe(summary))
        let docs = try DocumentQueries.list(db)
        let pages = try docs.reduce(0) { $0 + (try DocumentQueries.pages(db, documentId: $1.id!)).count }
        let textLayer = try db.read { try Int.fetchOne($0, sql: "SELECT count(*) FROM pages WHERE source = 'text-layer'") ?? 0 }
        print("\(docs.count) documents, \(pages) pages (\(textLayer) read from their text layer, \(pages - textLayer) OCRed); "
              + "see them with: docrecon --db \(dbPath) documents")

        // 2. Extraction accuracy against the ground truth beside each sample (ingest is a no-op now).
        print("\n== Extraction: fields and service lines against the ground truth")
        let extractor = try makeExtractor(rules: nil, secondLook: db)
        do {
            let report = try Evaluator.run(dir: "\(samplesDir)/sheets", db: db, extractor: extractor) {
                try ingestForEval($0, db: db, rules: nil, jobs: jobs)
            }
            print(report.summary())
            print("see one sheet's fields with: docrecon --db \(dbPath) fields DOC")
        } catch let e as EvalError {
            print("extraction accuracy: \(e)")
        }

        // 3. ICE exports: imported as charges, reconciled (with the EBS export when there is one)
        //    into the General Reconciliation and Master Missing workbooks.
        try Demo.reconcileIce(db: db, dbPath: dbPath, samplesDir: samplesDir, out: out)

        // 4. Matching: the sheets' paper charges against the ICE rows, sets by status.
        try Demo.matchPaper(db: db, dbPath: dbPath)

        // Last: the HTML report over everything above.
        print("\n== Report: pages with their field boxes, fields by status, corrections, batches")
        let report = try ReportBuilder(db: db, out: "\(out)/report").write()
        print("\(report.documents) documents, \(report.pages) pages (\(report.pageImages) images), \(report.boxes) field boxes")
        print("open: " + URL(fileURLWithPath: report.index).standardizedFileURL.path)
    }

    static func reconcileIce(db: AppDatabase, dbPath: String, samplesDir: String, out: String) throws {
        let iceDir = "\(samplesDir)/ice"
        let files = ((try? FileManager.default.contentsOfDirectory(atPath: iceDir)) ?? []).sorted()
        let exports = files.filter { $0.hasPrefix("Export") && ($0.hasSuffix(".xlsx") || $0.hasSuffix(".csv")) }
        guard !exports.isEmpty else { return }
        print("\n== ICE reconciliation: \(iceDir)")
        let rules = try ReconRules.load()
        var date = CalendarDate.today()
        for f in exports {
            let rep = IceImportReport.run(file: "\(iceDir)/\(f)", sheet: nil, db: db, rules: rules)
            if let line = rep.summaryLine { print(line) }
            // "Export PRM 11-20-2026 Completed.xlsx": the run date is the export's date.
            if let d = f.split(separator: " ").lazy.compactMap({ DateText.parse(String($0)) }).first { date = d }
        }
        let ebs = files.first { $0.hasPrefix("EBS") && ($0.hasSuffix(".xlsx") || $0.hasSuffix(".csv")) }.map { "\(iceDir)/\($0)" }
        let r = try Reconciler.run(db: db, rules: rules, options: ReconcileOptions(date: date, outDir: out, ebsPath: ebs, force: true))
        for rej in r.ebsRejected { printError("\(r.ebsFile ?? "EBS") row \(rej.row): \(rej.reason)") }
        print("Reconciled \(date.iso)\(ebs.map { " against \(($0 as NSString).lastPathComponent)" } ?? ""): \(r.charges) charges, "
              + "\(r.billed) billed, \(r.notBilled) not billed; Master Missing: \(r.openAfter) open")
        if let p = r.paper {
            print("Paper: \(p.charges) charges — \(p.complete) in ICE as written, \(p.paperOnly) not in ICE, \(p.mismatch) differing, "
                  + "\(p.conflict) in conflicts (sheets Paper vs ICE and Exceptions)")
        }
        print("  \(r.generalWorkbook)")
        print("  \(r.masterWorkbook)")
        print("see the ledger with: docrecon --db \(dbPath) ledger --as-of \(date.iso)")
    }
}
