import Foundation
#if canImport(Glibc)
import Glibc
#endif

/// Originals, kept by content: `<root>/<sha[0..2]>/<sha>.<ext>`. Written atomically (temp file,
/// fsync, rename, fsync of the folder) so a crash never leaves a half-written original under
/// its final name. The folder is owner-only.
public struct OriginalStore: Sendable {
    public let root: String

    public init(root: String) throws {
        self.root = root
        try OriginalStore.makeDirectory(root)
    }

    public func path(sha256: String, ext: String) -> String {
        "\(root)/\(sha256.prefix(2))/\(sha256).\(ext)"
    }

    /// Stores `data` under its hash unless it is already there with the right size. Returns the path.
    @discardableResult
    public func store(_ data: Data, sha256: String, ext: String) throws -> String {
        let final = path(sha256: sha256, ext: ext)
        if let attrs = try? FileManager.default.attributesOfItem(atPath: final),
           (attrs[.size] as? NSNumber)?.intValue == data.count {
            return final
        }
        let dir = (final as NSString).deletingLastPathComponent
        try OriginalStore.makeDirectory(dir)
        let tmp = "\(dir)/.tmp-\(sha256)-\(getpid())-\(UInt32.random(in: 0...UInt32.max))"
        let fd = open(tmp, O_CREAT | O_EXCL | O_WRONLY, 0o600)
        guard fd >= 0 else { throw StoreError.io("cannot create \(tmp): \(String(cString: strerror(errno)))") }
        var ok = false
        defer { if !ok { unlink(tmp) } }
        try data.withUnsafeBytes { (buf: UnsafeRawBufferPointer) in
            var off = 0
            while off < buf.count {
                let n = write(fd, buf.baseAddress! + off, buf.count - off)
                if n < 0 {
                    if errno == EINTR { continue }
                    let code = errno
                    close(fd)
                    if code == ENOSPC || code == EDQUOT { throw StoreError.full(root) }
                    throw StoreError.io("cannot write \(tmp): \(String(cString: strerror(code)))")
                }
                off += n
            }
        }
        guard fsync(fd) == 0 else {
            let code = errno
            close(fd)
            if code == ENOSPC || code == EDQUOT { throw StoreError.full(root) }
            throw StoreError.io("fsync failed for \(tmp)")
        }
        close(fd)
        guard rename(tmp, final) == 0 else { throw StoreError.io("cannot rename into \(final)") }
        ok = true
        let dfd = open(dir, O_RDONLY)
        if dfd >= 0 { fsync(dfd); close(dfd) }
        return final
    }

    static func makeDirectory(_ path: String) throws {
        var isDir: ObjCBool = false
        if FileManager.default.fileExists(atPath: path, isDirectory: &isDir) {
            guard isDir.boolValue else { throw StoreError.io("\(path) exists and is not a folder") }
            return
        }
        try FileManager.default.createDirectory(atPath: path, withIntermediateDirectories: true,
                                                attributes: [.posixPermissions: 0o700])
    }
}

public enum StoreError: Error, CustomStringConvertible {
    case io(String)
    case notFound(String)
    /// The originals folder's disk is full (ENOSPC, EDQUOT): the folder.
    case full(String)
    public var description: String {
        switch self {
        case .io(let s): return s
        case .notFound(let s): return s
        case .full(let folder): return "the disk holding the originals folder \(folder) is full"
        }
    }
}
