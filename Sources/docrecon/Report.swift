import ArgumentParser
import DocRecon
import Foundation

struct Report: AsyncParsableCommand {
    static let configuration = CommandConfiguration(
        abstract: "Static HTML report: pages with field boxes drawn over them, sets, ledger, stats (no server, nothing from the network).")
    @OptionGroup var global: GlobalOptions
    @Option(name: .long, help: "Output folder (created owner-only).") var out: String
    @Flag(name: .long, help: "Print one JSON document on stdout.") var json = false

    func run() async throws {
        let db = try global.open()
        let summary: ReportSummary
        do { summary = try ReportBuilder(db: db, out: out).write() } catch where DiskFull.isFull(error) || DiskFull.hasLittleRoom(at: out) {
            throw CLIError.failure(DiskFull(input: nil, place: "the report folder \(out)",
                                            outcome: "the report is incomplete; write it again once there is room").description)
        } catch let e as CocoaError {
            throw CLIError.failure("report: cannot write to \(out): \(e.userInfo[NSLocalizedDescriptionKey] ?? e.localizedDescription)")
        }
        for m in summary.missingImages { printError("no page image: \(m)") }
        if json {
            print(try JSON.string(summary))
        } else {
            print("\(summary.documents) documents, \(summary.pages) pages (\(summary.pageImages) images), \(summary.boxes) field boxes")
            print(URL(fileURLWithPath: summary.index).standardizedFileURL.path)
        }
    }
}
