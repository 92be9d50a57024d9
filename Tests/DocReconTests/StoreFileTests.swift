import Foundation
import GRDB
import Testing
@testable import DocRecon

@Suite("Database file")
struct StoreFileTests {
    static let rules = try! ReconRules.load(dir: TestSupport.repoRoot.appendingPathComponent("Rules").path)

    static func pageSize(_ path: String) throws -> Int {
        try DatabaseQueue(path: path).read { try Int.fetchOne($0, sql: "PRAGMA page_size") ?? 0 }
    }

    @Test("a new database gets large pages; it stays in WAL mode and its files are owner-only")
    func newDatabasePageSize() throws {
        let path = try TestSupport.tempDir("pagesize").appendingPathComponent("db.sqlite").path
        let db = try AppDatabase.open(path: path)
        let r = try IceImporter.importFile(TestSupport.fixture("recon/ice-small.csv").path, into: db, rules: Self.rules)
        #expect(r.rows == 9)
        #expect(try db.read { try String.fetchOne($0, sql: "PRAGMA journal_mode") } == "wal")
        #expect(try db.read { try Int.fetchOne($0, sql: "PRAGMA page_size") } == AppDatabase.newPageSize)
        #expect(AppDatabase.newPageSize == 65536)
        let mode = try FileManager.default.attributesOfItem(atPath: path)[.posixPermissions] as? Int
        #expect(mode == 0o600)
    }

    @Test("a database made with SQLite's default pages keeps them, and imports and reads as before")
    func existingDatabaseKeepsItsPageSize() throws {
        let path = try TestSupport.tempDir("pagesize-old").appendingPathComponent("db.sqlite").path
        // An older installation's file: 4 KiB pages, WAL, some tables already there.
        var config = Configuration()
        config.prepareDatabase { try $0.execute(sql: "PRAGMA page_size = 4096") }
        let old = try DatabasePool(path: path, configuration: config)
        try old.write { try $0.execute(sql: "CREATE TABLE before_upgrade (x)") }
        try old.close()
        #expect(try Self.pageSize(path) == 4096)

        let db = try AppDatabase.open(path: path)
        let r = try IceImporter.importFile(TestSupport.fixture("recon/ice-small.csv").path, into: db, rules: Self.rules)
        #expect(r.rows == 9)
        #expect(try db.read { try Charge.fetchCount($0) } == 9)
        #expect(try db.read { try Int.fetchOne($0, sql: "PRAGMA page_size") } == 4096)
    }
}
