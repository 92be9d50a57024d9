import Foundation
import GRDB
import Testing
@testable import DocRecon

/// `docrecon watch` through the built binary: a file copied in slowly is taken once, after it
/// settles; the day is reconciled and delivered at reconcile_at; SIGTERM stops it cleanly.
@Suite(.serialized) struct DailyWatchTests {
    @Test func aFileCopiedSlowlyIsTakenOnceAfterItSettles() throws {
        let day = try DailyDay.make("watch", ebs: nil, inputs: false)
        // Reconcile a few seconds from now (local time), so the scheduled pass happens in the test.
        let at = Calendar.current.dateComponents([.hour, .minute, .second], from: Date().addingTimeInterval(12))
        let reconcileAt = String(format: "%02d:%02d:%02d", at.hour!, at.minute!, at.second!)
        try day.writeConfig(outbox: "outbox: out", ebs: nil, extra: "reconcile_at: \"\(reconcileAt)\"\nwatch:\n  rescan_s: 1\n  stop_grace_s: 10")
        // settle_s: 0 in the config means "the smallest settling time" (0.5 s) for watch; make it 2 s.
        var text = try String(contentsOf: day.config, encoding: .utf8)
        text = text.replacingOccurrences(of: "settle_s: 0", with: "settle_s: 2")
        try text.write(to: day.config, atomically: true, encoding: .utf8)

        let p = Process()
        p.executableURL = TestSupport.binary
        p.arguments = ["watch", "--config", day.config.path]
        var env = ProcessInfo.processInfo.environment
        env["DOCRECON_TODAY"] = DailyDay.date
        p.environment = env
        let err = Pipe()
        p.standardError = err
        p.standardOutput = FileHandle.nullDevice
        let stderrText = Daily.Collected()
        try p.run()
        Thread {
            PipeDrain.read(err) { stderrText.append($0) }
            stderrText.finish()
        }.start()
        defer { if p.isRunning { kill(p.processIdentifier, SIGKILL) } }
        usleep(500_000)

        // A PDF written in five chunks, 0.8 s apart: half a PDF is not a PDF, so taking it early
        // would show as a refusal.
        let pdf = try Data(contentsOf: TestSupport.repoRoot.appendingPathComponent("Samples/sheets/born-digital-01-encounter-form.pdf"))
        let target = day.inbox.appendingPathComponent("slow.pdf")
        let fd = open(target.path, O_WRONLY | O_CREAT | O_TRUNC, 0o600)
        #expect(fd >= 0)
        let chunk = (pdf.count + 4) / 5
        for i in 0..<5 {
            let part = pdf.subdata(in: (i * chunk)..<min(pdf.count, (i + 1) * chunk))
            _ = part.withUnsafeBytes { write(fd, $0.baseAddress!, part.count) }
            usleep(800_000)
            #expect(FileManager.default.fileExists(atPath: target.path), "taken while still being written (chunk \(i + 1))")
        }
        close(fd)
        let archived = day.archive.appendingPathComponent("\(DailyDay.date)/scans/slow.pdf")
        var deadline = Date().addingTimeInterval(30)
        while Date() < deadline && !FileManager.default.fileExists(atPath: archived.path) { usleep(100_000) }
        #expect(FileManager.default.fileExists(atPath: archived.path), "not taken after it settled")
        #expect(try SHA256.hexOfFile(archived.path) == SHA256.hexDigest(of: pdf))
        #expect(!FileManager.default.fileExists(atPath: day.archive.appendingPathComponent("\(DailyDay.date)/rejected").path))

        // At reconcile_at: the scheduled pass reconciles and delivers.
        let delivered = day.out.appendingPathComponent("Master Missing to 11-20-2026.xlsx")
        deadline = Date().addingTimeInterval(40)
        while Date() < deadline && !FileManager.default.fileExists(atPath: delivered.path) { usleep(200_000) }
        #expect(FileManager.default.fileExists(atPath: delivered.path), "no delivery at reconcile_at \(reconcileAt)")

        kill(p.processIdentifier, SIGTERM)
        deadline = Date().addingTimeInterval(15)
        while p.isRunning && Date() < deadline { usleep(50_000) }
        #expect(!p.isRunning, "still running 15 s after SIGTERM")
        if p.isRunning { kill(p.processIdentifier, SIGKILL) }
        p.waitUntilExit()
        #expect(p.terminationStatus == 0)
        let readDeadline = Date().addingTimeInterval(5)
        while !stderrText.done && Date() < readDeadline { usleep(10_000) }
        let log = stderrText.text
        #expect(log.contains("watch: stopped (SIGTERM)"), "\(log)")

        // Taken exactly once: one document, one intake pass that took it, one scheduled pass.
        let q = try DatabaseQueue(path: day.db.path)
        #expect(try q.read { try Int.fetchOne($0, sql: "SELECT COUNT(*) FROM documents") } == 1)
        let runs = try Daily.run(["--db", day.db.path, "runs", "--json"])
        let listed = try JSON.decoder().decode([DailyRunStore.Listed].self, from: Data(runs.stdout.utf8))
        #expect(listed.filter { $0.kind == "watch" && !($0.report?.scans.isEmpty ?? true) }.count == 1, "\(runs.stdout)")
        #expect(listed.filter { $0.kind == "scheduled" }.count == 1)
        #expect(listed.first { $0.kind == "scheduled" }?.report?.deliveries.count == 2)
    }
}
