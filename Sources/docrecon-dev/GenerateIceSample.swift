import ArgumentParser
import DocRecon
import Foundation

/// writes the sample ICE export that overlaps the sample paper sheets (Samples/ice/).
struct GenerateIceSample: AsyncParsableCommand {
    static let configuration = CommandConfiguration(
        commandName: "generate-ice-sample", abstract: "Write the ICE export overlapping the sample sheets.")
    @Option(name: .long, help: "Folder of ground-truth JSONs.") var truth = "Samples/sheets"
    @Option(name: .long, help: "Export date yyyy-MM-dd.") var exportDate = "2026-11-20"
    @Argument(help: "Output .csv file.") var out: String

    func run() async throws {
        guard let d = CalendarDate(iso: exportDate) else { throw CLIError.failure("--export-date must be yyyy-MM-dd") }
        let rows = try MatchSamples.iceRows(truthDir: truth, exportDate: d)
        try Data(MatchSamples.csv(rows).utf8).write(to: URL(fileURLWithPath: out))
        printError("\(out): \(rows.count - 1) rows")
    }
}
