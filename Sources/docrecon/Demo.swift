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
        let db = try AppDatabase.open(path: dbPath)

        // 1. Intake: every sample sheet stored, OCRed (or read from its text layer).
        print("\n== Intake: \(samplesDir)/sheets")
        let summary = try IngestRunner.run(db: db, paths: ["\(samplesDir)/sheets"], jobs: jobs, dpi: 300, tessdata: nil,
                                           rules: nil, osd: true, deskew: true, progress: true)
        print(IngestRunner.describe(summary))
        let docs = try DocumentQueries.list(db)
        let pages = try docs.reduce(0) { $0 + (try DocumentQueries.pages(db, documentId: $1.id!)).count }
        let textLayer = try db.read { try Int.fetchOne($0, sql: "SELECT count(*) FROM pages WHERE source = 'text-layer'") ?? 0 }
        print("\(docs.count) documents, \(pages) pages (\(textLayer) read from their text layer, \(pages - textLayer) OCRed); "
              + "see them with: docrecon --db \(dbPath) documents")
    }
}
