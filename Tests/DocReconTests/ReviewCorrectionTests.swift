import Foundation
import GRDB
import Testing
@testable import DocRecon

/// The queue's order and filters, checked corrections, the append-only audit trail, corrections
/// that survive re-extraction and flow into the paper charges in the same transaction.
@Suite struct ReviewCorrectionTests {
    static let today = ExtractFixtures.today

    /// Two synthetic superbills extracted into an in-memory database; returns their ids.
    static func extracted() throws -> (AppDatabase, Int64, Int64) {
        let db = try AppDatabase.inMemory()
        let a = try ExtractStoreTests.store(ExtractLayoutTests.superbill(), name: "a.pdf", in: db)
        let b = try ExtractStoreTests.store(ExtractLayoutTests.superbill(), name: "b.pdf", in: db)
        let ex = try ExtractStoreTests.extractor()
        _ = try ex.extract(documentId: a, in: db)
        _ = try ex.extract(documentId: b, in: db)
        return (db, a, b)
    }

    static func set(_ db: AppDatabase, _ doc: Int64, _ name: String, line: Int? = nil, status: String, confidence: Double) throws {
        try db.write { db in
            if let line {
                try db.execute(sql: "UPDATE lines SET status = ?, confidence = ? WHERE document_id = ? AND name = ? AND line_index = ?",
                               arguments: [status, confidence, doc, name, line])
            } else {
                try db.execute(sql: "UPDATE fields SET status = ?, confidence = ? WHERE document_id = ? AND name = ?",
                               arguments: [status, confidence, doc, name])
            }
        }
    }

    @Test func queueIsLowestConfidenceFirstAndNarrows() throws {
        let (db, a, b) = try Self.extracted()
        try db.write { try $0.execute(sql: "UPDATE fields SET confidence = 0.95, status = 'ok'; UPDATE lines SET confidence = 0.95, status = 'ok'") }
        try Self.set(db, a, "provider_npi", status: "needs_review", confidence: 0.90) // needs review despite a good reading
        try Self.set(db, a, "patient_name", status: "ok", confidence: 0.40)           // low confidence only
        try Self.set(db, b, "charge", line: 1, status: "needs_review", confidence: 0.20)
        try Self.set(db, b, "total_charge", status: "repaired", confidence: 0.55)
        try Self.set(db, b, "facility", status: "corrected", confidence: 0.10)        // a person already decided
        let all = try ReviewQueue.items(db, ReviewFilter(reviewer: "ann"))
        #expect(all.map { "\($0.key.documentId):\($0.key.name)" } == ["\(b):charge", "\(a):patient_name", "\(b):total_charge", "\(a):provider_npi"])
        #expect(all[0].key.lineIndex == 1 && all[1].key.lineIndex == nil)
        #expect(try ReviewQueue.items(db, ReviewFilter(documentId: a, reviewer: "ann")).map(\.key.name) == ["patient_name", "provider_npi"])
        #expect(try ReviewQueue.items(db, ReviewFilter(field: "total_charge", reviewer: "ann")).map(\.key.documentId) == [b])
        // A lower threshold keeps what needs review, drops what is merely below the default.
        #expect(try ReviewQueue.items(db, ReviewFilter(below: 0.3, reviewer: "ann")).map(\.key.name) == ["charge", "provider_npi"])
        // Skips are per reviewer: out of ann's queue, still in bob's; with includeSkipped, last.
        try ReviewQueue.skip(db, all[0].key, reviewer: "ann")
        #expect(try ReviewQueue.items(db, ReviewFilter(reviewer: "ann")).first?.key.name == "patient_name")
        #expect(try ReviewQueue.items(db, ReviewFilter(reviewer: "bob")).first?.key.name == "charge")
        #expect(try ReviewQueue.items(db, ReviewFilter(includeSkipped: true, reviewer: "ann")).last?.key.name == "charge")
        // Accepted and corrected values leave the queue: a new session starts at what is left.
        try Corrections.accept(db, all[1].key, reviewer: "ann", reason: nil)
        try Corrections.correct(db, all[2].key, input: "537.40", reviewer: "ann", reason: nil, today: Self.today)
        #expect(try ReviewQueue.items(db, ReviewFilter(reviewer: "ann")).map(\.key.name) == ["provider_npi"])
    }

    @Test func reasonsSayWhyAValueIsQueued() throws {
        let (db, a, _) = try Self.extracted()
        try db.write { db in
            try db.execute(sql: "UPDATE fields SET value = NULL, raw = '1234567890', status = 'needs_review', problem = NULL WHERE document_id = ? AND name = 'provider_npi'", arguments: [a])
            try db.execute(sql: "UPDATE fields SET value = '537.41', status = 'needs_review', problem = NULL WHERE document_id = ? AND name = 'total_charge'", arguments: [a])
        }
        let items = try ReviewQueue.items(db, ReviewFilter(documentId: a, reviewer: "x"))
        let npi = items.first { $0.key.name == "provider_npi" }!
        let total = items.first { $0.key.name == "total_charge" }!
        let (r1, r2, around) = try db.read { db in
            (try ReviewQueue.reasons(db, npi, threshold: 0.6), try ReviewQueue.reasons(db, total, threshold: 0.6), try ReviewQueue.context(db, npi))
        }
        #expect(r1.contains { $0.contains("NPI check digit fails") })
        #expect(r2.contains("total 537.41 ≠ sum of lines 537.40"))
        // The words around the NPI, its own in brackets.
        #expect(around.contains { $0.contains("NPI:") && $0.contains("[1234567893]") })
    }

    @Test(arguments: [
        ("provider_npi", FieldType.npi, "1234567893", "1234567893"),
        ("provider_npi", .npi, "123-456-7893", "1234567893"),
        ("patient_dob", .date, "03/04/51", "1951-03-04"),
        ("date_of_service", .date, "2026-11-02", "2026-11-02"),
        ("total_charge", .money, "$1,936.98", "1936.98"),
        ("code", .code, "g0439", "G0439"),
        ("units", .integer, "3", "3"),
        ("place_of_service", .pos, "3", "03"),
        ("diagnosis_codes", .icd10List, "e11.9, I10 Z794", "[\"E11.9\",\"I10\",\"Z79.4\"]"),
        ("modifiers", .modifierList, "25 rt", "[\"25\",\"RT\"]"),
        ("patient_name", .name, "  rivera,   ana ", "rivera, ana"),
    ])
    func valuesAreNormalisedLikeExtractedOnes(_ name: String, _ type: FieldType, _ input: String, _ stored: String) throws {
        let v = try ValueCheck.parse(input, type: type, name: name, today: Self.today).get()
        #expect(v.storageText == stored)
    }

    @Test(arguments: [
        ("provider_npi", FieldType.npi, "1234567890", "NPI check digit fails"),
        ("provider_npi", .npi, "12345", "an NPI has 10 digits"),
        ("patient_dob", .date, "13/45/2025", "is not a date"),
        ("patient_dob", .date, "01/01/2031", "date of birth 2031-01-01 is in the future"),
        ("total_charge", .money, "twelve", "is not an amount"),
        ("code", .code, "9921", "is not a CPT/HCPCS code"),
        ("diagnosis_codes", .icd10List, "E11.9, XYZ", "'XYZ' is not an ICD-10-CM code"),
        ("units", .integer, "0", "is not a whole number"),
    ])
    func failingValuesAreRefusedWithTheReason(_ name: String, _ type: FieldType, _ input: String, _ reason: String) throws {
        switch ValueCheck.parse(input, type: type, name: name, today: Self.today) {
        case .success(let v): Issue.record("accepted \(v)")
        case .failure(let e): #expect(e.description.contains(reason), "\(e)")
        }
    }

    @Test func aDateOfBirthAfterTheServiceIsRefusedUnlessForced() throws {
        let (db, a, _) = try Self.extracted()
        let key = FieldKey(documentId: a, recordIndex: 0, lineIndex: nil, name: "patient_dob")
        #expect(throws: CorrectionError.invalid("date of birth 2026-11-05 is not before the date of service 2026-11-02")) {
            try Corrections.correct(db, key, input: "11/05/2026", reviewer: "ann", reason: nil, today: Self.today)
        }
        let dos = FieldKey(documentId: a, recordIndex: 0, lineIndex: nil, name: "date_of_service")
        #expect(throws: CorrectionError.self) { try Corrections.correct(db, dos, input: "1950-01-01", reviewer: "ann", reason: nil, today: Self.today) }
        #expect(try AuditTrail.entries(db).isEmpty)
        try Corrections.correct(db, key, input: "11/05/2026", reviewer: "ann", reason: nil, force: true, today: Self.today)
        #expect(try AuditTrail.entries(db).first?.forced == true)
    }

    @Test func auditTrailRefusesUpdateAndDelete() throws {
        let (db, a, _) = try Self.extracted()
        let key = FieldKey(documentId: a, recordIndex: 0, lineIndex: nil, name: "patient_name")
        try Corrections.correct(db, key, input: "RIVERA, ANNA", reviewer: "ann", reason: "typo", today: Self.today)
        #expect(throws: DatabaseError.self) { try db.write { try $0.execute(sql: "UPDATE audit SET reviewer = 'mallory'") } }
        #expect(throws: DatabaseError.self) { try db.write { try $0.execute(sql: "UPDATE audit SET new = 'x' WHERE id = 1") } }
        #expect(throws: DatabaseError.self) { try db.write { try $0.execute(sql: "DELETE FROM audit") } }
        let e = try AuditTrail.entries(db)
        #expect(e.count == 1 && e[0].reviewer == "ann" && e[0].old == "RIVERA, ANA" && e[0].new == "RIVERA, ANNA" && e[0].reason == "typo")
        #expect(e[0].record == 1 && e[0].line == nil && e[0].action == .correct)
        #expect(e[0].at.range(of: #"^\d{4}-\d\d-\d\dT\d\d:\d\d:\d\dZ$"#, options: .regularExpression) != nil)
        // Appending still works, and the JSON has the DESIGN.md keys with null for no line.
        try Corrections.accept(db, FieldKey(documentId: a, recordIndex: 0, lineIndex: 0, name: "units"), reviewer: "bob", reason: nil)
        let json = try JSON.string(try AuditTrail.entries(db))
        let parsed = try JSONSerialization.jsonObject(with: Data(json.utf8)) as! [[String: Any]]
        #expect(parsed.count == 2)
        for k in ["document", "field", "record", "line", "old", "new", "reviewer", "at", "reason"] { #expect(parsed[0].keys.contains(k), "\(k)") }
        #expect(parsed[0]["line"] is NSNull && parsed[1]["line"] as? Int == 1 && parsed[1]["action"] as? String == "accept")
    }

    @Test func correctedValueSurvivesExtractAndFlowsIntoCharges() throws {
        let (db, a, b) = try Self.extracted()
        try Corrections.correct(db, FieldKey(documentId: a, recordIndex: 0, lineIndex: 1, name: "units"), input: "4",
                                reviewer: "ann", reason: nil, today: Self.today)
        try Corrections.correct(db, FieldKey(documentId: a, recordIndex: 0, lineIndex: 0, name: "charge"), input: "$212.50",
                                reviewer: "ann", reason: nil, today: Self.today)
        try Corrections.correct(db, FieldKey(documentId: a, recordIndex: 0, lineIndex: nil, name: "provider_npi"), input: "1245319599",
                                reviewer: "ann", reason: nil, today: Self.today)
        func charges(_ d: Int64) throws -> [Charge] {
            try db.read { try Charge.filter(Column("document_id") == d).order(Column("line_index")).fetchAll($0) }
        }
        // Downstream at once (same transaction as the correction).
        var c = try charges(a)
        #expect(c.allSatisfy { $0.importId == nil })
        #expect(c.map(\.units) == [1, 4, 1] && c[0].amount == Money(cents: 21250) && c.allSatisfy { $0.providerNpi == "1245319599" })
        #expect(try charges(b).allSatisfy { $0.providerNpi == "1234567893" }) // the other document untouched
        // Re-extraction keeps every corrected value, and the charges it writes use them.
        _ = try ExtractStoreTests.extractor().extract(documentId: a, in: db)
        let npi = try db.read { try ExtractionStore.fields($0, documentId: a) }.first { $0.name == "provider_npi" }!
        #expect(npi.status == .corrected && npi.value == .string("1245319599") && npi.extractedValue == "1234567893")
        c = try charges(a)
        #expect(c.map(\.units) == [1, 4, 1] && c[0].amount == Money(cents: 21250) && c.allSatisfy { $0.providerNpi == "1245319599" })
        // Charges registered in a reconciliation intake batch stay in it after a correction.
        try db.write { try $0.execute(sql: "UPDATE charges SET import_id = 77 WHERE document_id = ?", arguments: [a]) }
        try Corrections.correct(db, FieldKey(documentId: a, recordIndex: 0, lineIndex: 2, name: "units"), input: "2",
                                reviewer: "ann", reason: nil, today: Self.today)
        c = try charges(a)
        #expect(c.map(\.units) == [1, 4, 2] && c.allSatisfy { $0.importId == 77 })
        // The trail has all four with their old values.
        #expect(try AuditTrail.entries(db, documentId: a).map(\.old) == ["2", "212.40", "1234567893", "1"])
    }

    @Test func correctionAndChargesAreOneTransaction() throws {
        let (db, a, _) = try Self.extracted()
        // Make writing the paper charges fail: the correction must leave nothing behind.
        try db.write { db in
            try db.execute(sql: "CREATE TRIGGER no_paper BEFORE INSERT ON charges BEGIN SELECT RAISE(ABORT, 'charges refused'); END")
            try db.execute(sql: "CREATE TRIGGER no_paper_update BEFORE UPDATE ON charges BEGIN SELECT RAISE(ABORT, 'charges refused'); END")
        }
        let key = FieldKey(documentId: a, recordIndex: 0, lineIndex: 0, name: "units")
        #expect(throws: DatabaseError.self) { try Corrections.correct(db, key, input: "5", reviewer: "ann", reason: nil, today: Self.today) }
        let units = try db.read { try ExtractionStore.lines($0, documentId: a) }.first { $0.name == "units" && $0.lineIndex == 0 }!
        #expect(units.value == .int(1) && units.status == .ok)
        #expect(try AuditTrail.entries(db).isEmpty)
        #expect(try db.read { try Charge.filter(Column("document_id") == a).fetchCount($0) } == 3)
    }

    @Test func correctCommandRefusesABadNPIUnlessForced() throws {
        let (path, db) = try ReviewFixture.database("correct")
        let bad = try TestSupport.run(["--db", path, "correct", "1", "provider_npi", "1234567890", "--reviewer", "ann"])
        #expect(bad.status == 1)
        #expect(bad.stderr.contains("NPI check digit fails") && bad.stderr.contains("--force"))
        #expect(try ReviewFixture.field(db, "provider_npi").status == .needsReview)
        #expect(try AuditTrail.entries(db).isEmpty)
        let forced = try TestSupport.run(["--db", path, "correct", "encounter-form.pdf", "provider_npi", "1234567890", "--force",
                                          "--reason", "printed so on the sheet", "--json"], env: ["DOCRECON_REVIEWER": "carol"])
        #expect(forced.status == 0, "\(forced.stderr)")
        let out = try JSONSerialization.jsonObject(with: Data(forced.stdout.utf8)) as! [String: Any]
        #expect(out["new"] as? String == "1234567890" && out["forced"] as? Bool == true && out["charges"] as? Int == 3)
        let f = try ReviewFixture.field(db, "provider_npi")
        #expect(f.status == .corrected && f.value == .string("1234567890"))
        let e = try AuditTrail.entries(db)
        #expect(e.count == 1 && e[0].reviewer == "carol" && e[0].forced && e[0].reason?.hasPrefix("printed so on the sheet") == true)
        // A good value needs no force; a line cell needs --line; audit --json lists both.
        let units = try TestSupport.run(["--db", path, "correct", "1", "units", "2", "--line", "1"])
        #expect(units.status == 0, "\(units.stderr)")
        let noLine = try TestSupport.run(["--db", path, "correct", "1", "units", "2"])
        #expect(noLine.status == 1 && noLine.stderr.contains("--line"))
        let audit = try TestSupport.run(["--db", path, "audit", "--doc", "1", "--json"])
        let rows = try JSONSerialization.jsonObject(with: Data(audit.stdout.utf8)) as! [[String: Any]]
        #expect(rows.map { $0["field"] as? String } == ["provider_npi", "units"])
        #expect(try db.read { try Charge.filter(Column("document_id") == 1).order(Column("line_index")).fetchAll($0) }.first?.units == 2)
    }

    @Test func matchedSetsFollowACorrectionInItsTransaction() throws {
        let (path, db) = try ReviewFixture.database("sets")
        // Matching has run once (sets are kept from now on).
        let first = try TestSupport.run(["--db", path, "sets", "--json"])
        #expect(first.status == 0, "\(first.stderr)")
        func members() throws -> (charges: Set<Int64>, members: Set<Int64>, codeOfLine1: String?) {
            try db.read { db in
                (Set(try Int64.fetchAll(db, sql: "SELECT id FROM charges WHERE document_id = 1")),
                 Set(try Int64.fetchAll(db, sql: "SELECT charge_id FROM match_set_members WHERE document_id = 1")),
                 try String.fetchOne(db, sql: "SELECT cpt FROM charges WHERE document_id = 1 AND line_index = 0"))
            }
        }
        let before = try members()
        #expect(before.charges.count == 3 && before.members == before.charges)
        let r = try TestSupport.run(["--db", path, "correct", "1", "code", "99214", "--line", "1"])
        #expect(r.status == 0, "\(r.stderr)")
        // The corrected line's charge was updated in place (same ids, so the sets keep their ids)
        // and the sets were matched again on the new code.
        let after = try members()
        #expect(after.codeOfLine1 == "99214")
        #expect(after.charges == before.charges)
        #expect(after.members == after.charges)
        // The same sets a full recomputation gives.
        let incremental = try MatchQueries.sets(db)
        _ = try Matcher.shipped(rulesDir: ExtractFixtures.rulesDir).recomputeAll(db)
        #expect(try MatchQueries.sets(db) == incremental)
    }

    @Test func cropsAreOwnerOnlyAndInlineOnlyWhenAnnounced() throws {
        let (_, db) = try ReviewFixture.database("crop")
        final class Script: ReviewTerminal {
            var keys: [String]; var out = ""
            init(_ k: [String]) { keys = k }
            func write(_ text: String) { out += text }
            func readLine() -> String? { keys.isEmpty ? nil : keys.removeFirst() }
        }
        let dir = try OwnerFiles.temporaryDirectory(prefix: "docrecon-crop-test-")
        let t = Script(["q"])
        _ = try ReviewSession(db: db, filter: ReviewFilter(reviewer: "ann"), terminal: t, inline: .kitty, cropDirectory: dir).run()
        let crop = dir + "/doc1-p1-r1-provider_npi.png"
        #expect(t.out.contains("crop:       \(crop)"))
        let attrs = try FileManager.default.attributesOfItem(atPath: crop)
        #expect((attrs[.posixPermissions] as? Int) == 0o600)
        #expect((try FileManager.default.attributesOfItem(atPath: dir)[.posixPermissions] as? Int) == 0o700)
        let png = try Data(contentsOf: URL(fileURLWithPath: crop))
        #expect(png.starts(with: [0x89, 0x50, 0x4E, 0x47]))
        #expect(t.out.contains("\u{1B}_Ga=T,f=100"))
        #expect(InlineImageProtocol.detect(["TERM": "xterm-256color"]) == nil)
        #expect(InlineImageProtocol.detect(["TERM": "xterm-kitty"]) == .kitty)
        #expect(InlineImageProtocol.detect(["TERM_PROGRAM": "iTerm.app"]) == .iterm2)
        #expect(InlineImageProtocol.detect(["TERM": "xterm-kitty", "TMUX": "/tmp/tmux-0/default,1,0"]) == nil)
        #expect(InlineImageProtocol.iterm2.sequence(png, name: "c.png").hasPrefix("\u{1B}]1337;File="))
    }
}
