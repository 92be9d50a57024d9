import Foundation
import GRDB

/// What the bytes of an input are, sniffed from magic bytes (never the extension).
public enum DocumentKind: String, Codable, Sendable, CaseIterable {
    case pdf, png, jpeg, tiff
}

/// Where a document is in the pipeline.
public enum DocumentStatus: String, Codable, Sendable {
    /// Original stored, pages not all OCRed yet (a crash leaves this; a re-run finishes it).
    case stored
    /// Every page has its words.
    case ocred
    /// Some pages could not be read; the good ones have their words.
    case partial
    /// Fields were extracted.
    case extracted
    /// Nothing could be read from it.
    case failed
    /// Every page is blank.
    case blank
    /// No page gave words (some blank, at least one with marks nothing could be read from).
    case unreadable

    /// Decided without giving anything to extract: a re-run names it again.
    public var isRejected: Bool { self == .failed || self == .blank || self == .unreadable }
}

/// One input file, stored once by content hash.
public struct Document: Codable, Sendable, Equatable, FetchableRecord, MutablePersistableRecord {
    public static let databaseTableName = "documents"
    public static let databaseColumnDecodingStrategy = DatabaseColumnDecodingStrategy.convertFromSnakeCase
    public static let databaseColumnEncodingStrategy = DatabaseColumnEncodingStrategy.convertToSnakeCase

    public var id: Int64?
    public var sha256: String
    public var originalName: String
    public var originalPath: String
    public var storedPath: String
    public var kind: DocumentKind
    public var byteSize: Int64
    public var pageCount: Int
    public var status: DocumentStatus
    public var error: String?
    /// What the document is, once extraction has classified it (e.g. `charge_sheet`, `cms1500`).
    public var docType: String?
    public var createdAt: Date
    public var updatedAt: Date

    public init(id: Int64? = nil, sha256: String, originalName: String, originalPath: String,
                storedPath: String, kind: DocumentKind, byteSize: Int64, pageCount: Int,
                status: DocumentStatus, error: String? = nil, docType: String? = nil,
                createdAt: Date = Date(), updatedAt: Date = Date()) {
        self.id = id; self.sha256 = sha256; self.originalName = originalName
        self.originalPath = originalPath; self.storedPath = storedPath; self.kind = kind
        self.byteSize = byteSize; self.pageCount = pageCount; self.status = status
        self.error = error; self.docType = docType; self.createdAt = createdAt; self.updatedAt = updatedAt
    }

    public mutating func didInsert(_ inserted: InsertionSuccess) { id = inserted.rowID }
}
