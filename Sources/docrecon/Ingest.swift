import ArgumentParser
import DocRecon
import Foundation

struct Ingest: AsyncParsableCommand {
    static let configuration = CommandConfiguration(
        abstract: "Store, OCR and extract PDFs and images (files or folders, recursively).")
    @OptionGroup var global: GlobalOptions
    @Argument(help: "Files or folders.") var paths: [String]
    @Option(name: .long, help: "Parallel OCR workers (default: cores).") var jobs: Int?
    @Option(name: .long, help: "Render resolution for PDF pages.") var dpi = 300
    @Option(name: .long, help: "Folder with eng.traineddata and osd.traineddata.") var tessdata: String?
    @Option(name: .long, help: "Rules folder (default: the checkout's Rules/).") var rules: String?
    @Option(name: .long, help: "Seconds one page (or opening one file) may take before it is stopped and rejected.")
    var pageTimeout: Double = ReadSettings(tessdata: "").pageSeconds
    @Flag(name: .long, help: "Skip orientation detection.") var noOsd = false
    @Flag(name: .long, help: "Skip deskewing.") var noDeskew = false
    @Flag(name: .long, help: "Only store and read the pages; extract fields later with `docrecon extract`.") var noExtract = false
    @Flag(name: .long, help: "Print one JSON document on stdout.") var json = false

    func validate() throws {
        if let j = jobs, j < 1 { throw ValidationError("--jobs must be at least 1") }
        if !(50...1200).contains(dpi) { throw ValidationError("--dpi must be between 50 and 1200") }
        if !(pageTimeout > 0 && pageTimeout <= 86_400) { throw ValidationError("--page-timeout must be between 0 and 86400 seconds") }
    }

    func run() async throws {
        let db = try global.open()
        let summary = try IngestRunner.run(db: db, paths: paths, jobs: jobs, dpi: dpi, tessdata: tessdata,
                                           rules: rules, osd: !noOsd, deskew: !noDeskew, extract: !noExtract, progress: !json,
                                           pageSeconds: pageTimeout)
        if json {
            print(try JSON.string(summary))
        } else {
            print(IngestRunner.describe(summary))
        }
        if !summary.rejected.isEmpty { throw ExitCode(2) }
    }
}

/// Shared by `ingest` and `demo`.
enum IngestRunner {
    static func run(db: AppDatabase, paths: [String], jobs: Int?, dpi: Int, tessdata: String?, rules: String?,
                    osd: Bool, deskew: Bool, extract: Bool = true, progress: Bool,
                    pageSeconds: Double? = nil) throws -> IngestSummary {
        let dataPath: String
        do { dataPath = try TessdataLocator.locate(explicit: tessdata) } catch {
            throw CLIError.failure("\(error)")
        }
        var settings = ReadSettings(tessdata: dataPath)
        settings.dpi = dpi
        settings.detectOrientation = osd
        settings.deskew = deskew
        if let pageSeconds { settings.pageSeconds = pageSeconds }
        settings.forms = try formsToRead(rules: rules)
        let options = IngestOptions(jobs: jobs ?? ProcessEnvironment.cpuCount, read: settings,
                                    showProgress: progress && stderrIsTerminal)
        let pipeline = IngestPipeline(db: db, options: options)
        pipeline.onRejection = { printError($0.line) }
        // Extraction runs as each document's pages are committed (not on a failed document).
        // The second look re-reads doubtful values from their crops (runs on the writer thread).
        // Only when extracting: loading the rules and the second look's Tesseract costs as much as
        // reading a page, before the first worker starts.
        if extract {
            let extractor = try makeExtractor(rules: rules, secondLook: db, tessdata: dataPath, lookSeconds: settings.pageSeconds)
            pipeline.afterDocument = { id in
                let status = try db.read { try Document.fetchOne($0, key: id)?.status }
                guard status == .ocred || status == .partial else { return }
                // A document that cannot be extracted keeps its words; the batch goes on.
                do { _ = try extractor.extract(documentId: id, in: db) } catch {
                    let doc = try? db.read { try Document.fetchOne($0, key: id) }
                    printError("\(doc?.originalName ?? "document \(id)"): fields could not be extracted: \(error)")
                }
            }
        }
        do { return try pipeline.run(paths: paths) } catch let e as CLIFailure {
            throw CLIError.failure(e.message)
        }
    }

    /// The printed forms of the rules' templates (read box by box when a page registers).
    static func formsToRead(rules: String?) throws -> [FormToRead] {
        guard let dir = rules ?? ProjectPaths.rules else { return [] }
        do {
            return FormToRead.all(in: try TemplateLoader.loadAll(rulesDirectory: dir))
        } catch let e as TemplateError {
            throw CLIError.failure("rules: \(e)")
        }
    }

    static func describe(_ s: IngestSummary) -> String {
        let lines = ["added \(s.added), already present \(s.alreadyPresent), rejected \(s.rejected.count); "
                     + "\(s.pages) pages, \(s.words) words in \(String(format: "%.1f", s.seconds)) s"
                     + (s.seconds > 0 && s.pages > 0 ? String(format: " (%.0f pages/min)", Double(s.pages) / s.seconds * 60) : "")]
        return lines.joined(separator: "\n")
    }
}
