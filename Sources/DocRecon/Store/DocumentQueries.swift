import Foundation
import GRDB

/// What `documents --json` prints for each document.
public struct DocumentSummary: Codable, Sendable {
    public var id: Int64
    public var name: String
    public var sha256: String
    public var kind: String
    public var pages: Int
    public var status: String
    public var type: String?
    public var error: String?

    public init(_ d: Document) {
        id = d.id ?? 0; name = d.originalName; sha256 = d.sha256; kind = d.kind.rawValue
        pages = d.pageCount; status = d.status.rawValue; type = d.docType; error = d.error
    }
}

public enum DocumentQueries {
    public static func list(_ db: AppDatabase) throws -> [Document] {
        try db.read { try Document.order(Column("id")).fetchAll($0) }
    }

    /// Finds a document by id, or by original file name when that name is unique.
    public static func find(_ db: AppDatabase, _ ref: String) throws -> Document {
        try db.read { db in
            if let id = Int64(ref), let d = try Document.fetchOne(db, key: id) { return d }
            let byName = try Document.filter(Column("original_name") == ref).fetchAll(db)
            if byName.count == 1 { return byName[0] }
            if byName.count > 1 {
                throw StoreError.notFound("\(byName.count) documents are named \(ref); use the id (docrecon documents)")
            }
            throw StoreError.notFound("no document \(ref) (docrecon documents lists them)")
        }
    }

    public static func pages(_ db: AppDatabase, documentId: Int64) throws -> [Page] {
        try db.read { try Page.filter(Column("document_id") == documentId).order(Column("number")).fetchAll($0) }
    }

    public static func words(_ db: AppDatabase, pageId: Int64) throws -> [Word] {
        try db.read { try Word.filter(Column("page_id") == pageId).order(Column("id")).fetchAll($0) }
    }
}
