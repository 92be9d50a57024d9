import ArgumentParser
import DocRecon
import Foundation

struct Ledger: AsyncParsableCommand {
    static let configuration = CommandConfiguration(abstract: "The Master Missing ledger: first seen, last attempt, aging.")
    @OptionGroup var global: GlobalOptions
    @Option(name: .long, help: "open, resolved or all.") var status = "open"
    @Option(name: .long, help: "Days outstanding as of yyyy-MM-dd (default: today).") var asOf: String?
    @Option(name: .long, help: "Rules folder (default: the checkout's Rules/).") var rules: String?
    @Flag(name: .long, help: "Print one JSON document on stdout.") var json = false

    func run() async throws {
        let filter: LedgerStatus?
        switch status {
        case "open": filter = .open
        case "resolved": filter = .resolved
        case "all": filter = nil
        default: throw CLIError.failure("--status must be open, resolved or all (not '\(status)')")
        }
        var day = CalendarDate.today()
        if let asOf {
            guard let d = CalendarDate(iso: asOf) else { throw CLIError.failure("--as-of '\(asOf)' is not a yyyy-MM-dd date") }
            day = d
        }
        let db = try global.open()
        let settings = (try? ReconRules.load(dir: rules).settings) ?? ReconciliationSettings()
        let items = try LedgerQueries.list(db, status: filter, asOf: day, settings: settings)
        if json { print(try JSON.string(items)); return }
        if items.isEmpty { print("no \(status == "all" ? "" : status + " ")ledger entries"); return }
        print(TextTable.render(
            header: ["patient", "dob", "dos", "facility", "cpt", "source", "status", "reason", "first seen", "last attempt", "aging"],
            rows: items.map { i in
                [i.patientName, i.patientDob?.iso ?? "", i.dateOfService?.iso ?? "", i.facility, i.cpt, i.source, i.status,
                 i.reason ?? "", i.firstSeen.iso, i.lastAttempt.iso, i.resolvedOn.map { "resolved \($0.iso)" } ?? i.aging ?? ""]
            }))
    }
}
