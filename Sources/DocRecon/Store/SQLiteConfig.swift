import CSQLiteConfig

/// SQLite's process-wide settings (see CSQLiteConfig), applied once before the first connection.
enum SQLiteConfig {
    /// The result code of the configuration (0 when applied; SQLITE_MISUSE = 21 when SQLite was
    /// already in use in this process, e.g. by a test that opened a database through GRDB first).
    static let applied: Int32 = docrecon_sqlite_configure()
}
