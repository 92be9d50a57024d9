import Foundation
import GRDB
import Testing
@testable import DocRecon

/// `docrecon run` end to end through the built binary: a day's inputs in, workbooks out,
/// everything archived; the same run again is a no-op; a run killed anywhere and run again ends
/// where an uninterrupted run ends; two runs at once do not both work.
@Suite(.serialized) struct DailyRunTests {
    @Test func aDayInThenTheSameCommandIsANoOp() throws {
        let day = try DailyDay.make("day")
        let first = try day.run(["--json"])
        #expect(first.status == 2, "\(first.stderr)")
        let r = try day.report(first)
        #expect(r.status == "rejected")
        #expect(Set(r.scans.map(\.file)) == ["scan-01.pdf", "ward-b/scan-02.pdf"])
        #expect(r.scans.allSatisfy { $0.outcome == "added" })
        #expect(r.ice.map(\.file) == ["Export PRM 11-20-2026 Completed.csv"] && r.ice.first?.rows == 9 && r.ice.first?.rejectedRows == 1)
        #expect(Set(r.rejected.map { "\($0.file): \($0.reason)" }) == ["scan-03.pdf: the PDF is encrypted",
                                                                       "notes.txt: it is not an ICE export (.xlsx or .csv)"])
        #expect(r.ebs?.source == "file" && r.ebs?.name == "EBS Posted Charges 11-20-2026.xlsx")
        #expect(r.reconcile?.charges == 9 && r.reconcile?.workbooks.count == 2)
        #expect(r.deliveries.map(\.status) == ["delivered", "delivered"])
        // Each refusal is one line on stderr naming the file; the row refusal names its row.
        #expect(first.stderr.contains("scan-03.pdf: the PDF is encrypted"))
        #expect(first.stderr.contains("notes.txt: it is not an ICE export (.xlsx or .csv)"))
        #expect(first.stderr.contains("Export PRM 11-20-2026 Completed.csv row 9: "))

        // Everything moved: inputs to the archive by date, the refused ones with their reason.
        let a = day.archive.appendingPathComponent(DailyDay.date)
        let fm = FileManager.default
        for p in ["scans/scan-01.pdf", "scans/ward-b/scan-02.pdf", "ice/Export PRM 11-20-2026 Completed.csv",
                  "ebs/EBS Posted Charges 11-20-2026.xlsx", "rejected/scans/scan-03.pdf", "rejected/ice/notes.txt",
                  "sent/General Reconciliation 11-20-2026.xlsx", "sent/Master Missing to 11-20-2026.xlsx"] {
            #expect(fm.fileExists(atPath: a.appendingPathComponent(p).path), "\(p)")
        }
        #expect(try String(contentsOf: a.appendingPathComponent("rejected/scans/scan-03.pdf.reason.txt"), encoding: .utf8)
                == "scan-03.pdf: the PDF is encrypted\n")
        let s = try day.state()
        #expect(s.inboxes.isEmpty && s.pending.isEmpty)
        #expect(s.outbox.map { String($0.prefix { $0 != ":" }) } == ["General Reconciliation 11-20-2026.xlsx", "Master Missing to 11-20-2026.xlsx"])
        // Owner-only: the database, the archive, the delivered workbooks.
        for p in [day.db.path, a.path, day.out.appendingPathComponent("General Reconciliation 11-20-2026.xlsx").path] {
            let mode = (try fm.attributesOfItem(atPath: p)[.posixPermissions] as? Int ?? 0) & 0o077
            #expect(mode == 0, "\(p) is readable by others")
        }
        // The Summary of the delivered General Reconciliation is the users' one.
        let summary = try ReconTest.rows(try XlsxReader(path: day.out.appendingPathComponent("General Reconciliation 11-20-2026.xlsx").path,
                                                         sheet: "Summary"))
        #expect(summary.first?.1.map(\.text) == ["Date", "Facility", "Provider", "Type of Care", "PRM Billing", "CPTs"])

        // Again, nothing new: a no-op that says so.
        let again = try day.run()
        #expect(again.status == 0, "\(again.stderr)")
        #expect(again.stdout.hasPrefix("Nothing new for 2026-11-20"), "\(again.stdout)")
        #expect(try day.state() == s)

        // `runs` lists both: what came in, what went out, what was refused.
        let runs = try Daily.run(["--db", day.db.path, "runs", "--json"])
        let listed = try JSON.decoder().decode([DailyRunStore.Listed].self, from: Data(runs.stdout.utf8))
        #expect(listed.map(\.status) == ["nothing_new", "rejected"])
        #expect(listed.last?.report?.deliveries.count == 2)
        let text = try Daily.run(["--db", day.db.path, "runs"])
        #expect(text.stdout.contains("refused: scan-03.pdf: the PDF is encrypted"))
        #expect(text.stdout.contains("out:     General Reconciliation 11-20-2026.xlsx, Master Missing to 11-20-2026.xlsx -> \(day.out.path)"))

        // A new export for the date: taken in, reconciled again, delivered again.
        try "PATIENT NAME,DOB,date of service,Type of Care,Type  of Visit,Facility,Room,Assestment,CPT,Servicing Provider,Export Date\n\"WEST, IDA\",03-03-1941,11-19-2026,LTC,Follow-up,Maple Grove Care Center,106,I10,99309,Avery Quinlan MD,11-20-2026\n"
            .write(to: day.ice.appendingPathComponent("late.csv"), atomically: true, encoding: .utf8)
        let late = try day.report(try day.run(["--json"]))
        #expect(late.ice.map(\.file) == ["late.csv"] && late.reconcile?.rerun == true && late.deliveries.count == 2)
    }

    @Test func killedAnywhereThenRunAgainEndsWhereAnUninterruptedRunEnds() throws {
        let reference = try DailyDay.make("ref")
        let started = Date()
        #expect(try reference.run().status == 2)
        let duration = Date().timeIntervalSince(started)
        let want = try reference.state()
        #expect(!want.ledger.isEmpty && want.outbox.count == 2)

        var killedMidway = 0
        for point in 0..<10 {
            // Ten points spread over the whole run, each at a random moment of its tenth (on a busy
            // machine a run may end sooner than the reference did: that point is tried earlier).
            var at = duration * (Double(point) + Double.random(in: 0..<1)) / 10
            var day = try DailyDay.make("kill\(point)")
            for attempt in 0..<5 {
                if attempt > 0 { day = try DailyDay.make("kill\(point)-\(attempt)"); at /= 2 }
                let p = Process()
                p.executableURL = TestSupport.binary
                p.arguments = day.runArgs
                p.standardOutput = FileHandle.nullDevice
                p.standardError = FileHandle.nullDevice
                try p.run()
                usleep(UInt32(at * 1e6))
                let killed = p.isRunning
                if killed { kill(p.processIdentifier, SIGKILL) }
                p.waitUntilExit()
                if killed { killedMidway += 1; break }
            }
            let after = try day.run()
            #expect([0, 2].contains(after.status), "point \(point) (\(at) s): \(after.stderr)")
            let got = try day.state()
            #expect(got == want, "killed at \(String(format: "%.3f", at)) s of \(String(format: "%.3f", duration)) s:\n\(got)\nwanted:\n\(want)")
        }
        #expect(killedMidway == 10, "only \(killedMidway) of 10 kills landed while the run was working")
    }

    @Test func twoRunsAtOnceDoNotBothWork() throws {
        let day = try DailyDay.make("twice")
        func start(_ extra: [String]) throws -> (Process, Pipe, Pipe) {
            let p = Process(), out = Pipe(), err = Pipe()
            p.executableURL = TestSupport.binary
            p.arguments = day.runArgs + extra
            p.standardOutput = out
            p.standardError = err
            try p.run()
            return (p, out, err)
        }
        // Without --wait the second says who holds the lock and does nothing.
        let a = try start([])
        usleep(100_000)
        let b = try Daily.run(day.runArgs)
        a.0.waitUntilExit()
        #expect(a.0.terminationStatus == 2)
        #expect(b.status == 1)
        #expect(b.stderr.contains("run: another docrecon is working on this database (pid \(a.0.processIdentifier), docrecon run"), "\(b.stderr)")
        let q = try DatabaseQueue(path: day.db.path)
        #expect(try q.read { try Int.fetchOne($0, sql: "SELECT COUNT(*) FROM daily_runs") } == 1)

        // With --wait the second waits for the first, then finds nothing new.
        try FileManager.default.copyItem(at: TestSupport.fixture("recon/ice-small.csv"), to: day.ice.appendingPathComponent("again.csv"))
        let c = try start([])
        usleep(100_000)
        let d = try Daily.run(day.runArgs + ["--wait"])
        c.0.waitUntilExit()
        #expect(c.0.terminationStatus == 0 || c.0.terminationStatus == 2)
        #expect(d.status == 0, "\(d.stderr)")
        #expect(d.stdout.hasPrefix("Nothing new"), "\(d.stdout)")
        let statuses = try q.read { try String.fetchAll($0, sql: "SELECT status FROM daily_runs ORDER BY id") }
        #expect(statuses.count == 3 && statuses.last == "nothing_new", "\(statuses)")
    }
}
