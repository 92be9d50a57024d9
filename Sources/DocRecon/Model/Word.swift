import Foundation
import GRDB

/// An axis-aligned box in page pixels: x0,y0 top-left, x1,y1 bottom-right (exclusive).
public struct Box: Codable, Sendable, Equatable, Hashable {
    public var x0: Int, y0: Int, x1: Int, y1: Int
    public init(_ x0: Int, _ y0: Int, _ x1: Int, _ y1: Int) { self.x0 = x0; self.y0 = y0; self.x1 = x1; self.y1 = y1 }
    public var width: Int { x1 - x0 }
    public var height: Int { y1 - y0 }
    public var midX: Double { Double(x0 + x1) / 2 }
    public var midY: Double { Double(y0 + y1) / 2 }
    public var array: [Int] { [x0, y0, x1, y1] }
    /// The smallest box holding both.
    public func union(_ o: Box) -> Box { Box(min(x0, o.x0), min(y0, o.y0), max(x1, o.x1), max(y1, o.y1)) }
    /// The smallest box holding all of `boxes` (nil for none).
    public static func union(_ boxes: [Box]) -> Box? { boxes.dropFirst().reduce(boxes.first) { $0?.union($1) } }
}

/// The unit both paths share: an OCR word or a born-digital text-layer word look the same downstream.
public struct Word: Codable, Sendable, Equatable, FetchableRecord, MutablePersistableRecord {
    public static let databaseTableName = "words"
    public static let databaseColumnDecodingStrategy = DatabaseColumnDecodingStrategy.convertFromSnakeCase
    public static let databaseColumnEncodingStrategy = DatabaseColumnEncodingStrategy.convertToSnakeCase

    public var id: Int64?
    public var pageId: Int64
    public var text: String
    public var x0: Int
    public var y0: Int
    public var x1: Int
    public var y1: Int
    /// 0…1 (Tesseract's 0…100 scaled; 1 for text-layer words).
    public var confidence: Double
    public var block: Int
    public var line: Int
    public var wordIndex: Int

    public init(id: Int64? = nil, pageId: Int64, text: String, box: Box, confidence: Double,
                block: Int, line: Int, wordIndex: Int) {
        self.id = id; self.pageId = pageId; self.text = text
        self.x0 = box.x0; self.y0 = box.y0; self.x1 = box.x1; self.y1 = box.y1
        self.confidence = confidence; self.block = block; self.line = line; self.wordIndex = wordIndex
    }

    public var box: Box { Box(x0, y0, x1, y1) }
    public mutating func didInsert(_ inserted: InsertionSuccess) { id = inserted.rowID }
}
