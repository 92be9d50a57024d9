import Foundation
import Testing
@testable import DocRecon

/// Every input kept under `Tests/Fuzz/Crashers/` (found by a fuzzer or a mutation campaign) is a
/// regression test. Files at the top (from the mutation campaign, bench/mutation): the built
/// binary must answer each within a time limit, with exit 2 and one short line naming the file
/// and no cell value, never hang or crash. Files under `Crashers/TARGET/` (from `make fuzz`): the
/// fuzz target TARGET replays each (`docrecon-fuzz run`) without crashing, within a time limit.
@Suite("Fuzz crashers")
struct FuzzCrasherTests {
    static let folder = TestSupport.repoRoot.appendingPathComponent("Tests/Fuzz/Crashers")
    static var inputs: [String] {
        ((try? FileManager.default.contentsOfDirectory(atPath: folder.path)) ?? [])
            .filter { !$0.hasPrefix(".") && !$0.hasSuffix(".md") && !isFolder(folder.appendingPathComponent($0)) }.sorted()
    }
    static func isFolder(_ u: URL) -> Bool { (try? u.resourceValues(forKeys: [.isDirectoryKey]).isDirectory) == true }
    /// (target, file) for every input a fuzz target found.
    static var targetInputs: [String] {
        ((try? FileManager.default.contentsOfDirectory(atPath: folder.path)) ?? []).sorted()
            .filter { isFolder(folder.appendingPathComponent($0)) }
            .flatMap { t in ((try? FileManager.default.contentsOfDirectory(atPath: folder.appendingPathComponent(t).path)) ?? [])
                .filter { !$0.hasPrefix(".") }.sorted().map { "\(t)/\($0)" } }
    }
    static var fuzzBinary: URL { TestSupport.binary.deletingLastPathComponent().appendingPathComponent("docrecon-fuzz") }

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
        // "<file>: why" or "<file> row N: why".
        #expect(lines.first.map { $0.hasPrefix(name + ": ") || $0.hasPrefix(name + " row ") } == true, "\(r.stderr.prefix(300))")
        #expect(lines.allSatisfy { $0.count <= 400 }, "a short line, not the damaged part's bytes: \(r.stderr.prefix(300))")
        #expect(!r.stderr.contains("<a>"), "no cell text at the default level")
    }

    @Test("the mutation campaign's long message: a number cell full of markup is refused in one short line without its text")
    func numberCellMarkup() {
        #expect(Self.inputs.contains("xlsx-number-cell-markup-long-message.xlsx"))
    }

    @Test("each input a fuzz target found replays through that target without a crash", arguments: targetInputs)
    func fuzzFound(input: String) throws {
        let target = String(input.split(separator: "/")[0])
        let r = try TestSupport.runTool(Self.fuzzBinary.path, ["run", target, Self.folder.appendingPathComponent(input).path], timeout: 120)
        #expect(!r.timedOut, "\(input): still running after 120 s")
        #expect(r.status == 0, "\(input): \(r.stderr.prefix(500))")
    }

    @Test("the fuzz targets replay their seed corpora (what make fuzz starts from) without a crash",
          arguments: ["xlsx", "xlsx-part", "csv", "ice", "template", "rules", "values", "config", "pdf", "image"])
    func seedsReplay(target: String) throws {
        let dir = try TestSupport.tempDir("seeds-\(target)")
        let seeded = try TestSupport.runTool(Self.fuzzBinary.path, ["seed", target, dir.path], cwd: TestSupport.repoRoot, timeout: 60)
        #expect(seeded.status == 0, "\(seeded.stderr)")
        let r = try TestSupport.runTool(Self.fuzzBinary.path, ["run", target, dir.path], cwd: TestSupport.repoRoot, timeout: 300)
        #expect(r.status == 0, "\(r.stderr.prefix(500))")
        // Each target reads its seeds for real: most are read, not refused.
        let summary = r.stdout.split(separator: "\n").last.map(String.init) ?? ""
        #expect(summary.hasPrefix("\(target): "), "\(summary)")
        let numbers = summary.split(separator: " ").compactMap { Int($0) }
        #expect(numbers.count >= 2 && numbers[1] > 0, "no seed of \(target) was read: \(summary)")
    }
}
