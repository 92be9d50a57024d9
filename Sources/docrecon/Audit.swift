import ArgumentParser
import DocRecon
import Foundation

struct Audit: AsyncParsableCommand {
    static let configuration = CommandConfiguration(abstract: "The audit trail of corrections and acceptances, oldest first.")
    @OptionGroup var global: GlobalOptions
    @Option(name: .long, help: "Only this document (id or file name).") var doc: String?
    @Flag(name: .long, help: "Print one JSON document on stdout.") var json = false

    func run() async throws {
        let db = try global.open()
        var documentId: Int64?
        if let doc {
            do { documentId = try DocumentQueries.find(db, doc).id } catch { throw CLIError.failure("\(error)") }
        }
        let entries = try AuditTrail.entries(db, documentId: documentId)
        print(json ? try JSON.string(entries) : AuditTrail.table(entries))
    }
}
