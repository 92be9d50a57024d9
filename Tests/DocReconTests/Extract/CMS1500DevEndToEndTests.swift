import Foundation
import GRDB
import Testing
@testable import DocRecon

/// Issue 13: the built binary on two real 1500 forms that DocRecon did not draw (a pristine one
/// and a fax; Fixtures/cms1500-dev, from the third-party dev set): registered against the real
/// form, its red ink dropped out, read box by box. Every value given `ok` or `repaired` is right.
@Suite("CMS-1500 forms from elsewhere, end to end") struct CMS1500DevEndToEndTests {
    static let folder = TestSupport.fixtures.appendingPathComponent("cms1500-dev")

    struct Outcome: Sendable {
        var documents: Int?
        var rejected: Int?
        var tiers: [String: Double]
        var wrongOk: Int?
        var misses: String
        var fields: [String: [String: String]]   // document name → field → value (the claim's own fields)
    }

    static let outcome: Result<Outcome, CLIFailure> = {
        do { return .success(try read()) } catch { return .failure(CLIFailure(message: "\(error)")) }
    }()

    static func read() throws -> Outcome {
        let dir = try TestSupport.tempDir("cms1500-dev")
        let db = dir.appendingPathComponent("db.sqlite").path
        let r = try TestSupport.run(["--db", db, "eval", folder.path, "--json", "--jobs", "2"], timeout: 600)
        guard r.status == 0, let json = try JSONSerialization.jsonObject(with: Data(r.stdout.utf8)) as? [String: Any] else {
            throw CLIFailure(message: "eval failed (\(r.status)): \(r.stderr)")
        }
        let fields = try DatabaseQueue(path: db).read { db in
            var out: [String: [String: String]] = [:]
            for row in try Row.fetchAll(db, sql: """
                SELECT d.original_name AS doc, f.name AS name, f.value AS value FROM fields f JOIN documents d ON d.id = f.document_id
                """) {
                out[row["doc"] as String, default: [:]][row["name"] as String] = row["value"] as String?
            }
            return out
        }
        let tiers = (json["by_variant"] as? [String: [String: Any]] ?? [:]).compactMapValues { $0["accuracy"] as? Double }
        return Outcome(documents: json["documents"] as? Int, rejected: (json["rejected"] as? [Any])?.count, tiers: tiers,
                       wrongOk: json["wrong_ok"] as? Int, misses: "\(json["misses"] ?? "")", fields: fields)
    }

    @Test("both forms register and are read: the pristine one whole, the fax mostly; no wrong value is given ok")
    func readsBothForms() throws {
        let o = try Self.outcome.get()
        #expect(o.documents == 2)
        #expect(o.rejected == 0)
        #expect(o.tiers["pristine"] == 1, "\(o.tiers)")
        #expect((o.tiers["fax"] ?? 0) >= 0.75, "\(o.tiers)")
        #expect(o.wrongOk == 0, "\(o.misses)")
    }

    @Test("the values a biller looks for first", arguments: [
        ("00000.png", "patient_name", "WHITE, JULIA"),
        ("00000.png", "account_number", "ACC-983473"),
        ("00000.png", "total_charge", "1611.80"),
        ("00000.png", "facility", "SPRINGFIELD MEDICAL CENTER"),
        ("00003.png", "account_number", "ACC-404200"),
        ("00003.png", "total_charge", "1200.83"),
    ])
    func headerValues(document: String, field: String, expected: String) throws {
        let o = try Self.outcome.get()
        #expect(o.fields[document]?[field] == expected, "\(o.fields[document] ?? [:])")
    }
}
