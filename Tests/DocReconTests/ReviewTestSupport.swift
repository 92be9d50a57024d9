import Foundation
import GRDB
@testable import DocRecon

/// A database with the fixture encounter form (born-digital: read from its text layer, no OCR)
/// ingested and extracted by the real binary once; each test gets its own copy with three values
/// put up for review:
///   1. provider_npi  needs_review, confidence 0.15
///   2. patient_name  ok, confidence 0.25 (below the 0.6 threshold)
///   3. line 1 charge needs_review, confidence 0.35
/// Everything else is ok at 0.99.
enum ReviewFixture {
    static let pdf = TestSupport.fixture("review/encounter-form.pdf")
    static let driver = TestSupport.fixture("review/pty_drive.py")

    private static let base: Result<URL, Error> = Result(catching: { () throws -> URL in
        let dir = try TestSupport.tempDir("review-base")
        let db = dir.appendingPathComponent("base.sqlite")
        let r = try TestSupport.run(["--db", db.path, "ingest", pdf.path])
        guard r.status == 0 else { throw CorrectionError.notFound("fixture ingest failed: \(r.stderr)") }
        return db
    })

    /// A fresh copy of the fixture database (its originals stay with the base copy).
    static func database(_ tag: String = "review") throws -> (path: String, db: AppDatabase) {
        let src = try base.get()
        let dir = try TestSupport.tempDir(tag)
        let path = dir.appendingPathComponent("docrecon.sqlite").path
        let baseDB = try AppDatabase.open(path: src.path)
        try baseDB.writer.writeWithoutTransaction { try $0.execute(sql: "VACUUM INTO ?", arguments: [path]) }
        let db = try AppDatabase.open(path: path)
        try db.write { db in
            try db.execute(sql: """
                UPDATE fields SET confidence = 0.99, status = 'ok', problem = NULL;
                UPDATE lines SET confidence = 0.99, status = 'ok', problem = NULL;
                UPDATE fields SET status = 'needs_review', confidence = 0.15, problem = 'NPI check digit fails' WHERE name = 'provider_npi';
                UPDATE fields SET confidence = 0.25 WHERE name = 'patient_name';
                UPDATE lines SET status = 'needs_review', confidence = 0.35, problem = 'total 190.18 ≠ sum of lines 190.19'
                  WHERE line_index = 0 AND name = 'charge';
                """)
        }
        return (path, db)
    }

    static var documentId: Int64 { 1 }

    static func field(_ db: AppDatabase, _ name: String, line: Int? = nil) throws -> StoredValue {
        try db.read { db in
            if let line {
                return try ExtractionStore.lines(db, documentId: documentId).first { $0.name == name && $0.lineIndex == line }!
            }
            return try ExtractionStore.fields(db, documentId: documentId).first { $0.name == name }!
        }
    }

    /// Runs `docrecon review` in a pseudo-terminal, typing `keys` one prompt at a time.
    static func review(_ dbPath: String, keys: [String], args: [String] = [], env: [String: String] = [:]) throws -> TestSupport.Run {
        let keysJSON = String(decoding: try JSONSerialization.data(withJSONObject: keys), as: UTF8.self)
        var envArgs = ["-u", "TMUX", "-u", "TERM_PROGRAM", "-u", "LC_TERMINAL", "-u", "KITTY_WINDOW_ID", "-u", "DOCRECON_REVIEWER", "TERM=xterm"]
        for (k, v) in env { envArgs.append("\(k)=\(v)") }
        return try TestSupport.runTool("/usr/bin/env", ["python3", driver.path, keysJSON, "--", "/usr/bin/env"] + envArgs
                                        + [TestSupport.binary.path, "--db", dbPath, "review"] + args)
    }
}
