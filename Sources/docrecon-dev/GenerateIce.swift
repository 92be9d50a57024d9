import ArgumentParser
import DocRecon
import Foundation

/// writes a synthetic ICE export (no real data) for the benchmark, samples and tests.
struct GenerateIce: AsyncParsableCommand {
    static let configuration = CommandConfiguration(
        commandName: "generate-ice", abstract: "Write a synthetic ICE export (.xlsx or .csv).")
    @Argument(help: "Output file (.xlsx or .csv).") var file: String
    @Option(name: .long, help: "Data rows.") var rows = 1000
    @Option(name: .long, help: "Random seed.") var seed: UInt64 = 42
    @Option(name: .long, help: "Export date yyyy-MM-dd.") var exportDate = "2026-11-20"
    @Option(name: .long, help: "Every Nth row gets a Date of Service that is not a date (0: none).") var badDateEvery = 0
    @Option(name: .long, help: "Also write a matching EBS posted-charges export here (.xlsx).") var ebs: String?
    @Option(name: .long, help: "Rules folder (default: the checkout's Rules/).") var rules: String?

    func run() async throws {
        guard let d = CalendarDate(iso: exportDate) else { throw CLIError.failure("--export-date must be yyyy-MM-dd") }
        var g = IceGenerator(rows: rows, seed: seed, exportDate: d)
        g.badDateEvery = badDateEvery
        try g.write(path: file)
        if let ebs { try g.writeEbs(path: ebs, rules: try ReconRules.load(dir: rules)) }
    }
}
