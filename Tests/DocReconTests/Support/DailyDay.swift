import Foundation
import Testing
@testable import DocRecon

/// One billing office's day for the daily-run tests: inboxes filled with synthetic inputs (two
/// born-digital charge sheets, one in a subfolder, an encrypted PDF; the small ICE export and a
/// note that is no export; the EBS export of the date in its folder), a config, a database.
struct DailyDay {
    let dir: URL
    var inbox: URL { dir.appendingPathComponent("inbox") }
    var ice: URL { dir.appendingPathComponent("ice") }
    var ebs: URL { dir.appendingPathComponent("ebs") }
    var archive: URL { dir.appendingPathComponent("archive") }
    var out: URL { dir.appendingPathComponent("out") }
    var db: URL { dir.appendingPathComponent("db/docrecon.sqlite") }
    var config: URL { dir.appendingPathComponent("daily.yaml") }

    static let date = "2026-11-20"

    /// `outbox`, `ebs` and `extra`: YAML lines of the config (defaults: the out folder, the EBS folder).
    static func make(_ tag: String, outbox: String? = nil, ebs: String? = "ebs:\n  file: ebs", extra: String = "",
                     inputs: Bool = true) throws -> DailyDay {
        let d = DailyDay(dir: try TestSupport.tempDir(tag))
        let fm = FileManager.default
        for f in [d.inbox, d.ice, d.ebs, d.inbox.appendingPathComponent("ward-b")] { try fm.createDirectory(at: f, withIntermediateDirectories: true) }
        if inputs {
            let samples = TestSupport.repoRoot.appendingPathComponent("Samples")
            try fm.copyItem(at: samples.appendingPathComponent("sheets/born-digital-01-encounter-form.pdf"), to: d.inbox.appendingPathComponent("scan-01.pdf"))
            try fm.copyItem(at: samples.appendingPathComponent("sheets/born-digital-02-cms1500.pdf"), to: d.inbox.appendingPathComponent("ward-b/scan-02.pdf"))
            try fm.copyItem(at: TestSupport.fixture("intake/encrypted.pdf"), to: d.inbox.appendingPathComponent("scan-03.pdf"))
            try fm.copyItem(at: TestSupport.fixture("recon/ice-small.csv"), to: d.ice.appendingPathComponent("Export PRM 11-20-2026 Completed.csv"))
            try "call the facility\n".write(to: d.ice.appendingPathComponent("notes.txt"), atomically: true, encoding: .utf8)
            try fm.copyItem(at: samples.appendingPathComponent("ice/EBS Posted Charges 11-20-2026.xlsx"),
                            to: d.ebs.appendingPathComponent("EBS Posted Charges 11-20-2026.xlsx"))
        }
        try d.writeConfig(outbox: outbox ?? "outbox: out", ebs: ebs, extra: extra)
        return d
    }

    func writeConfig(outbox: String, ebs: String?, extra: String = "") throws {
        try """
            inbox: inbox
            ice_inbox: ice
            archive: archive
            database: db/docrecon.sqlite
            settle_s: 0
            \(outbox)
            \(ebs ?? "")
            \(extra)

            """.write(to: config, atomically: true, encoding: .utf8)
    }

    var runArgs: [String] { ["run", "--config", config.path, "--date", DailyDay.date] }

    @discardableResult
    func run(_ more: [String] = [], env: [String: String] = [:]) throws -> TestSupport.Run {
        try Daily.run(runArgs + more, env: env)
    }

    func report(_ r: TestSupport.Run) throws -> DailyReport {
        try JSON.decoder().decode(DailyReport.self, from: Data(r.stdout.utf8))
    }

    /// What the day left behind, independent of timings and ids: the ledger, the delivered
    /// workbooks (cell by cell: a workbook's bytes carry its creation time), the archive (inputs by
    /// their bytes, sent workbooks by their cells) and what is still pending.
    struct State: Equatable, CustomStringConvertible {
        var ledger: [String]
        var outbox: [String]
        var archive: [String]
        var pending: [String]
        var inboxes: [String]
        var description: String {
            "ledger \(ledger.count) entries\noutbox:\n  " + outbox.joined(separator: "\n  ") + "\narchive:\n  " + archive.joined(separator: "\n  ")
                + "\npending: \(pending)\ninboxes: \(inboxes)"
        }
    }

    func state(outboxFolder: URL? = nil) throws -> State {
        let l = try Daily.run(["--db", db.path, "ledger", "--status", "all", "--json"])
        let entries = (try JSONSerialization.jsonObject(with: Data(l.stdout.utf8)) as? [[String: Any]]) ?? []
        let ledger = entries.map { e in
            e.keys.sorted().filter { $0 != "days_outstanding" }.map { "\($0)=\(e[$0] ?? "")" }.joined(separator: "|")
        }.sorted()
        func files(_ root: URL) -> [String] {
            DailyArchive.list(root.path).map { f in
                if f.relative.hasSuffix(".xlsx") { return "\(f.relative): \(DailyDay.cells(f.path))" }
                return "\(f.relative): \((try? SHA256.hexOfFile(f.path)) ?? "?")"
            }
        }
        return State(ledger: ledger, outbox: files(outboxFolder ?? out).filter { !$0.hasPrefix("pending/") }, archive: files(archive),
                     pending: DailyArchive.list(out.appendingPathComponent("pending").path).map(\.relative),
                     inboxes: (DailyArchive.list(inbox.path) + DailyArchive.list(ice.path) + DailyArchive.list(ebs.path)).map(\.relative))
    }

    /// Every sheet's cells, typed, as one digest line. A `Set` column is left out: matched sets
    /// are numbered in the order documents finish their extraction, which two readers make vary
    /// from run to run (the sets themselves do not).
    static func cells(_ path: String) -> String {
        guard let names = try? XlsxReader(path: path).sheetNames else { return "unreadable" }
        var text = ""
        for n in names {
            text += "[\(n)]"
            if let reader = try? XlsxReader(path: path, sheet: n), let rows = try? ReconTest.rows(reader) {
                let setColumn = rows.first?.1.firstIndex(of: .text("Set"))
                for (i, cells) in rows {
                    let kept = cells.enumerated().filter { $0.offset != setColumn }.map(\.element)
                    text += "\(i):" + kept.map { ReconTest.typed($0).joined(separator: "=") }.joined(separator: ";") + "\n"
                }
            }
        }
        return "\(names.joined(separator: ",")) \(SHA256.hexDigest(of: Data(text.utf8)).prefix(16))"
    }
}
