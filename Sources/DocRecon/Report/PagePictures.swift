import Foundation

/// Pictures of stored pages for people (review crops, report pages), made by `PageImages`
/// (the one place that turns a stored original into the pixels OCR read, so stored boxes land
/// on the same pixels). Keeps the last page: a review session crops one page many times.
public final class PagePictures {
    private let images = PageImages()
    private var last: (documentId: Int64, number: Int, pix: Pix)?

    public init() { _ = Pix.quietDiagnostics }

    public enum Failure: Error, CustomStringConvertible {
        case unavailable(String)
        public var description: String { switch self { case .unavailable(let s): return s } }
    }

    /// The upright, deskewed page.
    public func upright(document d: Document, page: Page) throws -> Pix {
        if let l = last, l.documentId == d.id, l.number == page.number { return l.pix }
        guard FileManager.default.fileExists(atPath: d.storedPath) else {
            throw Failure.unavailable("the original of \(d.originalName) is not in the store")
        }
        let pix = try images.upright(d, page)
        last = (d.id ?? 0, page.number, pix)
        return pix
    }

    /// PNG of the page, scaled down so it is at most `maxWidth` pixels wide (boxes stay in page
    /// pixels: the HTML scales the picture back with an SVG viewBox).
    public func pagePNG(document d: Document, page: Page, maxWidth: Int = 1275) throws -> Data {
        var pix = try upright(document: d, page: page)
        if pix.width > maxWidth, let s = pix.scaled(Double(maxWidth) / Double(pix.width)) { pix = s }
        guard let png = pix.pngData() else { throw Failure.unavailable("cannot encode page \(page.number) as PNG") }
        return png
    }

    /// PNG of the region around a box (the review crop).
    public func cropPNG(document d: Document, page: Page, box: Box, padding: Int = 40) throws -> Data {
        let pix = try upright(document: d, page: page)
        guard let crop = pix.cropped(box, padding: padding), let png = crop.pngData() else {
            throw Failure.unavailable("the box \(box.array) is outside page \(page.number)")
        }
        return png
    }
}

/// Files we write for people (report pages, review crops): owner-only, created fresh, and
/// never through a symbolic link planted at the name.
public enum OwnerFiles {
    public static func write(_ data: Data, to path: String) throws {
        // Replace whatever is there (a link is removed, not followed).
        if (try? FileManager.default.attributesOfItem(atPath: path)) != nil { try FileManager.default.removeItem(atPath: path) }
        let fd = open(path, O_WRONLY | O_CREAT | O_EXCL | O_NOFOLLOW, 0o600)
        guard fd >= 0 else { throw CocoaError(.fileWriteNoPermission, userInfo: [NSFilePathErrorKey: path]) }
        defer { close(fd) }
        fchmod(fd, 0o600)
        try data.withUnsafeBytes { (buf: UnsafeRawBufferPointer) in
            var off = 0
            while off < buf.count {
                let n = Foundation.write(fd, buf.baseAddress! + off, buf.count - off)
                if n < 0 { if errno == EINTR { continue }; throw CocoaError(.fileWriteUnknown, userInfo: [NSFilePathErrorKey: path]) }
                off += n
            }
        }
    }

    public static func write(_ text: String, to path: String) throws { try write(Data(text.utf8), to: path) }

    /// A directory that is ours alone (0700), created if missing; refuses a link or a file there.
    public static func directory(_ path: String) throws {
        var isDir: ObjCBool = false
        if let attrs = try? FileManager.default.attributesOfItem(atPath: path), attrs[.type] as? FileAttributeType == .typeSymbolicLink {
            throw CocoaError(.fileWriteNoPermission, userInfo: [NSFilePathErrorKey: path, NSLocalizedDescriptionKey: "\(path) is a symbolic link"])
        }
        if FileManager.default.fileExists(atPath: path, isDirectory: &isDir) {
            guard isDir.boolValue else {
                throw CocoaError(.fileWriteFileExists, userInfo: [NSFilePathErrorKey: path, NSLocalizedDescriptionKey: "\(path) is a file, not a folder"])
            }
        } else {
            try FileManager.default.createDirectory(atPath: path, withIntermediateDirectories: true, attributes: [.posixPermissions: 0o700])
        }
        chmod(path, 0o700)
    }

    /// A fresh private temporary directory (mkdtemp: 0700, unpredictable name).
    public static func temporaryDirectory(prefix: String) throws -> String {
        var template = Array(((NSTemporaryDirectory() as NSString).appendingPathComponent(prefix) + "XXXXXX").utf8CString)
        guard let p = template.withUnsafeMutableBufferPointer({ mkdtemp($0.baseAddress!) }) else {
            throw CocoaError(.fileWriteUnknown, userInfo: [NSLocalizedDescriptionKey: "cannot create a temporary folder"])
        }
        return String(cString: p)
    }
}
