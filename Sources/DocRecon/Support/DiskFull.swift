import Foundation
import GRDB

/// A write that failed because the disk (or the quota) it goes to is full, said as one line
/// (issue 21): which input, which disk, and that nothing of it was kept, instead of SQLite's
/// error with the whole statement it was running. The command then ends with exit code 1: the
/// next inputs would fail the same way.
public struct DiskFull: Error, CustomStringConvertible, Sendable {
    /// The input being stored when the disk filled up (nil: the command's own output).
    public var input: String?
    /// What the full disk holds, as the user knows it: "the database /srv/docrecon.sqlite".
    public var place: String
    /// What was kept of the input, and what to do.
    public var outcome: String

    public init(input: String?, place: String, outcome: String) {
        self.input = input; self.place = place; self.outcome = outcome
    }

    public var description: String {
        Printable.oneLine("\(input.map { "\($0): " } ?? "")the disk holding \(place) is full; \(outcome)")
    }

    /// Whether `error` says that a disk or quota is full: SQLite's SQLITE_FULL (which it reports
    /// for ENOSPC), ENOSPC or EDQUOT from a write, Foundation's out-of-space error.
    public static func isFull(_ error: Error) -> Bool {
        if error is DiskFull { return true }
        if let e = error as? DatabaseError { return e.resultCode == .SQLITE_FULL }
        if let e = error as? StoreError, case .full = e { return true }
        if let e = error as? CocoaError, e.code == .fileWriteOutOfSpace { return true }
        if let e = error as? POSIXError { return e.code == .ENOSPC || e.code == .EDQUOT }
        let ns = error as NSError
        if ns.domain == NSPOSIXErrorDomain, ns.code == Int(ENOSPC) || ns.code == Int(EDQUOT) { return true }
        if ns.domain == NSCocoaErrorDomain, ns.code == CocoaError.fileWriteOutOfSpace.rawValue { return true }
        if let underlying = ns.userInfo[NSUnderlyingErrorKey] as? Error { return isFull(underlying) }
        return false
    }

    /// Whether the disk holding `path` (a file or folder; its nearest existing parent) has less
    /// than `bytes` free: for libraries whose errors do not carry errno (libxlsxwriter's zip).
    public static func hasLittleRoom(at path: String, below bytes: UInt64 = 1 << 20) -> Bool {
        var p = path
        while !p.isEmpty, !FileManager.default.fileExists(atPath: p) { p = (p as NSString).deletingLastPathComponent }
        var s = statvfs()
        guard statvfs(p.isEmpty ? "." : p, &s) == 0 else { return false }
        return UInt64(s.f_bavail) * UInt64(s.f_frsize) < bytes
    }
}
