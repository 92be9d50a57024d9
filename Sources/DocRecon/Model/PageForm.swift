import Foundation
import GRDB

/// How a page registered against a template's printed form (`form:` in the template): where
/// the form lands on the page, how well it fits, and whether it is good enough to read boxes
/// through. Stored with the page; extraction reads boxes through it, the report draws them.
public struct PageForm: Codable, Sendable, Equatable, FetchableRecord, PersistableRecord {
    public static let databaseTableName = "page_forms"
    public static let databaseColumnDecodingStrategy = DatabaseColumnDecodingStrategy.convertFromSnakeCase
    public static let databaseColumnEncodingStrategy = DatabaseColumnEncodingStrategy.convertToSnakeCase

    public var pageId: Int64
    /// The template whose form the page was registered against.
    public var template: String
    /// The mapping from the form frame to the page (JSON in the database).
    public var mapping: FormMapping
    /// Median distance from the form's rulings to the page's ink (registration pixels, 100 dpi).
    public var residual: Double
    /// Share of the form's rulings that lie on ink (0-1).
    public var inliers: Double
    public var skew: Double
    public var accepted: Bool

    public init(pageId: Int64 = 0, template: String, result: RegistrationResult) {
        self.pageId = pageId; self.template = template; mapping = result.mapping
        residual = (result.residual * 100).rounded() / 100; inliers = (result.inliers * 1000).rounded() / 1000
        skew = (result.skew * 100).rounded() / 100; accepted = result.accepted
    }

    public enum Columns {
        public static let pageId = Column("page_id")
    }
}
