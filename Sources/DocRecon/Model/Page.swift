import Foundation
import GRDB

/// Where a page's words came from.
public enum WordSource: String, Codable, Sendable {
    case ocr
    case textLayer = "text-layer"
}

public enum PageStatus: String, Codable, Sendable {
    case ok
    /// The page could not be rendered or decoded; `error` says why.
    case failed
    /// Nothing is on it (a blank sheet, the back of a form).
    case blank
    /// It has marks but no words could be read from them (a black page, a photo, noise); the
    /// little that was read is kept.
    case unreadable

    /// Whether the page gave words to extract from.
    public var isRead: Bool { self == .ok }
}

/// One page of a document, with how it was read.
public struct Page: Codable, Sendable, Equatable, FetchableRecord, MutablePersistableRecord {
    public static let databaseTableName = "pages"
    public static let databaseColumnDecodingStrategy = DatabaseColumnDecodingStrategy.convertFromSnakeCase
    public static let databaseColumnEncodingStrategy = DatabaseColumnEncodingStrategy.convertToSnakeCase

    public var id: Int64?
    public var documentId: Int64
    /// 1-based page number within the document.
    public var number: Int
    public var width: Int
    public var height: Int
    public var dpi: Int
    public var source: WordSource
    /// Skew found and corrected before OCR, in degrees (positive = counter-clockwise).
    public var skewAngle: Double
    /// Clockwise rotation applied before OCR: 0, 90, 180 or 270.
    public var orientation: Int
    public var ocrSeconds: Double
    public var status: PageStatus
    public var error: String?
    /// How the resolution was found (`ResolutionEstimate.Basis`) and why it was taken.
    public var resolutionBasis: String?
    public var resolutionNote: String?
    /// What was done to the image before it was read (border removed, scaled, deskew undone).
    public var cleanup: String?

    public init(id: Int64? = nil, documentId: Int64, number: Int, width: Int, height: Int, dpi: Int,
                source: WordSource, skewAngle: Double = 0, orientation: Int = 0, ocrSeconds: Double = 0,
                status: PageStatus = .ok, error: String? = nil, resolution: ResolutionEstimate? = nil, cleanup: String? = nil) {
        self.id = id; self.documentId = documentId; self.number = number; self.width = width
        self.height = height; self.dpi = dpi; self.source = source; self.skewAngle = skewAngle
        self.orientation = orientation; self.ocrSeconds = ocrSeconds; self.status = status; self.error = error
        self.resolutionBasis = resolution?.basis.rawValue; self.resolutionNote = resolution?.reason
        self.cleanup = cleanup
    }

    public mutating func didInsert(_ inserted: InsertionSuccess) { id = inserted.rowID }
}
