import ArgumentParser
import DocRecon
import Foundation

/// renders synthetic charge sheets (all data invented) with ground-truth JSON beside each.
struct GenerateSamples: AsyncParsableCommand {
    static let configuration = CommandConfiguration(
        commandName: "generate-samples",
        abstract: "Render synthetic charge sheets with ground-truth JSON (for tests and benchmarks).")

    @Option(name: .long, help: "Output folder.") var out: String
    @Option(name: .long, help: "Seed: the same seed gives the same records and truth.") var seed: UInt64 = 1
    @Option(name: .long, help: "Documents per variant (default 6).") var count = 6
    @Option(name: .long, parsing: .upToNextOption,
            help: "Layouts to cycle through: superbill, encounter-form, cms1500, charge-ticket, claim-form (default all).")
    var layout: [String] = []
    @Option(name: .long, parsing: .upToNextOption,
            help: "Only these variants: clean, degraded, born-digital (default: the standard set).")
    var variant: [String] = []
    @Flag(name: .long, help: "Write the OCR test fixtures (words.png, textlayer.pdf) instead.")
    var ocrFixtures = false

    func run() async throws {
        let outURL = URL(fileURLWithPath: out)
        do {
            if ocrFixtures {
                for f in try SampleGenerator.writeOCRFixtures(to: outURL, seed: seed) { print(f) }
                return
            }
            let layouts = try (layout.isEmpty ? SampleLayout.allCases.map(\.rawValue) : layout).map { name in
                guard let l = SampleLayout(rawValue: name) else {
                    throw CLIError.failure("unknown layout '\(name)' (\(SampleLayout.allCases.map(\.rawValue).joined(separator: ", ")))")
                }
                return l
            }
            let variants = try variant.isEmpty ? nil : variant.map { name in
                guard let v = SampleVariant(rawValue: name) else {
                    throw CLIError.failure("unknown variant '\(name)' (clean, degraded, born-digital)")
                }
                return v
            }
            let result = try SampleGenerator.generateSet(out: outURL, seed: seed, count: count, layouts: layouts, variants: variants)
            for f in result.files { print(f) }
        } catch let e as SampleError {
            throw CLIError.failure(e.description)
        }
    }
}
