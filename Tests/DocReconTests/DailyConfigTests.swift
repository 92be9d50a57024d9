import Foundation
import Testing
@testable import DocRecon

/// The daily run's config: checked at load, every problem named with its file, line and reason.
@Suite struct DailyConfigTests {
    /// A folder with the inboxes a config can name (inbox, ice, ebs/), a key and known_hosts.
    static func folders() throws -> URL {
        let d = try TestSupport.tempDir("dcfg")
        for f in ["inbox", "ice", "ebs"] { try FileManager.default.createDirectory(at: d.appendingPathComponent(f), withIntermediateDirectories: true) }
        for f in ["id_key", "known_hosts", "ebs.token"] { try "x\n".write(to: d.appendingPathComponent(f), atomically: true, encoding: .utf8) }
        return d
    }

    static func parse(_ text: String, in dir: URL) throws -> DailyConfig {
        try DailyConfig.parse(text, file: "daily.yaml", baseFolder: dir.path, environment: ["HOME": "/root"])
    }

    static func problem(_ text: String, in dir: URL) -> DailyConfigError? {
        do { _ = try parse(text, in: dir); return nil } catch let e as DailyConfigError { return e } catch { return nil }
    }

    @Test func aFullConfigParses() throws {
        let d = try Self.folders()
        let c = try Self.parse("""
            inbox: inbox
            ice_inbox: ice
            archive: archive
            database: db/docrecon.sqlite
            ebs:
              url: https://ebs.example.internal/api/posted-charges
              token_file: ebs.token
              timeout_s: 20
              retries: 5
            outbox:
              url: sftp://billing@ice.example:2222/drop/in
              key_file: id_key
              known_hosts: known_hosts
            notify:
              webhook: https://hooks.example/docrecon
              email:
                smtp: smtp://mail.example:587
                from: docrecon@example.org
                to: [billing@example.org, lead@example.org]
            reconcile_at: "18:00"
            page_timeout_s: 90
            """, in: d)
        #expect(c.pageSeconds == 90)
        #expect(c.inbox == d.appendingPathComponent("inbox").path)
        #expect(c.archive == d.appendingPathComponent("archive").path)
        #expect(c.database == d.appendingPathComponent("db/docrecon.sqlite").path)
        guard case .http(let h) = c.ebs else { Issue.record("ebs is not http"); return }
        #expect(h.token == .file(d.appendingPathComponent("ebs.token").path))
        #expect(h.retries == 5 && h.timeout == 20)
        guard case .sftp(let s) = c.outbox else { Issue.record("outbox is not sftp"); return }
        #expect(s.user == "billing" && s.host == "ice.example" && s.port == 2222 && s.folder == "/drop/in/")
        #expect(s.shown == "sftp://ice.example:2222/drop/in/")
        #expect(c.pending == c.archive + "/outbox-pending")
        #expect(c.email?.to == ["billing@example.org", "lead@example.org"])
        #expect(c.webhook?.url == "https://hooks.example/docrecon")
        #expect(c.reconcileAt == TimeOfDay("18:00"))
    }

    @Test func eachProblemNamesItsLine() throws {
        let d = try Self.folders()
        let base = "inbox: inbox\nice_inbox: ice\narchive: archive\noutbox: out\n"
        let cases: [(String, Int, String)] = [
            (base + "inbx: x\n", 5, "unknown key 'inbx'"),
            (base + "ebs:\n  url: https://ebs.example/api\n  token: s3cret\n", 7, "'token' does not belong in the config"),
            (base + "reconcile_at: \"6pm\"\n", 5, "reconcile_at must be a time of day HH:mm"),
            ("inbox: nowhere\nice_inbox: ice\narchive: archive\noutbox: out\n", 1, "the folder"),
            (base + "ebs:\n  url: ftp://ebs.example/x\n", 6, "ebs url must be an http:// or https:// address"),
            (base + "ebs:\n  url: https://ebs.example/x\n  retries: 99\n", 7, "ebs retries must be between 0 and 20"),
            (base + "ebs:\n  url: https://ebs.example/x\n  token_file: missing.token\n", 7, "does not exist"),
            ("inbox: inbox\nice_inbox: ice\narchive: inbox/archive\noutbox: out\n", 3, "archive must not be inside inbox"),
            ("inbox: inbox\nice_inbox: ice\narchive: archive\noutbox:\n  url: sftp://ice.example/drop\n  key_file: id_key\n  known_hosts: known_hosts\n",
             5, "outbox url needs the user"),
            ("inbox: inbox\nice_inbox: ice\narchive: archive\noutbox:\n  url: sftp://u@ice.example/drop\n  key_file: id_key\n", 5, "needs known_hosts"),
            ("inbox: inbox\nice_inbox: ice\narchive: archive\noutbox: sftp://u@ice.example/drop\n", 4, "needs its key"),
            (base + "notify:\n  email:\n    smtp: smtp://mail.example\n    from: not-an-address\n    to: a@b.org\n", 8, "must be an e-mail address"),
            (base + "jobs: many\n", 5, "jobs must be a whole number"),
            (base + "inbox: inbox\n", 5, "'inbox' is given twice"),
            ("inbox: inbox\nice_inbox: ice\noutbox: out\n", 1, "'archive' is missing"),
            (base + "notify: [1, 2\n", 6, "not valid YAML"),
        ]
        for (text, line, words) in cases {
            let e = Self.problem(text, in: d)
            #expect(e?.file == "daily.yaml", "\(words)")
            #expect(e?.line == line, "\(words): \(e?.description ?? "no error")")
            #expect(e?.message.contains(words) == true, "\(e?.description ?? "no error") should say \(words)")
        }
    }

    @Test func theCommandPrintsFileLineAndReasonAndDoesNothing() throws {
        let d = try Self.folders()
        let cfg = d.appendingPathComponent("daily.yaml")
        try "inbox: inbox\nice_inbox: ice\narchive: archive\noutbox: out\nebs:\n  url: https://ebs.example/x\n  password: hunter2\n"
            .write(to: cfg, atomically: true, encoding: .utf8)
        let r = try Daily.run(["--db", d.appendingPathComponent("db.sqlite").path, "run", "--config", cfg.path])
        #expect(r.status == 1)
        #expect(r.stderr.contains("\(cfg.path) line 7: 'password' does not belong in the config"), "\(r.stderr)")
        #expect(!r.stderr.contains("hunter2"))
        #expect(!FileManager.default.fileExists(atPath: d.appendingPathComponent("db.sqlite").path))
        #expect(!FileManager.default.fileExists(atPath: d.appendingPathComponent("archive").path))
    }

    @Test func ebsHTTPRulesShipAndAreChecked() throws {
        let shipped = try EbsHTTPRules.load(rulesDir: TestSupport.repoRoot.appendingPathComponent("Rules").path)
        #expect(shipped.errors["TOKEN_EXPIRED"]?.contains("token has expired") == true)
        #expect(shipped.statuses[503] != nil && shipped.statuses[401] != nil)
        #expect(shipped.reason(status: 401, body: Data(#"{"error": {"code": "TOKEN_EXPIRED"}}"#.utf8)) == shipped.errors["TOKEN_EXPIRED"])
        #expect(shipped.reason(status: 418, body: Data()) == "EBS answered with an error (HTTP 418)")
        do {
            _ = try EbsHTTPRules.parse("title: x\nhttp:\n  statuses:\n    200: fine\n", file: "sources/ebs.yaml")
            Issue.record("a 200 status was accepted")
        } catch let e as DailyConfigError {
            #expect(e.description == "sources/ebs.yaml line 4: http statuses: '200' is not an HTTP error status (400-599)")
        }
        // The export's column map in the same file still loads.
        let rules = try ReconRules.load(dir: TestSupport.repoRoot.appendingPathComponent("Rules").path)
        #expect(rules.ebs.columns.contains { $0.field == "rejection_reason" })
    }

    @Test func libcurlIsLoadedAtFirstUseNotLinked() throws {
        // Commands that never transfer start without libcurl and the ~25 libraries it brings.
        let r = try Daily.runTool("/usr/bin/ldd", [TestSupport.binary.path])
        #expect(r.status == 0)
        #expect(!r.stdout.contains("libcurl") && !r.stdout.contains("libssh2"), "\(r.stdout)")
    }

    @Test func timesOfDay() {
        #expect(TimeOfDay("18:00")?.secondsOfDay == 64800)
        #expect(TimeOfDay("07:05:09")?.secondsOfDay == 7 * 3600 + 5 * 60 + 9)
        for bad in ["24:00", "7:00", "18", "18:60", "aa:bb", ""] { #expect(TimeOfDay(bad) == nil, "\(bad)") }
    }
}
