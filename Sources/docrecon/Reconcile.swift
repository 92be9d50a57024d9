import ArgumentParser
import DocRecon
import Foundation

struct Reconcile: AsyncParsableCommand {
    static let configuration = CommandConfiguration(
        abstract: "Reconcile the day's intake: write the General Reconciliation and Master Missing workbooks, update the ledger.")
    @OptionGroup var global: GlobalOptions
    @Option(name: .long, help: "Run date yyyy-MM-dd (default: today).") var date: String?
    @Option(name: .long, help: "Output folder for the two workbooks.") var out: String
    @Option(name: .long, help: "EBS posted-charges export (.xlsx or .csv).") var ebs: String?
    @Option(name: .long, help: "Import this ICE export first (repeatable).") var ice: [String] = []
    @Option(name: .long, help: "Sheet of the --ice files (default: the first).") var sheet: String?
    @Flag(name: .long, help: "Allow a run dated before the latest run (rewrites the ledger history after it).") var force = false
    @Option(name: .long, help: "Rules folder (default: the checkout's Rules/).") var rules: String?
    @Flag(name: .long, help: "Print one JSON document on stdout.") var json = false

    struct Output: Codable {
        var imports: [ImportResult]
        var importErrors: [IceImportReport.Failure]
        var run: ReconcileResult
    }

    func run() async throws {
        let runDate: CalendarDate
        if let date {
            guard let d = CalendarDate(iso: date) else { throw CLIError.failure("--date '\(date)' is not a yyyy-MM-dd date") }
            runDate = d
        } else {
            runDate = CalendarDate.today()
        }
        let pending = PendingRules(dir: rules)  // read while the database opens
        let db = try global.open()
        let ruleSet: ReconRules
        do { ruleSet = try pending.value() } catch { throw CLIError.failure("\(error)") }
        PhaseClock.mark("rules loaded")
        var exit: Int32 = 0
        var imports: [ImportResult] = []
        var failures: [IceImportReport.Failure] = []
        for f in ice {
            let rep = IceImportReport.run(file: f, sheet: sheet, db: db, rules: ruleSet)
            if let r = rep.result { imports.append(r) } else { failures.append(.init(file: rep.file, error: rep.error ?? "")) }
            if !json, let line = rep.summaryLine { printError(line) }
            exit = max(exit, rep.exitCode)
            if rep.diskFull { throw ExitCode(1) }
        }
        let result: ReconcileResult
        do {
            result = try Reconciler.run(db: db, rules: ruleSet, options: ReconcileOptions(date: runDate, outDir: out, ebsPath: ebs, force: force))
        } catch {
            if DiskFull.isFull(error) {
                throw CLIError.failure(db.diskFull(error, input: nil, outcome: "the run was not stored (it is one transaction); reconcile again once there is room").description)
            }
            throw CLIError.failure("\(error)")
        }
        if let e = result.ebsFile {
            for rej in result.ebsRejected { printError("\(e) row \(rej.row): \(rej.reason)") }
            if !result.ebsRejected.isEmpty { exit = 2 }
        }
        PhaseClock.mark("command done (database still open)")
        if json {
            print(try JSON.string(Output(imports: imports, importErrors: failures, run: result)))
        } else {
            print("Reconciled \(result.date.iso)\(result.rerun ? " (re-run)" : ""): \(result.charges) charges, \(result.billed) billed, "
                  + "\(result.notBilled) not billed; ledger +\(result.added) new, \(result.updated) updated, "
                  + "\(result.resolved) resolved, \(result.openAfter) open")
            if let p = result.paper {
                print("Paper: \(p.charges) charges — \(p.complete) in ICE as written, \(p.paperOnly) not in ICE, \(p.mismatch) differing, "
                      + "\(p.conflict) in conflicts")
            }
            print("  \(result.generalWorkbook)")
            print("  \(result.masterWorkbook)")
        }
        if exit != 0 { throw ExitCode(exit) }
    }
}
