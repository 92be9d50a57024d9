import Foundation
#if canImport(Glibc)
import Glibc
#endif

/// One daily run (or watch pass) at a time on a database: an flock(2) on `<db>.lock` beside it.
/// The kernel drops the lock when the process ends, however it ends (kill -9 included), so there is
/// no stale lock to clean up after a crash. The file also says who holds the lock (pid, command,
/// since when), for the line a second run prints; that text is information, never the lock.
public final class RunLock {
    public let path: String
    private var fd: Int32 = -1

    public enum Wait: Sendable { case no, forever, seconds(Double) }

    public struct Busy: Error, CustomStringConvertible {
        public var holder: String
        public var path: String
        public var description: String {
            "another docrecon is working on this database (\(holder.isEmpty ? "holder unknown" : holder)); "
                + "this one did nothing. Try again when it has finished, or add --wait"
        }
    }

    public init(databasePath: String) {
        path = URL(fileURLWithPath: databasePath).standardizedFileURL.path + ".lock"
    }

    /// Takes the lock, waiting as asked; `Busy` when another process holds it.
    public func acquire(wait: Wait, what: String) throws {
        guard fd < 0 else { return }
        try DailyArchive.makeFolders((path as NSString).deletingLastPathComponent)
        let f = open(path, O_RDWR | O_CREAT | O_CLOEXEC, 0o600)
        guard f >= 0 else { throw DailyFailure("cannot open the lock file \(path): \(String(cString: strerror(errno)))") }
        var taken = flock(f, LOCK_EX | LOCK_NB) == 0
        if !taken {
            switch wait {
            case .no: break
            case .forever:
                while !taken {
                    if flock(f, LOCK_EX) == 0 { taken = true } else if errno != EINTR { break }
                }
            case .seconds(let s):
                let deadline = Date().addingTimeInterval(s)
                while !taken && Date() < deadline {
                    usleep(50_000)
                    taken = flock(f, LOCK_EX | LOCK_NB) == 0
                }
            }
        }
        guard taken else {
            let holder = RunLock.holder(fd: f)
            close(f)
            throw Busy(holder: holder, path: path)
        }
        fd = f
        let stamp = ISO8601DateFormatter().string(from: Date())
        let text = "pid \(getpid()), docrecon \(what), since \(stamp)\n"
        _ = ftruncate(fd, 0)
        _ = text.withCString { pwrite(fd, $0, strlen($0), 0) }
    }

    public func release() {
        guard fd >= 0 else { return }
        _ = ftruncate(fd, 0)
        flock(fd, LOCK_UN)
        close(fd)
        fd = -1
    }

    public var isHeld: Bool { fd >= 0 }

    deinit { release() }

    private static func holder(fd: Int32) -> String {
        var buf = [CChar](repeating: 0, count: 256)
        let n = pread(fd, &buf, 255, 0)
        guard n > 0 else { return "" }
        return String(decoding: buf[0..<n].map { UInt8(bitPattern: $0) }, as: UTF8.self).trimmingCharacters(in: .whitespacesAndNewlines)
    }
}
