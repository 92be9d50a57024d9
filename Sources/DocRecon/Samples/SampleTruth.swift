import Foundation

/// The ground truth written beside every generated document (`x.pdf` → `x.json`), in the
/// canonical value forms of DESIGN.md. Fields a layout does not print are absent.
public struct SampleTruth: Codable, Sendable, Equatable {
    public struct DocumentInfo: Codable, Sendable, Equatable {
        public var name: String
        /// `charge_sheet` or `cms1500`.
        public var type: String
        /// `clean`, `degraded` or `born-digital`.
        public var variant: String
        public var layout: String
        /// Where the data came from: always synthetic.
        public var synthetic: Bool = true
        public var seed: UInt64?
    }
    public struct Fields: Codable, Sendable, Equatable {
        public var patientName: String?
        public var patientDob: String?
        public var accountNumber: String?
        public var dateOfService: String?
        public var facility: String?
        public var placeOfService: String?
        public var renderingProvider: String?
        public var providerNpi: String?
        public var diagnosisCodes: [String]?
        public var totalCharge: String?
    }
    public struct Line: Codable, Sendable, Equatable {
        public var code: String
        public var modifiers: [String]
        public var units: Int
        public var charge: String
        public var dateOfService: String?
        public var dxPointer: String?
    }
    public struct Record: Codable, Sendable, Equatable {
        public var pages: [Int]
        public var fields: Fields
        public var lines: [Line]
    }
    public struct PageWords: Codable, Sendable, Equatable {
        public var page: Int
        /// The resolution the boxes are measured at (the scan's dpi; 300 for born-digital pages).
        public var dpi: Int
        public var width: Int
        public var height: Int
        /// Rotation applied to the scan (degraded pages only): degrees, positive = clockwise as
        /// seen on the image, about the page centre. Words then also carry `upright` boxes.
        public var rotation: Double?
        public var words: [SampleWord]
    }

    public var document: DocumentInfo
    public var records: [Record]
    public var pages: [PageWords]

    public func encoded() throws -> String { try JSON.string(self) }
    public static func decode(_ data: Data) throws -> SampleTruth {
        try JSON.decoder().decode(SampleTruth.self, from: data)
    }
}
