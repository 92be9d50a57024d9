import ArgumentParser
import DocRecon
import Foundation

struct Words: AsyncParsableCommand {
    static let configuration = CommandConfiguration(abstract: "Print a document's words with boxes and confidences.")
    @OptionGroup var global: GlobalOptions
    @Argument(help: "Document id or original file name.") var doc: String
    @Option(name: .long, help: "Only this page (1-based).") var page: Int?
    @Flag(name: .long, help: "Print one JSON document on stdout.") var json = false

    struct Out: Codable {
        var page: Int
        var text: String
        var box: [Int]
        var confidence: Double
        var source: String
    }

    func run() async throws {
        let db = try global.open()
        let d: Document
        do { d = try DocumentQueries.find(db, doc) } catch { throw CLIError.failure("\(error)") }
        var pages = try DocumentQueries.pages(db, documentId: d.id!)
        if let n = page {
            pages = pages.filter { $0.number == n }
            if pages.isEmpty { throw CLIError.failure("\(d.originalName) has no page \(n) (it has \(d.pageCount))") }
        }
        var out: [Out] = []
        for p in pages {
            for w in try DocumentQueries.words(db, pageId: p.id!) {
                out.append(Out(page: p.number, text: w.text, box: w.box.array, confidence: w.confidence, source: p.source.rawValue))
            }
        }
        if json { print(try JSON.string(out)); return }
        // How each page was read: its resolution and why, what was done to it, its status.
        for p in pages where p.source == .ocr {
            var line = "page \(p.number): \(p.width)×\(p.height) px at \(p.dpi) dpi"
            if let note = p.resolutionNote { line += " (\(note))" }
            if let c = p.cleanup { line += "; \(c)" }
            if p.status != .ok { line += "; \(p.status.rawValue)\(p.error.map { ": \($0)" } ?? "")" }
            print(line)
        }
        print(TextTable.render(header: ["page", "x0", "y0", "x1", "y1", "conf", "text"], rows: out.map {
            [String($0.page), String($0.box[0]), String($0.box[1]), String($0.box[2]), String($0.box[3]),
             String(format: "%.2f", $0.confidence), $0.text]
        }))
    }
}
