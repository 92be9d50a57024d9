import ArgumentParser
import DocRecon
import Foundation

/// the matcher benchmark run by bench/match/run.sh.
struct BenchMatch: AsyncParsableCommand {
    static let configuration = CommandConfiguration(commandName: "bench-match", abstract: "Benchmark the matcher (bench/match).")
    @Option(name: .long, help: "ICE rows.") var ice = 100_000
    @Option(name: .long, help: "Paper charges.") var paper = 20_000
    @Option(name: .long, help: "ICE row counts for the growth table, comma separated.") var growth = "10000,100000,1000000"
    @Option(name: .long, help: "ICE rows for the naive all-pairs comparison.") var naive = 5_000
    @Flag(name: .long, help: "Skip the SQLite round trip.") var noDatabase = false
    @Option(name: .long, help: "Folder holding matching.yaml.") var rules: String?

    func run() async throws {
        var o = MatchBench.Options()
        o.ice = ice; o.paper = paper; o.naiveIce = naive; o.database = !noDatabase
        o.growth = growth.split(separator: ",").compactMap { Int($0.trimmingCharacters(in: .whitespaces)) }
        let r: MatchRules
        do { r = try MatchRules.shipped(rulesDir: rules) } catch { throw CLIError.failure("\(error)") }
        try MatchBench.run(o, rules: r, tempDir: NSTemporaryDirectory()) { FileHandle.standardOutput.write(Data(($0 + "\n").utf8)) }
    }
}
