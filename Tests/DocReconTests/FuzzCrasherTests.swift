import Foundation
import Testing
@testable import DocRecon

/// Every input kept under `Tests/Fuzz/Crashers/` (found by a fuzzer or a mutation campaign) is a
/// regression test: the built binary must answer it within a time limit, with exit 2 and one
/// line naming the file, never hang or crash.
@Suite("Fuzz crashers")
struct FuzzCrasherTests {
    static let folder = TestSupport.repoRoot.appendingPathComponent("Tests/Fuzz/Crashers")
    static var inputs: [String] {
        ((try? FileManager.default.contentsOfDirectory(atPath: folder.path)) ?? [])
            .filter { !$0.hasPrefix(".") && !$0.hasSuffix(".md") }.sorted()
    }

    /// The command that reads a crasher, by its kind (the name's extension).
    static func command(for name: String, db: String) -> [String]? {
        switch (name as NSString).pathExtension.lowercased() {
        case "xlsx", "csv": return ["--db", db, "import-ice", folder.appendingPathComponent(name).path]
        default: return nil
        }
    }

    @Test("the kept crashers are there (three sharedStrings parts that made import-ice spin forever)")
    func keptCrashers() {
        #expect(Self.inputs.filter { $0.hasPrefix("xlsx-sharedstrings-endless-inflate") }.count == 3)
    }

    @Test("each crasher is refused with one line in bounded time", arguments: inputs)
    func crasher(name: String) throws {
        let dir = try TestSupport.tempDir("crasher")
        let args = try #require(Self.command(for: name, db: dir.appendingPathComponent("db.sqlite").path), "no reader for \(name)")
        let r = try TestSupport.run(args, timeout: 60)
        #expect(!r.timedOut, "\(name): still running after 60 s")
        #expect(r.status == 2)
        let lines = r.stderr.split(separator: "\n")
        #expect(lines.count == 1)
        #expect(lines.first?.hasPrefix(name + ": ") == true)
    }
}
