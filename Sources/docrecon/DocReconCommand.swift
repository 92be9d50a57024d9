import ArgumentParser
import DocRecon
import Foundation

@main
struct DocReconCommand: AsyncParsableCommand {
    static let configuration = CommandConfiguration(
        commandName: "docrecon",
        abstract: "Scanned charge sheets and ICE exports into one reconciled, auditable record of charges.",
        subcommands: [
            Ingest.self, Documents.self, Words.self, Extract.self, Fields.self, Eval.self, ImportIce.self, Reconcile.self,
            Ledger.self, Demo.self, Sets.self, Review.self, Correct.self, Audit.self, Report.self, Run.self, Watch.self, Runs.self,
        ])

    /// Subcommands that never load a page into Tesseract.
    static let withoutOCR: Set<String> = ["import-ice", "reconcile", "ledger", "runs"]

    static func main() async {
        PhaseClock.mark("main")
        let arguments = GlobalOptions.hoisted(Array(CommandLine.arguments.dropFirst()))
        // Debian's libtesseract uses OpenMP, which reads OMP_THREAD_LIMIT when the library loads
        // (PLATFORM.md: 6x slower without the limit). The library loads at the first OCR call
        // (OCRLibraries), so setting the variable now is enough.
        if !(arguments.first.map(withoutOCR.contains) ?? false) { ProcessEnvironment.ensureOpenMPThreadLimit() }
        // Everything this process creates (database, originals, workbooks, reports) is owner-only.
        ProcessEnvironment.restrictFileCreationToOwner()
        do {
            var command = try parseAsRoot(arguments)
            if var asyncCommand = command as? AsyncParsableCommand {
                try await asyncCommand.run()
            } else {
                try command.run()
            }
            PhaseClock.mark("command returned")
            OCRLibraries.reportIfAsked(limitAtStart: ProcessEnvironment.openMPThreadLimitAtStart)
        } catch {
            OCRLibraries.reportIfAsked(limitAtStart: ProcessEnvironment.openMPThreadLimitAtStart)
            StderrGate.restore()
            // A full disk met anywhere (the database, the originals, a workbook's folder) is one
            // line without SQL, and exit 1 (issue 21); a command that knows the input says it.
            if DiskFull.isFull(error), !(error is DiskFull), !(error is CLIError) {
                exit(withError: CLIError.failure(DiskFull(
                    input: nil, place: "the database \(GlobalOptions.databasePath(in: arguments))",
                    outcome: "what this command was writing was not stored (each write is one transaction); run it again once there is room").description))
            }
            exit(withError: error)
        }
    }
}

/// Options every subcommand shares.
struct GlobalOptions: ParsableArguments {
    @Option(name: .long, help: "The database (default $DOCRECON_DB or ./docrecon.sqlite).")
    var db: String?

    @Flag(name: .long, help: "Log details (may include patient values).")
    var verbose = false

    var databasePath: String {
        db ?? ProcessInfo.processInfo.environment["DOCRECON_DB"] ?? "docrecon.sqlite"
    }

    /// The database a command line names (for messages written after the command has ended).
    static func databasePath(in args: [String]) -> String {
        var given: String?
        for (i, a) in args.enumerated() {
            if a == "--db", i + 1 < args.count { given = args[i + 1] }
            if a.hasPrefix("--db=") { given = String(a.dropFirst(5)) }
        }
        return given ?? ProcessInfo.processInfo.environment["DOCRECON_DB"] ?? "docrecon.sqlite"
    }

    /// `docrecon --db X ingest …` is the documented form: move global options written before the
    /// subcommand to just after it, where the subcommand's `@OptionGroup` parses them.
    static func hoisted(_ args: [String]) -> [String] {
        var globals: [String] = []
        var i = 0
        while i < args.count, args[i].hasPrefix("-") {
            let a = args[i]
            if a == "--db", i + 1 < args.count { globals += [a, args[i + 1]]; i += 2 }
            else if a.hasPrefix("--db=") || a == "--verbose" { globals.append(a); i += 1 }
            else { break }
        }
        guard !globals.isEmpty, i < args.count else { return args }
        return [args[i]] + globals + args[(i + 1)...]
    }

    func open() throws -> AppDatabase {
        Log.configure(verbose: verbose)
        do {
            defer { PhaseClock.mark("database open") }
            return try AppDatabase.open(path: databasePath)
        } catch {
            if DiskFull.isFull(error) {
                throw CLIError.failure(DiskFull(input: nil, place: "the database \(databasePath)",
                                                outcome: "it could not be opened (nothing was changed)").description)
            }
            throw CLIError.failure("cannot open the database \(databasePath): \(error)")
        }
    }
}

/// Errors that end a command with exit code 1 and one line on stderr.
enum CLIError: Error, CustomStringConvertible {
    case failure(String)
    var description: String {
        switch self { case .failure(let s): return Printable.oneLine(s) }
    }
}
