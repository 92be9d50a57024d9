import ArgumentParser
import DocRecon
import Foundation

struct Review: AsyncParsableCommand {
    static let configuration = CommandConfiguration(
        abstract: "Interactive queue of fields that need a person, lowest confidence first.",
        discussion: ReviewSession.help)
    @OptionGroup var global: GlobalOptions
    @Option(name: .long, help: "Only this document (id or file name).") var doc: String?
    @Option(name: .long, help: "Only this field (e.g. provider_npi, charge).") var field: String?
    @Option(name: .long, help: "Queue values read below this confidence (default 0.6) besides those marked needs_review.") var below: Double?
    @Option(name: .long, help: "Who reviews (default $DOCRECON_REVIEWER, else the OS user).") var reviewer: String?
    @Flag(name: .long, help: "Also show the values you skipped before (after the rest).") var skipped = false

    func run() async throws {
        guard isatty(STDIN_FILENO) != 0 else {
            throw CLIError.failure("docrecon review needs a terminal; in scripts use: docrecon correct DOC FIELD VALUE [--line N]")
        }
        if let below, !(0...1).contains(below) { throw CLIError.failure("--below must be between 0 and 1") }
        let db = try global.open()
        var documentId: Int64?
        if let doc {
            do { documentId = try DocumentQueries.find(db, doc).id } catch { throw CLIError.failure("\(error)") }
        }
        let who = AuditTrail.reviewer(explicit: reviewer)
        let filter = ReviewFilter(documentId: documentId, field: field, below: below ?? ReviewFilter.defaultThreshold,
                                  includeSkipped: skipped, reviewer: who)
        let cropDir = try OwnerFiles.temporaryDirectory(prefix: "docrecon-review-")
        // The crops show patient values: they live as long as the session, also one ended by
        // Ctrl-C, a closed terminal or a kill (decisions already made are committed).
        defer { try? FileManager.default.removeItem(atPath: cropDir) }
        var sources: [DispatchSourceSignal] = []
        for sig in [SIGINT, SIGTERM, SIGHUP] {
            signal(sig, SIG_IGN)
            let src = DispatchSource.makeSignalSource(signal: sig, queue: .global())
            src.setEventHandler {
                try? FileManager.default.removeItem(atPath: cropDir)
                FileHandle.standardOutput.write(Data("\nStopped; what you decided is saved. Resume with: docrecon review\n".utf8))
                Foundation.exit(130)
            }
            src.resume()
            sources.append(src)
        }
        defer { sources.forEach { $0.cancel() } }
        let session = ReviewSession(db: db, filter: filter, terminal: StandardTerminal(), inline: InlineImageProtocol.detect(),
                                    cropDirectory: cropDir)
        _ = try session.run()
    }
}
