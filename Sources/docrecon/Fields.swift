import ArgumentParser
import DocRecon
import Foundation

struct Fields: AsyncParsableCommand {
    static let configuration = CommandConfiguration(
        abstract: "The extracted fields and service lines of one document, with box, confidence, page and status.")
    @OptionGroup var global: GlobalOptions
    @Argument(help: "Document id or original file name.") var document: String
    @Flag(name: .long, help: "Print one JSON document on stdout (DESIGN.md record shape).") var json = false

    func run() async throws {
        let db = try global.open()
        let d: Document
        do { d = try DocumentQueries.find(db, document) } catch { throw CLIError.failure("\(error)") }
        let report = try FieldsReport.load(db, document: d)
        print(json ? try JSON.string(report) : report.table())
    }
}
