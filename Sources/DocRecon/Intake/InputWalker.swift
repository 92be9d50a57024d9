import Foundation
#if canImport(Glibc)
import Glibc
#endif

/// A file or folder that could not be taken, with the reason in plain words.
public struct Rejection: Error, Codable, Sendable, Equatable {
    public var file: String
    public var page: Int?
    public var row: Int?
    public var reason: String
    public init(file: String, page: Int? = nil, row: Int? = nil, reason: String) {
        self.file = file; self.page = page; self.row = row; self.reason = reason
    }
    /// The one line a clerk reads on stderr: `scan-04.pdf page 3: the page cannot be read`.
    public var line: String {
        var where_ = file
        if let p = page { where_ += " page \(p)" }
        if let r = row { where_ += " row \(r)" }
        return "\(where_): \(reason)"
    }
}

/// Expands files and folders (recursively, following symlinks once) into a sorted list of files.
/// A symlink loop, an unreadable folder or a missing path is a rejection; the walk goes on.
public enum InputWalker {
    /// `skipping`: paths never to take (the database, its journal and its originals folder, when
    /// they sit inside a folder being ingested).
    /// Files found while walking a folder with one of these extensions are companions of scans
    /// (ground truth, exports, notes), not scans: they are skipped, not rejected. A file named on
    /// the command line is always sniffed, whatever its name.
    public static let companionExtensions: Set<String> = ["json", "csv", "xlsx", "xls", "txt", "md", "yaml", "yml", "xml", "log", "sqlite", "db"]

    public static func expand(_ paths: [String], skipping: [String] = []) -> (files: [String], rejected: [Rejection]) {
        var files: [String] = []
        var rejected: [Rejection] = []
        var seenDirs = Set<FileID>()
        var seenFiles = Set<FileID>()
        var skip = Set<FileID>()
        for s in skipping {
            var st = stat()
            if stat(s, &st) == 0 { skip.insert(FileID(dev: UInt64(st.st_dev), ino: UInt64(st.st_ino))) }
        }
        for path in paths {
            walk(path, depth: 0, skip: skip, files: &files, rejected: &rejected, seenDirs: &seenDirs, seenFiles: &seenFiles)
        }
        return (files, rejected)
    }

    struct FileID: Hashable { let dev: UInt64; let ino: UInt64 }

    private static func walk(_ path: String, depth: Int, skip: Set<FileID>, files: inout [String], rejected: inout [Rejection],
                             seenDirs: inout Set<FileID>, seenFiles: inout Set<FileID>) {
        var st = stat()
        guard stat(path, &st) == 0 else {
            let e = errno
            var lst = stat()
            if lstat(path, &lst) == 0, (lst.st_mode & S_IFMT) == S_IFLNK {
                rejected.append(Rejection(file: path, reason: e == ELOOP ? "it is a symlink loop" : "it is a broken symlink"))
            } else {
                rejected.append(Rejection(file: path, reason: e == EACCES ? "it cannot be read (permission denied)" : "it does not exist"))
            }
            return
        }
        let id = FileID(dev: UInt64(st.st_dev), ino: UInt64(st.st_ino))
        if skip.contains(id) { return }
        switch st.st_mode & S_IFMT {
        case S_IFDIR:
            guard !seenDirs.contains(id) else {
                rejected.append(Rejection(file: path, reason: "this folder was already visited (a symlink loop)"))
                return
            }
            guard depth < 64 else { rejected.append(Rejection(file: path, reason: "folders nested too deep")); return }
            seenDirs.insert(id)
            let entries: [String]
            do { entries = try FileManager.default.contentsOfDirectory(atPath: path) } catch {
                rejected.append(Rejection(file: path, reason: "the folder cannot be read (permission denied)"))
                return
            }
            for name in entries.sorted() where !name.hasPrefix(".") {
                walk((path as NSString).appendingPathComponent(name), depth: depth + 1, skip: skip, files: &files,
                     rejected: &rejected, seenDirs: &seenDirs, seenFiles: &seenFiles)
            }
        case S_IFREG:
            if depth > 0, companionExtensions.contains((path as NSString).pathExtension.lowercased()) { return }
            if seenFiles.insert(id).inserted { files.append(path) }
        default:
            rejected.append(Rejection(file: path, reason: "it is not a regular file"))
        }
    }
}
