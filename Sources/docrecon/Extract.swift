import ArgumentParser
import DocRecon
import Foundation

struct Extract: AsyncParsableCommand {
    static let configuration = CommandConfiguration(
        abstract: "Re-run field extraction on stored words (after a rules change), without OCR again.")
    @OptionGroup var global: GlobalOptions
    @Argument(help: "Documents (id or file name); default: every document with words.") var documents: [String] = []
    @Option(name: .long, help: "Rules folder (default: the checkout's Rules/).") var rules: String?
    @Flag(name: .long, help: "Print one JSON document on stdout.") var json = false
    @Flag(name: .long, help: "Do not re-read doubtful values from their crops.") var noSecondLook = false

    func run() async throws {
        let db = try global.open()
        let extractor = try makeExtractor(rules: rules, secondLook: noSecondLook ? nil : db)
        var targets: [Document] = []
        var rejected = 0
        if documents.isEmpty {
            targets = try DocumentQueries.list(db).filter { [.ocred, .partial, .extracted].contains($0.status) }
        } else {
            for ref in documents {
                do { targets.append(try DocumentQueries.find(db, ref)) } catch {
                    printError("\(ref): \(error)"); rejected += 1
                }
            }
        }
        if targets.isEmpty && rejected > 0 { throw ExitCode(1) }
        var summaries: [ExtractionSummary] = []
        for d in targets {
            do { summaries.append(try extractor.extract(documentId: d.id!, in: db)) } catch {
                printError("\(d.originalName): extraction failed: \(error)"); rejected += 1
            }
        }
        if json {
            print(try JSON.string(summaries))
        } else {
            let rows = zip(targets, summaries).map { d, s in
                [String(s.documentId), d.originalName, s.docType, String(s.records), String(s.lines), String(s.needsReview), String(s.repaired)]
            }
            print(TextTable.render(header: ["id", "name", "type", "records", "lines", "review", "repaired"], rows: rows))
        }
        if rejected > 0 { throw ExitCode(2) }
    }
}

/// The extractor with the rules of `--rules` or the checkout's Rules/; a broken rule file ends
/// the command with its file, line and problem. With `secondLook` (a database and Tesseract's
/// data), doubtful values are re-read from their crops; the extractor is then for one thread.
func makeExtractor(rules: String?, secondLook db: AppDatabase? = nil, tessdata: String? = nil,
                   lookSeconds: Double = ReadSettings(tessdata: "").pageSeconds) throws -> Extractor {
    guard let dir = rules ?? ProjectPaths.rules else { throw CLIError.failure("cannot find Rules/; pass --rules DIR") }
    var extractor: Extractor
    do { extractor = try Extractor(rulesDirectory: dir) } catch let e as TemplateError {
        throw CLIError.failure("rules: \(e)")
    }
    if let db, let data = try? TessdataLocator.locate(explicit: tessdata) {
        if let r = try? OCRRereader(db: db, tessdata: data) {
            r.forms = Dictionary(FormToRead.all(in: extractor.templates).map { ($0.template, $0.layout) }, uniquingKeysWith: { a, _ in a })
            // The second look runs on the writer thread: under the page deadline (issue 21).
            extractor.rereader = DeadlineRereader(r, seconds: lookSeconds)
        }
    }
    return extractor
}
