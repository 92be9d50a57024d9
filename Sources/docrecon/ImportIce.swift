import ArgumentParser
import DocRecon
import Foundation

struct ImportIce: AsyncParsableCommand {
    static let configuration = CommandConfiguration(
        commandName: "import-ice",
        abstract: "Import an ICE export (.xlsx or .csv) as charges. The same file again is a no-op.")
    @OptionGroup var global: GlobalOptions
    @Argument(help: "The ICE export.") var file: String
    @Option(name: .long, help: "Sheet name (default: the first sheet).") var sheet: String?
    @Option(name: .long, help: "Rules folder (default: the checkout's Rules/).") var rules: String?
    @Flag(name: .long, help: "Print one JSON document on stdout.") var json = false

    func run() async throws {
        let pending = PendingRules(dir: rules)  // read while the database opens
        let db = try global.open()
        let ruleSet: ReconRules
        do { ruleSet = try pending.value() } catch { throw CLIError.failure("\(error)") }
        PhaseClock.mark("rules loaded")
        let outcome = IceImportReport.run(file: file, sheet: sheet, db: db, rules: ruleSet)
        PhaseClock.mark("command done (database still open)")
        if json { print(outcome.json) } else if let line = outcome.summaryLine { print(line) }
        if outcome.exitCode != 0 { throw ExitCode(outcome.exitCode) }
    }
}

/// Runs one import and turns it into the CLI's lines, JSON and exit code (shared with reconcile --ice).
struct IceImportReport {
    var result: ImportResult?
    var error: String?
    var file: String

    static func run(file: String, sheet: String?, db: AppDatabase, rules: ReconRules) -> IceImportReport {
        let name = (file as NSString).lastPathComponent
        do {
            let r = try IceImporter.importFile(file, sheet: sheet, into: db, rules: rules)
            for rej in r.rejected { printError("\(name) \(rej.line(verbose: Log.isVerbose))") }
            return IceImportReport(result: r, error: nil, file: name)
        } catch {
            // A full disk is no fault of the file: one line, exit 1 (issue 21).
            if DiskFull.isFull(error) {
                let full = db.diskFull(error, input: file, outcome: "nothing of this file was stored; import it again once there is room")
                printError(full.description)
                return IceImportReport(result: nil, error: full.description, file: name, diskFull: true)
            }
            printError("\(error)")
            return IceImportReport(result: nil, error: "\(error)", file: name)
        }
    }

    var diskFull = false
    var exitCode: Int32 { diskFull ? 1 : error != nil || !(result?.rejected.isEmpty ?? true) ? 2 : 0 }

    var summaryLine: String? {
        guard let r = result else { return nil }
        if r.alreadyImported { return "\(r.file): already imported (\(r.rows) rows), nothing changed" }
        return "\(r.file): \(r.rows) rows imported\(r.sheet.map { " from sheet '\($0)'" } ?? "")"
            + (r.rejected.isEmpty ? "" : ", \(r.rejected.count) rejected") + String(format: " in %.2f s", r.seconds)
    }

    struct Failure: Codable { var file: String; var error: String }
    var json: String {
        if let r = result { return (try? JSON.string(r)) ?? "{}" }
        return (try? JSON.string(Failure(file: file, error: error ?? ""))) ?? "{}"
    }
}
