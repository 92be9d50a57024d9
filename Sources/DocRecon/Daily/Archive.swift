import Foundation
#if canImport(Glibc)
import Glibc
#endif

/// A file found in an inbox.
public struct InboxFile: Sendable, Hashable {
    public var path: String
    /// The path below the inbox (kept in the archive: two days' `scan-01.pdf` do not collide).
    public var relative: String
    public var size: Int64
    /// Modification time in nanoseconds since 1970.
    public var mtime: Int64
}

/// The inboxes and the archive of the daily run. Inputs are listed (any depth, hidden files and
/// folders skipped: uploaders write `.name.part` first), and a processed input is moved to
/// `archive/yyyy-MM-dd/<inbox>/…` only after its content is committed; a refused one goes to
/// `archive/yyyy-MM-dd/rejected/<inbox>/…` with `<name>.reason.txt` beside it. A move is a rename
/// (a copy, fsync and rename across file systems), so a crash leaves the file in one place or the
/// other, never half in both: a file still in the inbox is simply taken again (a no-op for content
/// already stored) and moved then.
public enum DailyArchive {
    public static func list(_ folder: String) -> [InboxFile] {
        var out: [InboxFile] = []
        func walk(_ dir: String, _ rel: String, depth: Int) {
            guard depth < 32, let names = try? FileManager.default.contentsOfDirectory(atPath: dir) else { return }
            for name in names.sorted() where !name.hasPrefix(".") {
                let p = dir + "/" + name
                let r = rel.isEmpty ? name : rel + "/" + name
                var st = stat()
                guard lstat(p, &st) == 0 else { continue }
                switch st.st_mode & S_IFMT {
                case S_IFDIR: walk(p, r, depth: depth + 1)
                case S_IFREG:
                    out.append(InboxFile(path: p, relative: r, size: Int64(st.st_size),
                                         mtime: Int64(st.st_mtim.tv_sec) * 1_000_000_000 + Int64(st.st_mtim.tv_nsec)))
                default: continue  // symlinks, sockets, fifos: never inputs
                }
            }
        }
        walk(folder, "", depth: 0)
        return out
    }

    /// The file as it is now (nil when it is gone).
    public static func current(_ f: InboxFile) -> InboxFile? {
        var st = Glibc.stat()
        guard lstat(f.path, &st) == 0, st.st_mode & S_IFMT == S_IFREG else { return nil }
        var g = f
        g.size = Int64(st.st_size)
        g.mtime = Int64(st.st_mtim.tv_sec) * 1_000_000_000 + Int64(st.st_mtim.tv_nsec)
        return g
    }

    public static func folder(archive: String, date: CalendarDate) -> String { "\(archive)/\(date.iso)" }

    /// Moves a processed input into `destFolder` (keeping its relative path); returns where it went.
    /// The same name already there with the same bytes (a move repeated after a crash): the
    /// inbox copy is removed. Other bytes: the new one gets ` (2)`, ` (3)`, … before its extension.
    @discardableResult
    public static func move(_ file: InboxFile, into destFolder: String) throws -> String {
        let dest = destFolder + "/" + file.relative
        try makeFolders((dest as NSString).deletingLastPathComponent)
        var target = dest
        var n = 2
        while FileManager.default.fileExists(atPath: target) {
            if try sameBytes(file.path, target) {
                guard unlink(file.path) == 0 || errno == ENOENT else { throw ioError("cannot remove \(file.path)") }
                return target
            }
            let ext = (dest as NSString).pathExtension
            let stem = ext.isEmpty ? dest : String(dest.dropLast(ext.count + 1))
            target = ext.isEmpty ? "\(stem) (\(n))" : "\(stem) (\(n)).\(ext)"
            n += 1
        }
        try moveFile(file.path, to: target)
        return target
    }

    /// Moves a refused input to `rejectedFolder` with `<name>.reason.txt` beside it. The reason is
    /// written first, so a crash in between leaves the input in its inbox (refused again, moved then).
    @discardableResult
    public static func reject(_ file: InboxFile, reason: String, into rejectedFolder: String) throws -> String {
        let dest = rejectedFolder + "/" + file.relative
        try makeFolders((dest as NSString).deletingLastPathComponent)
        try writeAtomically(Data("\(file.relative): \(reason)\n".utf8), to: dest + ".reason.txt")
        var target = dest
        var n = 2
        while FileManager.default.fileExists(atPath: target), !(try sameBytes(file.path, target)) {
            let ext = (dest as NSString).pathExtension
            let stem = ext.isEmpty ? dest : String(dest.dropLast(ext.count + 1))
            target = ext.isEmpty ? "\(stem) (\(n))" : "\(stem) (\(n)).\(ext)"
            n += 1
        }
        if target != dest { try writeAtomically(Data("\(file.relative): \(reason)\n".utf8), to: target + ".reason.txt") }
        if FileManager.default.fileExists(atPath: target) {
            guard unlink(file.path) == 0 || errno == ENOENT else { throw ioError("cannot remove \(file.path)") }
        } else {
            try moveFile(file.path, to: target)
        }
        return target
    }

    // MARK: File system steps

    public static func makeFolders(_ path: String) throws {
        var isDir: ObjCBool = false
        if FileManager.default.fileExists(atPath: path, isDirectory: &isDir), isDir.boolValue { return }
        do {
            try FileManager.default.createDirectory(atPath: path, withIntermediateDirectories: true, attributes: [.posixPermissions: 0o700])
        } catch {
            throw DailyFailure("cannot create the folder \(path)")
        }
    }

    /// rename(2); across file systems a copy (fsynced) renamed into place, then the source removed.
    public static func moveFile(_ from: String, to: String) throws {
        if rename(from, to) == 0 { syncFolder((to as NSString).deletingLastPathComponent); return }
        guard errno == EXDEV else { throw ioError("cannot move \(from) to \(to)") }
        let tmp = ((to as NSString).deletingLastPathComponent) + "/.tmp-\(getpid())-" + (to as NSString).lastPathComponent
        try copyFile(from, to: tmp)
        guard rename(tmp, to) == 0 else { unlink(tmp); throw ioError("cannot move \(from) to \(to)") }
        syncFolder((to as NSString).deletingLastPathComponent)
        guard unlink(from) == 0 || errno == ENOENT else { throw ioError("cannot remove \(from)") }
    }

    /// Copies with fsync (owner-only: the process umask is 077).
    public static func copyFile(_ from: String, to: String) throws {
        let src = open(from, O_RDONLY | O_CLOEXEC)
        guard src >= 0 else { throw ioError("cannot read \(from)") }
        defer { close(src) }
        let dst = open(to, O_WRONLY | O_CREAT | O_TRUNC | O_CLOEXEC, 0o600)
        guard dst >= 0 else { throw ioError("cannot write \(to)") }
        var buf = [UInt8](repeating: 0, count: 1 << 16)
        while true {
            let n = read(src, &buf, buf.count)
            if n < 0 && errno == EINTR { continue }
            if n < 0 { close(dst); unlink(to); throw ioError("cannot read \(from)") }
            if n == 0 { break }
            var off = 0
            while off < n {
                let w = buf.withUnsafeBytes { write(dst, $0.baseAddress! + off, n - off) }
                if w < 0 && errno == EINTR { continue }
                if w <= 0 { close(dst); unlink(to); throw ioError("cannot write \(to)") }
                off += w
            }
        }
        guard fsync(dst) == 0 else { close(dst); unlink(to); throw ioError("cannot write \(to)") }
        close(dst)
    }

    /// Temp file, fsync, rename, fsync of the folder.
    public static func writeAtomically(_ data: Data, to path: String) throws {
        let tmp = ((path as NSString).deletingLastPathComponent) + "/.tmp-\(getpid())-" + (path as NSString).lastPathComponent
        let fd = open(tmp, O_WRONLY | O_CREAT | O_TRUNC | O_CLOEXEC, 0o600)
        guard fd >= 0 else { throw ioError("cannot write \(path)") }
        let ok = data.withUnsafeBytes { raw -> Bool in
            var off = 0
            while off < raw.count {
                let w = write(fd, raw.baseAddress! + off, raw.count - off)
                if w < 0 && errno == EINTR { continue }
                if w <= 0 { return false }
                off += w
            }
            return fsync(fd) == 0
        }
        close(fd)
        guard ok, rename(tmp, path) == 0 else { unlink(tmp); throw ioError("cannot write \(path)") }
        syncFolder((path as NSString).deletingLastPathComponent)
    }

    static func syncFolder(_ path: String) {
        let fd = open(path, O_RDONLY | O_DIRECTORY | O_CLOEXEC)
        if fd >= 0 { fsync(fd); close(fd) }
    }

    static func sameBytes(_ a: String, _ b: String) throws -> Bool {
        var sa = Glibc.stat(), sb = Glibc.stat()
        guard lstat(a, &sa) == 0, lstat(b, &sb) == 0 else { return false }
        guard sa.st_size == sb.st_size else { return false }
        return (try? SHA256.hexOfFile(a)) == (try? SHA256.hexOfFile(b))
    }

    static func ioError(_ what: String) -> DailyFailure {
        DailyFailure("\(what) (\(String(cString: strerror(errno))))")
    }
}
