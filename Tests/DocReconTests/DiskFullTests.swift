import Foundation
import GRDB
import Testing
@testable import DocRecon

/// Issue 21, item 5: a full disk is one clear line (which input, which disk, what was kept) and
/// exit 1, and a re-run after space is freed gives the state of a run that never failed. Each
/// case runs the built binary on a small tmpfs mounted by the test in its own mount namespace
/// (`unshare`: as root, or as a user through a user namespace), so nothing outlives the test.
@Suite("A full disk", .serialized) struct DiskFullTests {
    /// `unshare` arguments that give a private mount namespace where `mount -t tmpfs` works.
    static let unshare: [String]? = {
        for args in [["-m"], ["-rm"]] {
            guard let r = try? TestSupport.runTool("/usr/bin/unshare", args + ["sh", "-c", "d=$(mktemp -d) && mount -t tmpfs -o size=1m tmpfs $d"],
                                                   timeout: 20), r.status == 0 else { continue }
            return args
        }
        return nil
    }()

    struct Scenario {
        var out: URL
        func text(_ name: String) -> String { (try? String(contentsOf: out.appendingPathComponent(name), encoding: .utf8)) ?? "" }
        func status(_ name: String) -> Int32? { Int32(text(name).trimmingCharacters(in: .whitespacesAndNewlines)) }
        func lines(_ name: String) -> [Substring] { text(name).split(separator: "\n") }
    }

    /// Runs `script` (sh) with $MNT a fresh tmpfs of `size`, $B the binary, $OUT a folder that
    /// survives it; `fill N` fills the tmpfs until N bytes are left.
    static func onTmpfs(size: String, _ script: String) throws -> Scenario {
        let dir = try TestSupport.tempDir("full")
        let mnt = dir.appendingPathComponent("mnt"), out = dir.appendingPathComponent("out")
        try FileManager.default.createDirectory(at: mnt, withIntermediateDirectories: true)
        try FileManager.default.createDirectory(at: out, withIntermediateDirectories: true)
        let prelude = """
            set -u
            mount -t tmpfs -o size=\(size) tmpfs "$MNT" || exit 97
            fill() { avail=$(df --output=avail -B1 "$MNT" | tail -1); head -c $((avail - $1)) /dev/zero > "$MNT/filler"; }
            """
        let r = try TestSupport.runTool("/usr/bin/unshare", (unshare ?? ["-m"]) + ["sh", "-c", prelude + "\n" + script],
                                        env: ["MNT": mnt.path, "OUT": out.path, "B": TestSupport.binary.path,
                                              "DOCRECON_TODAY": "2026-11-23"], timeout: 600)
        #expect(r.status != 97, "tmpfs could not be mounted: \(r.stderr)")
        #expect(!r.timedOut)
        return Scenario(out: out)
    }

    /// The same line for every command: one line, names the input when there is one, no SQL.
    static func expectOneClearLine(_ lines: [Substring], startingWith prefix: String, disk: String) {
        #expect(lines.count == 1, "\(lines)")
        let line = String(lines.first ?? "")
        #expect(line.hasPrefix(prefix), "\(line)")
        #expect(line.contains("the disk holding \(disk)") && line.contains("is full"), "\(line)")
        #expect(!line.contains("INSERT") && !line.contains("SQLite error") && !line.contains("while executing"), "\(line)")
        #expect(line.count < 400)
    }

    static func charges(_ db: String) throws -> [String] {
        try DatabaseQueue(path: db).read { db in
            try String.fetchAll(db, sql: """
                SELECT source || '|' || row_number || '|' || patient_name || '|' || date_of_service || '|' || cpt || '|' || units
                FROM charges ORDER BY id
                """)
        }
    }

    static func integrity(_ db: String) throws -> String {
        try DatabaseQueue(path: db).read { try String.fetchOne($0, sql: "PRAGMA integrity_check") ?? "" }
    }

    @Test("import-ice of a 100,000-row export into a full database: one line, exit 1, nothing of it kept; freed, the re-run equals a run that never failed",
          .enabled(if: unshare != nil, "needs a private mount namespace for a tmpfs (unshare)"))
    func importIntoFullDatabase() throws {
        let dir = try TestSupport.tempDir("full-ice")
        let small = dir.appendingPathComponent("Export small.csv").path, big = dir.appendingPathComponent("Export big.csv").path
        #expect(try TestSupport.runDev(["generate-ice", small, "--rows", "50", "--seed", "8"]).status == 0)
        #expect(try TestSupport.runDev(["generate-ice", big, "--rows", "100000", "--seed", "7"]).status == 0)
        let s = try Self.onTmpfs(size: "160m", """
            "$B" --db "$MNT/db.sqlite" import-ice "\(small)" > /dev/null
            fill 1500000
            "$B" --db "$MNT/db.sqlite" import-ice "\(big)" > "$OUT/out1" 2> "$OUT/err1"; echo $? > "$OUT/rc1"
            rm "$MNT/filler"
            "$B" --db "$MNT/db.sqlite" import-ice "\(big)" > "$OUT/out2" 2> "$OUT/err2"; echo $? > "$OUT/rc2"
            cp "$MNT"/db.sqlite* "$OUT"/
            """)
        #expect(s.status("rc1") == 1)
        Self.expectOneClearLine(s.lines("err1"), startingWith: big + ": ", disk: "the database")
        #expect(s.text("err1").contains("nothing of this file was stored"))
        #expect(s.status("rc2") == 0, "\(s.text("err2"))")
        #expect(s.text("out2").contains("100000 rows imported"))
        let failed = s.out.appendingPathComponent("db.sqlite").path
        #expect(try Self.integrity(failed) == "ok")
        // The state of a run that never failed.
        let control = dir.appendingPathComponent("control.sqlite").path
        #expect(try TestSupport.run(["--db", control, "import-ice", small]).status == 0)
        #expect(try TestSupport.run(["--db", control, "import-ice", big]).status == 0)
        let (a, b) = (try Self.charges(failed), try Self.charges(control))
        #expect(a.count == 100_050)
        #expect(a == b)
    }

    @Test("ingest onto a full disk (the originals or the database): one line naming the file, exit 1; freed, the re-run finishes it",
          .enabled(if: unshare != nil, "needs a private mount namespace for a tmpfs (unshare)"),
          arguments: [300_000, 1_200_000])
    func ingestOntoFullDisk(free: Int) throws {
        let dir = try TestSupport.tempDir("full-ingest")
        let inbox = dir.appendingPathComponent("in")
        try FileManager.default.createDirectory(at: inbox, withIntermediateDirectories: true)
        for name in ["born-digital-01-encounter-form.pdf", "born-digital-02-cms1500.pdf", "image-charge-ticket.jpg"] {
            try FileManager.default.copyItem(at: TestSupport.repoRoot.appendingPathComponent("Samples/sheets/\(name)"),
                                             to: inbox.appendingPathComponent(name))
        }
        let s = try Self.onTmpfs(size: "40m", """
            "$B" --db "$MNT/db.sqlite" documents > /dev/null
            fill \(free)
            "$B" --db "$MNT/db.sqlite" ingest --no-extract --jobs 1 "\(inbox.path)" > "$OUT/out1" 2> "$OUT/err1"; echo $? > "$OUT/rc1"
            rm "$MNT/filler"
            "$B" --db "$MNT/db.sqlite" ingest --no-extract --jobs 1 "\(inbox.path)" > "$OUT/out2" 2> "$OUT/err2"; echo $? > "$OUT/rc2"
            cp -r "$MNT"/db.sqlite* "$OUT"/
            """)
        #expect(s.status("rc1") == 1)
        let line = String(s.lines("err1").first ?? "")
        #expect(line.contains(inbox.path + "/"), "names the file: \(line)")
        Self.expectOneClearLine(s.lines("err1"), startingWith: "Error: " + inbox.path + "/", disk: "the ")
        #expect(s.status("rc2") == 0, "\(s.text("err2"))")
        let db = s.out.appendingPathComponent("db.sqlite").path
        #expect(try Self.integrity(db) == "ok")
        let docs = try DatabaseQueue(path: db).read { db in
            try Row.fetchAll(db, sql: "SELECT original_name, status, (SELECT COUNT(*) FROM pages p WHERE p.document_id = d.id) AS pages FROM documents d ORDER BY original_name")
                .map { "\($0["original_name"] as String) \($0["status"] as String) \($0["pages"] as Int)" }
        }
        #expect(docs == ["born-digital-01-encounter-form.pdf ocred 1", "born-digital-02-cms1500.pdf ocred 1", "image-charge-ticket.jpg ocred 1"])
        // Every original the database names is stored whole.
        let stored = try DatabaseQueue(path: db).read { try Row.fetchAll($0, sql: "SELECT stored_path, byte_size FROM documents") }
        for row in stored {
            let relative = (row["stored_path"] as String).components(separatedBy: "/db.sqlite.originals/").last!
            let copy = s.out.appendingPathComponent("db.sqlite.originals/" + relative).path
            let size = (try? FileManager.default.attributesOfItem(atPath: copy)[.size] as? NSNumber)?.intValue
            #expect(size == (row["byte_size"] as Int), "\(relative)")
        }
    }

    @Test("reconcile with a full output folder, then with a full database: one line each, exit 1, no run stored; freed, the run is written",
          .enabled(if: unshare != nil, "needs a private mount namespace for a tmpfs (unshare)"))
    func reconcileOntoFullDisk() throws {
        let dir = try TestSupport.tempDir("full-recon")
        let export = dir.appendingPathComponent("Export.csv").path
        #expect(try TestSupport.runDev(["generate-ice", export, "--rows", "2000", "--seed", "9"]).status == 0)
        let db = dir.appendingPathComponent("db.sqlite").path
        #expect(try TestSupport.run(["--db", db, "import-ice", export]).status == 0)
        let s = try Self.onTmpfs(size: "60m", """
            mkdir "$MNT/out"; fill 20000
            "$B" --db "\(db)" reconcile --date 2026-11-20 --out "$MNT/out" > "$OUT/out1" 2> "$OUT/err1"; echo $? > "$OUT/rc1"
            ls -A "$MNT/out" > "$OUT/left1"
            rm "$MNT/filler"
            cp "\(db)"* "$MNT/"; "$B" --db "$MNT/db.sqlite" documents > /dev/null; fill 100000
            "$B" --db "$MNT/db.sqlite" reconcile --date 2026-11-20 --out "$OUT/out-b" > "$OUT/out2" 2> "$OUT/err2"; echo $? > "$OUT/rc2"
            rm "$MNT/filler"
            "$B" --db "$MNT/db.sqlite" reconcile --date 2026-11-20 --out "$MNT/out" > "$OUT/out3" 2> "$OUT/err3"; echo $? > "$OUT/rc3"
            ls -A "$MNT/out" > "$OUT/left3"
            """)
        #expect(s.status("rc1") == 1)
        // Either workbook may be the one that meets the full disk (they are written side by side).
        Self.expectOneClearLine(s.lines("err1"), startingWith: "Error: ", disk: "the output folder")
        #expect(s.text("err1").contains("11-20-2026.xlsx: the disk holding the output folder"))
        #expect(s.text("left1").isEmpty, "no partial workbook: \(s.text("left1"))")
        #expect(s.status("rc2") == 1)
        Self.expectOneClearLine(s.lines("err2"), startingWith: "Error: ", disk: "the database")
        #expect(s.status("rc3") == 0, "\(s.text("err3"))")
        #expect(s.text("out3").hasPrefix("Reconciled 2026-11-20: 2000 charges"), "not a re-run: the failed ones stored nothing: \(s.text("out3"))")
        #expect(s.lines("left3").sorted() == ["General Reconciliation 11-20-2026.xlsx", "Master Missing to 11-20-2026.xlsx"])
    }

    @Test("report into a full folder: one line, exit 1",
          .enabled(if: unshare != nil, "needs a private mount namespace for a tmpfs (unshare)"))
    func reportOntoFullDisk() throws {
        let dir = try TestSupport.tempDir("full-report")
        let export = dir.appendingPathComponent("Export.csv").path
        #expect(try TestSupport.runDev(["generate-ice", export, "--rows", "200", "--seed", "3"]).status == 0)
        let db = dir.appendingPathComponent("db.sqlite").path
        #expect(try TestSupport.run(["--db", db, "import-ice", export]).status == 0)
        let s = try Self.onTmpfs(size: "2m", """
            fill 4096
            "$B" --db "\(db)" report --out "$MNT/report" > "$OUT/out1" 2> "$OUT/err1"; echo $? > "$OUT/rc1"
            """)
        #expect(s.status("rc1") == 1)
        Self.expectOneClearLine(s.lines("err1"), startingWith: "Error: ", disk: "the report folder")
    }

    @Test("what says a disk is full", arguments: [
        (DatabaseError(resultCode: .SQLITE_FULL) as Error, true),
        (DatabaseError(resultCode: .SQLITE_CONSTRAINT) as Error, false),
        (StoreError.full("/x") as Error, true),
        (StoreError.io("cannot write") as Error, false),
        (CocoaError(.fileWriteOutOfSpace) as Error, true),
        (NSError(domain: NSPOSIXErrorDomain, code: Int(ENOSPC)) as Error, true),
        (NSError(domain: NSCocoaErrorDomain, code: 512, userInfo: [NSUnderlyingErrorKey: NSError(domain: NSPOSIXErrorDomain, code: Int(EDQUOT))]) as Error, true),
        (NSError(domain: NSPOSIXErrorDomain, code: Int(EACCES)) as Error, false),
    ])
    func recognised(error: Error, full: Bool) {
        #expect(DiskFull.isFull(error) == full)
    }
}

extension DiskFullTests {
    @Test("the daily run with its database on a full disk: one line, exit 1; freed, the same run finishes the day",
          .enabled(if: unshare != nil, "needs a private mount namespace for a tmpfs (unshare)"))
    func dailyRunOntoFullDisk() throws {
        let day = try DailyDay.make("full-run")
        let mnt = day.dir.appendingPathComponent("dbdisk")
        try FileManager.default.createDirectory(at: mnt, withIntermediateDirectories: true)
        try day.writeConfig(outbox: "outbox: out", ebs: "ebs:\n  file: ebs")
        var config = try String(contentsOf: day.config, encoding: .utf8)
        config = config.replacingOccurrences(of: "database: db/docrecon.sqlite", with: "database: \(mnt.path)/docrecon.sqlite")
        try config.write(to: day.config, atomically: true, encoding: .utf8)
        let s = try Self.onTmpfs(size: "40m", """
            mount --bind "$MNT" "\(mnt.path)" || exit 97
            "$B" --db "\(mnt.path)/docrecon.sqlite" documents > /dev/null
            fill 200000
            "$B" run --config "\(day.config.path)" --date 2026-11-20 > "$OUT/out1" 2> "$OUT/err1"; echo $? > "$OUT/rc1"
            rm "$MNT/filler"
            "$B" run --config "\(day.config.path)" --date 2026-11-20 > "$OUT/out2" 2> "$OUT/err2"; echo $? > "$OUT/rc2"
            """)
        #expect(s.status("rc1") == 1, "\(s.text("out1")) \(s.text("err1"))")
        let lines = s.lines("err1").filter { $0.contains("is full") }
        #expect(lines.count == 1, "\(s.text("err1"))")
        #expect(!s.text("err1").contains("INSERT") && !s.text("err1").contains("SQLite error"), "\(s.text("err1"))")
        #expect(s.status("rc2") == 2, "the day's own rejected inputs (an encrypted PDF, a note): \(s.text("err2"))")
        let books = (try? FileManager.default.contentsOfDirectory(atPath: day.out.path)) ?? []
        #expect(books.contains { $0.hasPrefix("General Reconciliation") }, "\(books)")
    }
}
