import Foundation
import Testing
@testable import DocRecon

/// Delivery over SFTP to a real OpenSSH server (started by the test on a free loopback port, with
/// a throwaway host key and user key), and one whole day against real servers: EBS and the webhook
/// over HTTP, the notification through an SMTP sink.
@Suite(.serialized) struct DailyDeliveryTests {
    static let noSSH: Comment = "openssh-server is not installed (make deps installs it): SFTP tests skipped"
    static let noSMTP: Comment = "python3-aiosmtpd is not installed (make deps installs it): SMTP test skipped"

    static func sftpOutbox(_ s: Peers.SSHServer, key: URL? = nil, extra: String = "") -> String {
        """
        outbox:
          url: \(s.url)
          key_file: \(key?.path ?? s.userKey.path)
          known_hosts: \(s.knownHosts.path)
          pending: out/pending
        \(extra)
        """
    }

    static let books = ["General Reconciliation 11-20-2026.xlsx", "Master Missing to 11-20-2026.xlsx"]

    @Test(.enabled(if: Peers.hasSSH, noSSH)) func workbooksArriveOverSFTPUnderTheirNamesOnlyWhenComplete() throws {
        let day = try DailyDay.make("sftp")
        let ssh = try Peers.startSSH(dir: day.dir)
        defer { ssh.stop() }
        // A refused login (a key the server does not know): one line, the workbooks wait in pending/.
        try day.writeConfig(outbox: Self.sftpOutbox(ssh, key: ssh.otherKey), ebs: "ebs:\n  file: ebs")
        let refused = try day.run(["--json"])
        #expect(refused.status == 2)
        let lines = refused.stderr.split(separator: "\n").filter { $0.contains("outbox") }
        #expect(lines.count == 1, "\(refused.stderr)")
        #expect(lines.first?.contains("outbox sftp://127.0.0.1:\(ssh.port)\(ssh.drop.path)/: the server refused the login of '\(ssh.user)'") == true,
                "\(lines)")
        #expect(lines.first?.contains("2 workbooks wait in \(day.out.path)/pending for the next run") == true)
        let r1 = try day.report(refused)
        #expect(r1.deliveries.map(\.status) == ["failed", "failed"] && r1.pendingAfter == 2)
        #expect(Set(try FileManager.default.contentsOfDirectory(atPath: day.out.appendingPathComponent("pending").path)) == Set(Self.books))
        #expect(try FileManager.default.contentsOfDirectory(atPath: ssh.drop.path).isEmpty)

        // The right key: the next run delivers what waited (nothing else is new).
        try day.writeConfig(outbox: Self.sftpOutbox(ssh), ebs: "ebs:\n  file: ebs")
        let r2 = try day.report(try day.run(["--json"]))
        #expect(r2.reconcile == nil && r2.deliveries.map(\.status) == ["delivered", "delivered"] && r2.deliveries.allSatisfy { $0.attempts == 2 })
        #expect(try FileManager.default.contentsOfDirectory(atPath: ssh.drop.path).sorted() == Self.books)
        let sent = day.archive.appendingPathComponent("\(DailyDay.date)/sent")
        for b in Self.books {
            let there = try SHA256.hexOfFile(ssh.drop.appendingPathComponent(b).path), here = try SHA256.hexOfFile(sent.appendingPathComponent(b).path)
            #expect(there == here)
            let mode = try FileManager.default.attributesOfItem(atPath: ssh.drop.appendingPathComponent(b).path)[.posixPermissions] as? Int
            #expect(mode == 0o600)
        }

        // A transfer killed halfway (a bigger day, slowed to 40 KB/s so it can be caught): no partial
        // file under the final name; the next run delivers it whole, replacing the earlier delivery.
        try FileManager.default.copyItem(at: TestSupport.fixture("recon/ice-small.csv"), to: day.ice.appendingPathComponent("second.csv"))
        let generated = try Daily.runTool(TestSupport.devBinary.path, ["generate-ice", day.ice.appendingPathComponent("late.csv").path, "--rows", "1500", "--seed", "3"])
        #expect(generated.status == 0, "\(generated.stderr)")
        try day.writeConfig(outbox: Self.sftpOutbox(ssh, extra: "  max_bytes_per_s: 40000"), ebs: "ebs:\n  file: ebs")
        let before = try SHA256.hexOfFile(ssh.drop.appendingPathComponent(Self.books[0]).path)
        let p = Process()
        p.executableURL = TestSupport.binary
        p.arguments = day.runArgs
        p.standardOutput = FileHandle.nullDevice
        p.standardError = FileHandle.nullDevice
        try p.run()
        let part = ssh.drop.appendingPathComponent(".\(Self.books[0]).part")
        let deadline = Date().addingTimeInterval(20)
        while Date() < deadline, ((try? FileManager.default.attributesOfItem(atPath: part.path)[.size] as? Int) ?? 0) < 20_000 { usleep(20_000) }
        #expect(FileManager.default.fileExists(atPath: part.path), "the upload never started")
        kill(p.processIdentifier, SIGKILL)
        p.waitUntilExit()
        // The final name still holds the earlier, complete delivery; the new one is only a .part.
        #expect(try SHA256.hexOfFile(ssh.drop.appendingPathComponent(Self.books[0]).path) == before)
        #expect(Set(try FileManager.default.contentsOfDirectory(atPath: day.out.appendingPathComponent("pending").path)).isSuperset(of: [Self.books[0]]))
        try day.writeConfig(outbox: Self.sftpOutbox(ssh), ebs: "ebs:\n  file: ebs")
        let r3 = try day.report(try day.run(["--json"]))
        #expect(r3.deliveries.filter { $0.status == "delivered" }.map(\.file).sorted() == Self.books, "\(r3.failures)")
        let now = try SHA256.hexOfFile(ssh.drop.appendingPathComponent(Self.books[0]).path)
        let kept = try SHA256.hexOfFile(sent.appendingPathComponent(Self.books[0]).path)
        #expect(now != before && now == kept)
        #expect(DailyDay.cells(ssh.drop.appendingPathComponent(Self.books[0]).path).hasPrefix("Data,Summary"))
        #expect(try FileManager.default.contentsOfDirectory(atPath: ssh.drop.path).sorted() == Self.books)
    }

    @Test(.enabled(if: Peers.hasAiosmtpd, noSMTP)) func aDayAgainstRealServersIsToldByWebhookAndMail() throws {
        let day = try DailyDay.make("servers")
        let http = try Peers.httpPeer(dir: day.dir)
        defer { http.stop() }
        let smtp = try Peers.startSMTP(dir: day.dir)
        defer { smtp.stop() }
        try "tok-777\n".write(to: day.dir.appendingPathComponent("ebs.token"), atomically: true, encoding: .utf8)
        let ebs = "ebs:\n  url: \(http.base)/ebs/flaky\n  token_file: ebs.token\n  timeout_s: 5\n  retries: 3\n  backoff_s: 0.05"
        let notify = """
            notify:
              webhook: \(http.base)/hook
              email:
                smtp: smtp://127.0.0.1:\(smtp.port)
                from: docrecon@example.org
                to: [billing@example.org]
                tls: none
            """
        try day.writeConfig(outbox: "outbox: out", ebs: ebs, extra: notify)
        let first = try day.run(["--json"])
        #expect(first.status == 2, "\(first.stderr)")
        let r = try day.report(first)
        // EBS: 503 twice, then the answer; stored with the run.
        #expect(r.ebs?.source == "http" && r.ebs?.attempts == 3 && r.ebs?.charges == 2 && r.ebs?.rejectedRows == 1)
        #expect(http.requests("/ebs/flaky").count == 3)
        #expect(http.requests("/ebs/flaky").allSatisfy { $0.authorization == "Bearer tok-777" && $0.query == "date=2026-11-20" })
        #expect(first.stderr.contains("EBS answer 2026-11-20 row 3: DOB is empty"))
        #expect(r.reconcile?.billed == 2)
        #expect(!first.stderr.contains("tok-777") && !first.stdout.contains("tok-777"))
        #expect(r.notifications.map(\.status) == ["sent", "sent"])

        // The webhook got the run's JSON; the mail its summary; neither a patient's name.
        let posts = http.requests("/hook")
        #expect(posts.count == 1)
        let posted = try JSON.decoder().decode(DailyReport.self, from: Data(posts[0].body.utf8))
        #expect(posted.runId == r.runId && posted.rejected.count == 2 && posted.deliveries.count == 2)
        let mails = smtp.messages()
        #expect(mails.count == 1)
        let mail = mails.first ?? ""
        #expect(mail.contains("Subject: DocRecon daily run 2026-11-20:"))
        #expect(mail.contains("scan-03.pdf: the PDF is encrypted"))
        #expect(mail.contains("General Reconciliation 11-20-2026.xlsx -> \(day.out.path): delivered"))
        for name in ["RIVERA", "NOVAK", "LEE, OMAR", "KING", "13-45-2026"] {
            #expect(!mail.contains(name) && !posts[0].body.contains(name), "\(name) in a notification")
        }

        // Again: the stored answer is used (EBS is not asked), nothing is new, nobody is told.
        let again = try day.run()
        #expect(again.status == 0 && again.stdout.hasPrefix("Nothing new"), "\(again.stdout)\(again.stderr)")
        #expect(http.requests("/ebs/flaky").count == 3 && http.requests("/hook").count == 1)
        // --refresh-ebs asks again.
        _ = try day.run(["--refresh-ebs"])
        #expect(http.requests("/ebs/flaky").count == 4)

        // EBS refusing the token: the reconciliation waits, in the words of ebs.yaml.
        let other = try DailyDay.make("servers-401")
        try other.writeConfig(outbox: "outbox: out", ebs: "ebs:\n  url: \(http.base)/ebs/unauthorized\n  token_file: \(day.dir.path)/ebs.token")
        let refused = try other.run(["--json"])
        #expect(refused.status == 2)
        #expect(refused.stderr.contains("EBS: the EBS API token has expired; ask EBS support for a new one and put it in the token file (1 attempt); the reconciliation of 2026-11-20 waits for EBS"),
                "\(refused.stderr)")
        let rr = try other.report(refused)
        #expect(rr.reconcile == nil && rr.scans.count == 2 && rr.deliveries.isEmpty)
        #expect(http.requests("/ebs/unauthorized").count == 1)
    }
}
