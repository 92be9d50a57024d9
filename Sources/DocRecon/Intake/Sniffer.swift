import Foundation

/// Tells what a file is from its first bytes, never its name.
public enum Sniffer {
    public enum Result: Equatable, Sendable {
        case kind(DocumentKind)
        case rejected(String)
    }

    public static func sniff(_ data: Data) -> Result {
        if data.isEmpty { return .rejected("the file is empty") }
        let head = [UInt8](data.prefix(16))
        func starts(_ sig: [UInt8]) -> Bool { head.count >= sig.count && Array(head.prefix(sig.count)) == sig }
        // PDF: the header may follow a little junk; readers accept it within the first 1 KB.
        if let r = data.prefix(1024).range(of: Data("%PDF-".utf8)), r.lowerBound - data.startIndex < 1024 { return .kind(.pdf) }
        if starts([0x89, 0x50, 0x4E, 0x47, 0x0D, 0x0A, 0x1A, 0x0A]) { return .kind(.png) }
        if starts([0xFF, 0xD8, 0xFF]) { return .kind(.jpeg) }
        if starts([0x49, 0x49, 0x2A, 0x00]) || starts([0x4D, 0x4D, 0x00, 0x2A]) { return .kind(.tiff) }
        return .rejected("it is not a PDF, PNG, JPEG or TIFF (\(describe(data)))")
    }

    /// A short plain-words guess at what the bytes are, for the rejection line.
    static func describe(_ data: Data) -> String {
        let text = String(decoding: data.prefix(512), as: UTF8.self).lowercased()
        if text.contains("<html") || text.contains("<!doctype html") { return "it looks like a web page" }
        if data.starts(with: [0x50, 0x4B, 0x03, 0x04]) { return "it looks like a zip or Office file" }
        if data.starts(with: [0x47, 0x49, 0x46, 0x38]) { return "it is a GIF image" }
        let printable = data.prefix(512).filter { ($0 >= 0x20 && $0 < 0x7F) || $0 == 0x0A || $0 == 0x0D || $0 == 0x09 }.count
        if printable * 10 >= min(512, data.count) * 9 { return "it looks like plain text" }
        return "unknown content"
    }

    public static func fileExtension(_ kind: DocumentKind) -> String {
        switch kind { case .pdf: return "pdf"; case .png: return "png"; case .jpeg: return "jpg"; case .tiff: return "tif" }
    }
}
