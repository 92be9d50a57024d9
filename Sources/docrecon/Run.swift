import ArgumentParser
import DocRecon
import Foundation

struct Run: AsyncParsableCommand {
    static let configuration = CommandConfiguration(
        abstract: "One pass of the day, unattended: inboxes ingested and imported, the date reconciled, workbooks delivered, the run recorded and notified.")
    @OptionGroup var global: GlobalOptions
    @Option(name: .long, help: "The daily run's config (YAML).") var config: String
    @Option(name: .long, help: "The date to reconcile, yyyy-MM-dd (default: today).") var date: String?
    @Flag(name: .long, help: "Ask EBS again even if this date's answer is stored.") var refreshEbs = false
    @Flag(name: .long, help: "Wait for another run or watch pass on the same database instead of exiting.") var wait = false
    @Flag(name: .long, help: "Print the run's report as one JSON document on stdout.") var json = false

    func run() async throws {
        let cfg = try DailyCLI.loadConfig(config)
        var options = DailyRun.Options(date: try DailyCLI.date(date))
        options.refreshEbs = refreshEbs
        let setup = try DailyCLI.open(global, cfg, what: "run", wait: wait ? .forever : .no)
        defer { setup.lock.release() }
        // Nothing runs on a trail someone has tampered with (issue 21).
        let chain = try AuditChain.verify(setup.db)
        guard chain.intact else {
            throw CLIError.failure("run: the audit trail is broken (\(chain.problem!)); nothing was done. `docrecon audit --verify` names the row")
        }
        let report: DailyReport
        do { report = try setup.makeRun(!json).perform(options) } catch {
            if DiskFull.isFull(error) {
                throw CLIError.failure("run: " + setup.db.diskFull(error, input: nil, outcome:
                    "the run stopped; what it finished is kept (each step is one transaction), run it again once there is room").description)
            }
            throw CLIError.failure("run: \(error)")
        }
        if json { print(try JSON.string(report)) } else { print(DailyCLI.describe(report)) }
        if report.exitCode != 0 { throw ExitCode(report.exitCode) }
    }
}

/// Shared by `run` and `watch`: the config, the lock, the database, the steps.
enum DailyCLI {
    static func loadConfig(_ path: String) throws -> DailyConfig {
        do { return try DailyConfig.load(path: path) } catch { throw CLIError.failure("\(error)") }
    }

    static func date(_ text: String?) throws -> CalendarDate {
        guard let text else { return CalendarDate.today() }
        guard let d = CalendarDate(iso: text) else { throw CLIError.failure("--date '\(text)' is not a yyyy-MM-dd date") }
        return d
    }

    struct Setup {
        var lock: RunLock
        var db: AppDatabase
        var makeRun: (_ progress: Bool) throws -> DailyRun
    }

    /// The database: --db, else the config's `database`, else $DOCRECON_DB, else ./docrecon.sqlite.
    static func databasePath(_ global: GlobalOptions, _ cfg: DailyConfig) -> String {
        global.db ?? cfg.database ?? global.databasePath
    }

    static func open(_ global: GlobalOptions, _ cfg: DailyConfig, what: String, wait: RunLock.Wait?) throws -> Setup {
        let path = databasePath(global, cfg)
        let lock = RunLock(databasePath: path)
        if let wait {
            do { try lock.acquire(wait: wait, what: what) } catch { throw CLIError.failure("\(what): \(error)") }
        }
        Log.configure(verbose: global.verbose)
        let db: AppDatabase
        do { db = try AppDatabase.open(path: path) } catch { throw CLIError.failure("cannot open the database \(path): \(error)") }
        let rules: ReconRules, ebsRules: EbsHTTPRules
        do {
            rules = try ReconRules.load(dir: cfg.rules)
            ebsRules = try EbsHTTPRules.load(rulesDir: cfg.rules)
        } catch { throw CLIError.failure("\(error)") }
        return Setup(lock: lock, db: db) { progress in
            DailyRun(config: cfg, db: db, rules: rules, ebsRules: ebsRules) { paths in
                try IngestRunner.run(db: db, paths: paths, jobs: cfg.jobs, dpi: 300, tessdata: cfg.tessdata, rules: cfg.rules,
                                     osd: true, deskew: true, extract: true, progress: progress, pageSeconds: cfg.pageSeconds)
            }
        }
    }

    static func describe(_ r: DailyReport) -> String {
        if r.nothingNew {
            return "Nothing new for \(r.date.iso): no new scans or ICE exports, the reconciliation is up to date, nothing waits for delivery."
                + (r.waiting.isEmpty ? "" : "\n  still being written (left for the next run): " + r.waiting.joined(separator: ", "))
        }
        var lines = ["Daily run \(r.runId) for \(r.date.iso): \(r.status.replacingOccurrences(of: "_", with: " "))"]
        let added = r.scans.filter { $0.outcome == "added" || $0.outcome == "partial" }.count
        if !r.scans.isEmpty {
            lines.append("  scans: \(r.scans.count) taken in (\(added) new, \(r.scans.count - added) already stored; \(r.pages) pages read)")
        }
        if !r.ice.isEmpty {
            let rows = r.ice.reduce(0) { $0 + ($1.rows ?? 0) }, refused = r.ice.reduce(0) { $0 + ($1.rejectedRows ?? 0) }
            lines.append("  ICE: \(r.ice.count) export\(r.ice.count == 1 ? "" : "s") (\(rows) rows, \(refused) refused)")
        }
        if let e = r.ebs {
            if let err = e.error { lines.append("  EBS: \(err)") } else {
                lines.append("  EBS: \(e.charges ?? 0) posted charges (\(e.source)\(e.attempts.map { ", \($0) attempt\($0 == 1 ? "" : "s")" } ?? ""))")
            }
        }
        if let c = r.reconcile {
            lines.append("  reconciled\(c.rerun ? " again" : ""): \(c.charges) charges, \(c.billed) billed, \(c.notBilled) not billed; "
                         + "ledger +\(c.ledgerAdded) new, \(c.ledgerUpdated) updated, \(c.ledgerResolved) resolved, \(c.openAfter) open")
        } else if let s = r.reconcileSkipped {
            lines.append("  not reconciled: \(s)")
        }
        for d in r.deliveries { lines.append("  \(d.status): \(d.file) -> \(d.to)") }
        if r.pendingAfter > 0 { lines.append("  \(r.pendingAfter) workbook\(r.pendingAfter == 1 ? "" : "s") wait for the next run") }
        for x in r.rejected { lines.append("  refused: \(x.file): \(x.reason)\(x.movedTo.map { " (moved to \($0))" } ?? "")") }
        for i in r.scans + r.ice { for p in i.problems ?? [] { lines.append("  \(i.file): \(p)") } }
        if !r.waiting.isEmpty { lines.append("  still being written (left for the next run): " + r.waiting.joined(separator: ", ")) }
        for n in r.notifications { lines.append("  notified \(n.channel) \(n.to): \(n.status)") }
        for f in r.failures { lines.append("  problem: \(f)") }
        return lines.joined(separator: "\n")
    }
}
