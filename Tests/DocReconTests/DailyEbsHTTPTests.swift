import Foundation
import Testing
@testable import DocRecon

/// EBS over HTTP against a real loopback server (Fixtures/daily/http_peer.py): each answer's
/// outcome and how many times it was asked; the webhook on the same server.
@Suite(.serialized) struct DailyEbsHTTPTests {
    static let rules = try! ReconRules.load(dir: TestSupport.repoRoot.appendingPathComponent("Rules").path)
    static let httpRules = try! EbsHTTPRules.load(rulesDir: TestSupport.repoRoot.appendingPathComponent("Rules").path)
    static let date = CalendarDate(iso: "2026-11-20")!

    /// The settings of one case; the pauses between tries are recorded (and kept short).
    static func settings(_ peer: Peers.HTTPPeer, _ path: String, token: URL? = nil, timeout: Double = 5, retries: Int = 3) -> DailyConfig.EbsHTTP {
        var s = DailyConfig.EbsHTTP(url: peer.base + path, token: token.map { .file($0.path) })
        s.timeout = timeout
        s.retries = retries
        s.backoff = 0.05
        return s
    }

    final class Pauses: @unchecked Sendable {
        var seconds: [Double] = []
        func sleep(_ s: Double) { seconds.append(s); Thread.sleep(forTimeInterval: s) }
    }

    @Test func answersAreReadRetriedOrRefusedAsTheyDeserve() throws {
        let dir = try TestSupport.tempDir("ebs-http")
        let peer = try Peers.httpPeer(dir: dir, slowSeconds: 4)
        defer { peer.stop() }
        let token = dir.appendingPathComponent("ebs.token")
        try "tok-123\n".write(to: token, atomically: true, encoding: .utf8)

        // 200: the posted-charges list, with the token as a bearer and the date as the query.
        let p1 = Pauses()
        let ok = EbsClient.fetch(Self.settings(peer, "/ebs/ok", token: token), date: Self.date, rules: Self.httpRules, sleep: p1.sleep)
        let answer = try ok.get()
        #expect(answer.attempts == 1 && p1.seconds.isEmpty)
        let seen = peer.requests("/ebs/ok")
        #expect(seen.count == 1)
        #expect(seen.first?.authorization == "Bearer tok-123")
        #expect(seen.first?.query == "date=2026-11-20")
        let export = try EbsExport.fromJSON(answer.body, name: "EBS answer 2026-11-20", rules: Self.rules)
        #expect(export.statuses.count == 2)
        #expect(export.statuses.values.contains(.rejected("Invalid modifier")))
        #expect(export.rejectedRows == [RowRejection(row: 3, reason: "DOB is empty")])

        // 503 twice, then 200: three asks, growing pauses.
        let p2 = Pauses()
        let flaky = EbsClient.fetch(Self.settings(peer, "/ebs/flaky"), date: Self.date, rules: Self.httpRules, sleep: p2.sleep)
        #expect((try? flaky.get())?.attempts == 3)
        #expect(peer.requests("/ebs/flaky").count == 3)
        #expect(p2.seconds.count == 2)
        #expect((0.025...0.05).contains(p2.seconds[0]) && (0.05...0.1).contains(p2.seconds[1]), "\(p2.seconds)")

        // 503 every time: retries run out, the last reason is EBS's.
        let down = EbsClient.fetch(Self.settings(peer, "/ebs/down", retries: 2), date: Self.date, rules: Self.httpRules, sleep: { _ in })
        #expect(Self.failure(down)?.attempts == 3)
        #expect(Self.failure(down)?.reason == Self.httpRules.statuses[503])
        #expect(peer.requests("/ebs/down").count == 3)

        // 401 with EBS's code: asked once, the code's reason.
        let unauthorized = EbsClient.fetch(Self.settings(peer, "/ebs/unauthorized"), date: Self.date, rules: Self.httpRules, sleep: { _ in })
        #expect(Self.failure(unauthorized)?.attempts == 1)
        #expect(Self.failure(unauthorized)?.status == 401)
        #expect(Self.failure(unauthorized)?.reason == Self.httpRules.errors["TOKEN_EXPIRED"])
        #expect(peer.requests("/ebs/unauthorized").count == 1)
        #expect(Self.failure(unauthorized)?.description.hasPrefix("EBS: the EBS API token has expired") == true)

        // 403 without a code: asked once, the status's reason.
        let forbidden = EbsClient.fetch(Self.settings(peer, "/ebs/forbidden"), date: Self.date, rules: Self.httpRules, sleep: { _ in })
        #expect(Self.failure(forbidden)?.attempts == 1)
        #expect(Self.failure(forbidden)?.reason == Self.httpRules.statuses[403])

        // The connection dropped without an answer: a connection failure, retried.
        let drop = EbsClient.fetch(Self.settings(peer, "/ebs/drop", retries: 2), date: Self.date, rules: Self.httpRules, sleep: { _ in })
        #expect(Self.failure(drop)?.attempts == 3)
        #expect(Self.failure(drop)?.reason.hasPrefix("EBS cannot be reached") == true, "\(Self.failure(drop)?.reason ?? "")")
        #expect(peer.requests("/ebs/drop").count == 3)

        // Slower than the timeout: retried, then the timeout in words.
        let started = Date()
        let slow = EbsClient.fetch(Self.settings(peer, "/ebs/slow", timeout: 0.5, retries: 1), date: Self.date, rules: Self.httpRules, sleep: { _ in })
        #expect(Self.failure(slow)?.attempts == 2)
        #expect(Self.failure(slow)?.reason == "EBS did not answer within 0.5 s")
        #expect(Date().timeIntervalSince(started) < 3.5)
        #expect(peer.requests("/ebs/slow").count == 2)

        // Nothing listens: a connection failure, retried.
        let closed = DailyConfig.EbsHTTP(url: "http://127.0.0.1:\(try Peers.freePort())/ebs", token: nil, timeout: 2, retries: 1, backoff: 0)
        let refused = EbsClient.fetch(closed, date: Self.date, rules: Self.httpRules, sleep: { _ in })
        #expect(Self.failure(refused)?.attempts == 2)
        #expect(Self.failure(refused)?.reason.hasPrefix("EBS cannot be reached") == true)

        // 200 with a body that is not JSON: the answer is refused in words.
        let garbage = try EbsClient.fetch(Self.settings(peer, "/ebs/garbage"), date: Self.date, rules: Self.httpRules, sleep: { _ in }).get()
        #expect(throws: DailyFailure.self) { _ = try EbsExport.fromJSON(garbage.body, name: "x", rules: Self.rules) }

        // A token file that cannot be read: nothing is asked.
        let missing = EbsClient.fetch(Self.settings(peer, "/ebs/ok", token: dir.appendingPathComponent("nope")), date: Self.date, rules: Self.httpRules)
        #expect(Self.failure(missing)?.attempts == 0)
        #expect(peer.requests("/ebs/ok").count == 1)
    }

    static func failure(_ r: Result<EbsAnswer, EbsFetchFailure>) -> EbsFetchFailure? {
        if case .failure(let f) = r { return f }
        return nil
    }

    @Test func backoffDoublesWithJitterAndIsCapped() {
        var s = DailyConfig.EbsHTTP(url: "http://x", token: nil)
        s.backoff = 1
        s.maxBackoff = 10
        for _ in 0..<50 {
            #expect((0.5...1).contains(EbsClient.delay(retry: 1, settings: s)))
            #expect((2...4).contains(EbsClient.delay(retry: 3, settings: s)))
            #expect((5...10).contains(EbsClient.delay(retry: 8, settings: s)))
        }
        let draws = Set((0..<20).map { _ in EbsClient.delay(retry: 2, settings: s) })
        #expect(draws.count > 1, "no jitter")
    }

    @Test func theWebhookReceivesTheRunReportWithoutPatientValues() throws {
        let dir = try TestSupport.tempDir("hook")
        let peer = try Peers.httpPeer(dir: dir)
        defer { peer.stop() }
        let d = try DailyConfigTests.folders()
        var config = try DailyConfigTests.parse("inbox: inbox\nice_inbox: ice\narchive: archive\noutbox: out\n", in: d)
        config.webhook = .init(url: peer.base + "/hook")
        var report = DailyReport(kind: "run", date: Self.date, startedAt: Date())
        report.runId = 7
        report.ice = [.init(file: "Export PRM 11-20-2026 Completed.csv", outcome: "imported", rows: 9, rejectedRows: 1,
                            problems: ["1 row refused (named on stderr, row by row)"])]
        report.rejected = [.init(file: "scan-04.pdf", inbox: "scans", reason: "the PDF is encrypted")]
        report.settleStatus()
        let sent = DailyNotifier.send(report, config: config)
        #expect(sent.map(\.status) == ["sent"])
        let posts = peer.requests("/hook")
        #expect(posts.count == 1)
        #expect(posts.first?.method == "POST" && posts.first?.contentType == "application/json")
        let back = try JSON.decoder().decode(DailyReport.self, from: Data(posts[0].body.utf8))
        #expect(back.runId == 7 && back.status == "rejected" && back.rejected.first?.reason == "the PDF is encrypted")
        #expect(back.ice.first?.rejectedRows == 1)

        // A webhook that refuses: one failed notification, in words.
        config.webhook = .init(url: peer.base + "/nothing-here")
        let refused = DailyNotifier.send(report, config: config)
        #expect(refused.first?.status == "failed" && refused.first?.error == "the webhook answered HTTP 404")
    }
}
