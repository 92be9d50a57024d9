import ArgumentParser
import DocRecon
import Foundation

struct Audit: AsyncParsableCommand {
    static let configuration = CommandConfiguration(abstract: "The audit trail of corrections and acceptances, oldest first.")
    @OptionGroup var global: GlobalOptions
    @Option(name: .long, help: "Only this document (id or file name).") var doc: String?
    @Flag(name: .long, help: "Print one JSON document on stdout.") var json = false
    @Flag(name: .long, help: "Check the trail's hash chain: exit 1 and name the first broken row if a row was changed, deleted or inserted.")
    var verify = false

    func run() async throws {
        let db = try global.open()
        if verify {
            let v = try AuditChain.verify(db)
            if json {
                print(try JSON.string(["rows": "\(v.rows)", "head": v.head, "intact": "\(v.intact)", "problem": v.problem ?? ""]))
            }
            guard v.intact else { throw CLIError.failure("the audit trail is broken: \(v.problem!)") }
            if !json { print("audit trail intact: \(v.rows) rows, head \(v.head)") }
            return
        }
        var documentId: Int64?
        if let doc {
            do { documentId = try DocumentQueries.find(db, doc).id } catch { throw CLIError.failure("\(error)") }
        }
        let entries = try AuditTrail.entries(db, documentId: documentId)
        print(json ? try JSON.string(entries) : AuditTrail.table(entries))
    }
}
