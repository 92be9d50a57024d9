import Foundation
import GRDB

/// The one database of a DocRecon installation: migrations, owner-only files, and the
/// content-addressed folder of originals beside it. Modeled on GRDB's `AppDatabase` pattern.
public final class AppDatabase: Sendable {
    public let writer: any DatabaseWriter
    /// Folder holding the originals, `<db>.originals/` beside the database (nil in memory).
    public let originals: OriginalStore?

    public init(_ writer: any DatabaseWriter, originals: OriginalStore?) throws {
        self.writer = writer
        self.originals = originals
        try AppDatabase.migrator.migrate(writer)
    }

    /// The database file (nil in memory).
    public var path: String? {
        guard let p = (writer as? DatabasePool)?.path ?? (writer as? DatabaseQueue)?.path, p != ":memory:" else { return nil }
        return p
    }

    /// A disk-full error of a write to this database or its originals, as one line about `input`.
    public func diskFull(_ error: Error, input: String?, outcome: String) -> DiskFull {
        if let e = error as? DiskFull { return e }
        if let e = error as? StoreError, case .full(let folder) = e {
            return DiskFull(input: input, place: "the originals folder \(folder)", outcome: outcome)
        }
        return DiskFull(input: input, place: "the database \(path ?? "in memory")", outcome: outcome)
    }

    /// Opens (creating if needed) the database at `path`, owner-only, in WAL mode.
    /// The database file, its journal files and the originals folder: never inputs.
    public var ownFiles: [String] {
        guard let path = (writer as? DatabasePool)?.path ?? (writer as? DatabaseQueue)?.path, path != ":memory:" else { return [] }
        return [path, path + "-wal", path + "-shm", path + "-journal"] + (originals.map { [$0.root] } ?? [])
    }

    /// The page size of a database created by `open(path:)`.
    public static let newPageSize = 65536

    public static func open(path: String) throws -> AppDatabase {
        _ = SQLiteConfig.applied
        let url = URL(fileURLWithPath: path).standardizedFileURL
        let dir = url.deletingLastPathComponent()
        let fm = FileManager.default
        if !fm.fileExists(atPath: dir.path) {
            try fm.createDirectory(at: dir, withIntermediateDirectories: true, attributes: [.posixPermissions: 0o700])
        }
        // Create the file ourselves so it is owner-only from its first byte.
        if !fm.fileExists(atPath: url.path) {
            let fd = Darwin_open(url.path, O_CREAT | O_WRONLY, 0o600)
            if fd >= 0 { close(fd) }
        }
        var config = Configuration()
        config.busyMode = .timeout(30)
        config.prepareDatabase { db in
            // A new database gets 64 KiB pages (SQLite's default is 4 KiB): an import of 100,000
            // rows made 25,500 page writes to the WAL and 18,300 reads back at its checkpoint;
            // with 64 KiB pages 1,800 and 1,200 (import 0.58 -> 0.52 CPU-s, reconcile -0.03).
            // It only applies to an empty file before WAL mode is set (GRDB sets it after this);
            // an existing database keeps its page size (the pragma is then a no-op).
            try db.execute(sql: "PRAGMA page_size = \(AppDatabase.newPageSize)")
            try db.execute(sql: "PRAGMA synchronous = NORMAL")
        }
        let pool = try DatabasePool(path: url.path, configuration: config)
        for suffix in ["", "-wal", "-shm"] {
            chmod(url.path + suffix, 0o600)
        }
        let originals = try OriginalStore(root: url.path + ".originals")
        return try AppDatabase(pool, originals: originals)
    }

    /// An empty in-memory database for unit tests.
    public static func inMemory() throws -> AppDatabase {
        _ = SQLiteConfig.applied
        return try AppDatabase(DatabaseQueue(), originals: nil)
    }

    public func read<T: Sendable>(_ body: @Sendable (Database) throws -> T) throws -> T {
        try writer.read(body)
    }

    public func write<T: Sendable>(_ body: @Sendable (Database) throws -> T) throws -> T {
        try writer.write(body)
    }
}

#if canImport(Glibc)
import Glibc
private func Darwin_open(_ path: String, _ flags: Int32, _ mode: mode_t) -> Int32 { Glibc.open(path, flags, mode) }
#elseif canImport(Darwin)
import Darwin
private func Darwin_open(_ path: String, _ flags: Int32, _ mode: mode_t) -> Int32 { Darwin.open(path, flags, mode) }
#endif
