import ArgumentParser
import DocRecon
import Foundation

/// The product's SHA-256 on files, with its rate (bench/hash: against sha256sum).
struct Hash: AsyncParsableCommand {
    static let configuration = CommandConfiguration(abstract: "SHA-256 of files as DocRecon computes it, with MB/s (bench/hash).")
    @Argument(help: "Files.") var files: [String]

    func run() async throws {
        for f in files {
            let t0 = Date()
            let hex = try SHA256.hexOfFile(f)
            let seconds = Date().timeIntervalSince(t0)
            let bytes = (try FileManager.default.attributesOfItem(atPath: f)[.size] as? NSNumber)?.doubleValue ?? 0
            print(String(format: "%@  %@  %.3f s  %.0f MB/s", hex, f, seconds, bytes / 1e6 / max(seconds, 1e-9)))
        }
    }
}
