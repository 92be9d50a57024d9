import ArgumentParser
import DocRecon
import Foundation

/// Runs every stage that works on the shipped Samples/ into ./demo-out. Each capability adds its
/// step here, so the demo always shows everything that works.
struct Demo: AsyncParsableCommand {
    static let configuration = CommandConfiguration(abstract: "Run the whole pipeline on Samples/ into ./demo-out.")
    @Option(name: .long, help: "Where the samples are (default: the checkout's Samples/).") var samples: String?
    @Option(name: .long, help: "Output folder.") var out = "demo-out"
    @Option(name: .long, help: "Parallel OCR workers (default: cores).") var jobs: Int?

    func run() async throws {
        guard let samplesDir = samples ?? ProjectPaths.samples else {
            throw CLIError.failure("cannot find Samples/; pass --samples DIR")
        }
        try FileManager.default.createDirectory(atPath: out, withIntermediateDirectories: true,
                                                attributes: [.posixPermissions: 0o700])
        let dbPath = "\(out)/docrecon.sqlite"
        print("DocRecon demo: \(samplesDir) → \(out)/ (database \(dbPath))")
        // Steps are appended here as capabilities land.
        // Extraction accuracy: ingests (a no-op for what is already in) and compares with the truth.
        let db = try AppDatabase.open(path: dbPath)
        let extractor = try makeExtractor(rules: nil)
        do {
            let report = try Evaluator.run(dir: samplesDir, db: db, extractor: extractor) {
                try ingestForEval($0, db: db, rules: nil, jobs: jobs)
            }
            print(report.summary())
        } catch let e as EvalError {
            print("extraction accuracy: \(e)")
        }
    }
}
