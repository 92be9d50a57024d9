import ArgumentParser
import DocRecon
import Foundation

struct Documents: AsyncParsableCommand {
    static let configuration = CommandConfiguration(abstract: "List documents with their status.")
    @OptionGroup var global: GlobalOptions
    @Flag(name: .long, help: "Print one JSON document on stdout.") var json = false

    func run() async throws {
        let db = try global.open()
        let docs = try DocumentQueries.list(db)
        if json {
            print(try JSON.string(docs.map(DocumentSummary.init)))
            return
        }
        if docs.isEmpty { print("no documents"); return }
        let rows = docs.map { d in
            [String(d.id ?? 0), d.originalName, d.kind.rawValue, String(d.pageCount), d.status.rawValue, d.docType ?? "-"]
        }
        print(TextTable.render(header: ["id", "name", "kind", "pages", "status", "type"], rows: rows))
    }
}
