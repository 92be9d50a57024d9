import Foundation
import GRDB

/// What changed, for an incremental update of the matched sets.
public enum MatchScope: Sendable, Hashable {
    /// Charges added, corrected or deleted (deleted ids are fine: their old sets are redone).
    case charges([Int64])
    /// Every charge extracted from these documents (after an ingest or a re-extraction).
    case documents([Int64])
    /// Every row of these ICE imports.
    case imports([Int64])
}

public struct MatchSummary: Codable, Sendable, Equatable {
    /// Charges whose blocks were matched again.
    public var chargesMatched: Int
    /// Sets written by this run.
    public var setsWritten: Int
    /// Whether the run was a full recomputation.
    public var full: Bool
}

/// Keeps the matched sets in the database in step with the `charges` table.
///
/// Sets only ever join charges that share a blocking key of an encounter rule, so the charges
/// connected to a change through shared keys (its blocking component, before and after the
/// change) are all that must be matched again: `update` finds that component through the
/// `match_keys` index, rematches it from scratch and replaces its sets. The engine is pure and
/// set ids are smallest member ids, so the result equals `recomputeAll` row for row.
public struct Matcher: Sendable {
    public let engine: MatchEngine
    public var rules: MatchRules { engine.rules }

    public init(rules: MatchRules) { self.engine = MatchEngine(rules: rules) }

    /// The matcher with the checkout's `Rules/matching.yaml` (or `rulesDir`'s).
    public static func shipped(rulesDir: String? = nil) throws -> Matcher {
        Matcher(rules: try MatchRules.shipped(rulesDir: rulesDir))
    }

    // MARK: entry points

    @discardableResult
    public func recomputeAll(_ db: AppDatabase) throws -> MatchSummary {
        try db.write { try self.recomputeAll(in: $0) }
    }

    @discardableResult
    public func update(_ db: AppDatabase, affecting scopes: [MatchScope]) throws -> MatchSummary {
        try db.write { try self.update(in: $0, affecting: scopes) }
    }

    @discardableResult
    public func update(_ db: AppDatabase, affecting scope: MatchScope) throws -> MatchSummary {
        try update(db, affecting: [scope])
    }

    /// Brings the sets up to date with whatever changed since the last run (new, corrected or
    /// deleted charges, or other rules) without being told what changed. Costs one pass over
    /// the charges; matching is redone only where something changed.
    @discardableResult
    public func refresh(_ db: AppDatabase) throws -> MatchSummary {
        try db.write { try self.refresh(in: $0) }
    }

    // MARK: inside a transaction (callers that write charges call these in the same one)

    @discardableResult
    public func recomputeAll(in db: Database) throws -> MatchSummary {
        for t in ["match_links", "match_sets", "match_set_members", "match_keys"] {
            try db.execute(sql: "DELETE FROM \(t)")
        }
        let charges = try Matcher.loadCharges(db)
        let keyStmt = try db.makeStatement(sql: "INSERT OR IGNORE INTO match_keys (charge_id, key) VALUES (?, ?)")
        for c in charges {
            for k in engine.blockingKeyHashes(c) { try keyStmt.execute(arguments: [c.id, k]) }
        }
        let sets = engine.sets(for: charges)
        try store(sets, charges: charges, in: db)
        try saveState(db)
        return MatchSummary(chargesMatched: charges.count, setsWritten: sets.count, full: true)
    }

    @discardableResult
    public func update(in db: Database, affecting scopes: [MatchScope]) throws -> MatchSummary {
        guard try storedFingerprint(db) == rules.fingerprint else { return try recomputeAll(in: db) }
        var seeds = Set<Int64>()
        for s in scopes {
            switch s {
            case .charges(let ids): seeds.formUnion(ids)
            case .documents(let ids), .imports(let ids):
                let column = { if case .documents = s { return "document_id" } else { return "import_id" } }()
                for chunk in ids.chunked(500) {
                    let marks = databaseQuestionMarks(count: chunk.count)
                    seeds.formUnion(try Int64.fetchAll(db, sql: "SELECT id FROM charges WHERE \(column) IN (\(marks))", arguments: StatementArguments(chunk)))
                    seeds.formUnion(try Int64.fetchAll(db, sql: "SELECT charge_id FROM match_set_members WHERE \(column) IN (\(marks))", arguments: StatementArguments(chunk)))
                }
            }
        }
        if seeds.isEmpty { return MatchSummary(chargesMatched: 0, setsWritten: 0, full: false) }

        try db.execute(sql: """
            CREATE TEMP TABLE IF NOT EXISTS mw_charges (id INTEGER PRIMARY KEY);
            CREATE TEMP TABLE IF NOT EXISTS mw_keys (key INTEGER PRIMARY KEY);
            CREATE TEMP TABLE IF NOT EXISTS mw_sets (id INTEGER PRIMARY KEY);
            DELETE FROM mw_charges; DELETE FROM mw_keys; DELETE FROM mw_sets;
            """)
        let addCharge = try db.makeStatement(sql: "INSERT OR IGNORE INTO mw_charges (id) VALUES (?)")
        for id in seeds { try addCharge.execute(arguments: [id]) }
        // The blocks the seeds were in…
        try db.execute(sql: "INSERT OR IGNORE INTO mw_keys SELECT key FROM match_keys WHERE charge_id IN (SELECT id FROM mw_charges)")
        // …and the blocks they are in now.
        let seedCharges = try Matcher.loadCharges(db, where: "id IN (SELECT id FROM mw_charges)")
        try db.execute(sql: "DELETE FROM match_keys WHERE charge_id IN (SELECT id FROM mw_charges)")
        let keyStmt = try db.makeStatement(sql: "INSERT OR IGNORE INTO match_keys (charge_id, key) VALUES (?, ?)")
        let addKey = try db.makeStatement(sql: "INSERT OR IGNORE INTO mw_keys (key) VALUES (?)")
        for c in seedCharges {
            for k in engine.blockingKeyHashes(c) {
                try keyStmt.execute(arguments: [c.id, k])
                try addKey.execute(arguments: [k])
            }
        }
        // Close over shared keys: the whole blocking component, old and new.
        while true {
            try db.execute(sql: "INSERT OR IGNORE INTO mw_charges SELECT charge_id FROM match_keys WHERE key IN (SELECT key FROM mw_keys)")
            let grewCharges = db.changesCount
            try db.execute(sql: "INSERT OR IGNORE INTO mw_keys SELECT key FROM match_keys WHERE charge_id IN (SELECT id FROM mw_charges)")
            let grewKeys = db.changesCount
            if grewCharges == 0 && grewKeys == 0 { break }
        }
        // Old sets of those charges go (they lie inside the component: sets never cross blocks).
        try db.execute(sql: """
            INSERT OR IGNORE INTO mw_sets SELECT set_id FROM match_set_members WHERE charge_id IN (SELECT id FROM mw_charges);
            INSERT OR IGNORE INTO mw_charges SELECT charge_id FROM match_set_members WHERE set_id IN (SELECT id FROM mw_sets);
            DELETE FROM match_links WHERE set_id IN (SELECT id FROM mw_sets);
            DELETE FROM match_sets WHERE id IN (SELECT id FROM mw_sets);
            DELETE FROM match_set_members WHERE set_id IN (SELECT id FROM mw_sets);
            """)
        let charges = try Matcher.loadCharges(db, where: "id IN (SELECT id FROM mw_charges)")
        let sets = engine.sets(for: charges)
        try store(sets, charges: charges, in: db)
        try saveState(db)
        return MatchSummary(chargesMatched: charges.count, setsWritten: sets.count, full: false)
    }

    @discardableResult
    public func refresh(in db: Database) throws -> MatchSummary {
        guard try storedFingerprint(db) == rules.fingerprint else { return try recomputeAll(in: db) }
        var known: [Int64: Int64] = [:]
        let rows = try Row.fetchCursor(db, sql: "SELECT charge_id, fingerprint FROM match_set_members")
        while let r = try rows.next() { known[r[0]] = r[1] }
        var stale: [Int64] = []
        for c in try Matcher.loadCharges(db) {
            guard let id = c.id else { continue }
            if known.removeValue(forKey: id) != Matcher.fingerprint(c) { stale.append(id) }
        }
        stale.append(contentsOf: known.keys)   // members whose charge is gone
        if stale.isEmpty { return MatchSummary(chargesMatched: 0, setsWritten: 0, full: false) }
        return try update(in: db, affecting: [.charges(stale)])
    }

    // MARK: storage

    static let chargeColumns = """
        id, source, import_id, row_number, document_id, record_index, line_index, patient_name, patient_dob,
        date_of_service, facility, type_of_care, type_of_visit, servicing_provider, provider_npi, account_number,
        cpt, modifiers, units, amount, diagnosis_codes
        """

    /// The charges (without their original ICE columns), decoded by column position: several
    /// times faster than Codable decoding with key conversion, which matters at 100k+ rows.
    public static func loadCharges(_ db: Database, where condition: String? = nil) throws -> [Charge] {
        let sql = "SELECT \(chargeColumns) FROM charges" + (condition.map { " WHERE \($0)" } ?? "")
        var out: [Charge] = []
        let epoch = Date(timeIntervalSince1970: 0)
        let rows = try Row.fetchCursor(db, sql: sql)
        while let r = try rows.next() {
            let source: String = r[1]
            let amount: Int64? = r[19]
            out.append(Charge(id: r[0], source: source == "paper" ? .paper : .ice, importId: r[2], rowNumber: r[3],
                              documentId: r[4], recordIndex: r[5], lineIndex: r[6], patientName: r[7],
                              patientDob: (r[8] as String?).flatMap(CalendarDate.init(iso:)),
                              dateOfService: (r[9] as String?).flatMap(CalendarDate.init(iso:)),
                              facility: r[10], typeOfCare: r[11], typeOfVisit: r[12], servicingProvider: r[13],
                              providerNpi: r[14], accountNumber: r[15], cpt: r[16], modifiers: r[17], units: r[18],
                              amount: amount.map { Money(cents: $0) }, diagnosisCodes: r[20], createdAt: epoch))
        }
        return out
    }

    /// Which values of a charge the matcher looked at: a change to any of them makes its set stale.
    public static func fingerprint(_ c: Charge) -> Int64 {
        let parts: [String] = [
            c.source.rawValue, c.patientName, c.patientDob.map { String($0.daysSinceEpoch) } ?? "",
            c.dateOfService.map { String($0.daysSinceEpoch) } ?? "", c.facility,
            c.typeOfCare, c.typeOfVisit, c.servicingProvider, c.providerNpi ?? "", c.accountNumber ?? "", c.cpt,
            c.modifiers, String(c.units), c.amount.map { String($0.cents) } ?? "", c.diagnosisCodes,
            c.documentId.map(String.init) ?? "", c.importId.map(String.init) ?? "",
        ]
        return MatchText.stableHash(parts.joined(separator: "\u{1F}"))
    }

    private func store(_ sets: [MatchedSet], charges: [Charge], in db: Database) throws {
        var byId: [Int64: Charge] = [:]
        byId.reserveCapacity(charges.count)
        for c in charges { if let id = c.id { byId[id] = c } }
        let enc = JSON.encoder(pretty: false)
        let setStmt = try db.makeStatement(sql: "INSERT INTO match_sets (id, status, member_count, differences_json, conflicts_json) VALUES (?, ?, ?, ?, ?)")
        let memberStmt = try db.makeStatement(sql: "INSERT INTO match_set_members (charge_id, set_id, kind, document_id, import_id, fingerprint) VALUES (?, ?, ?, ?, ?, ?)")
        let linkStmt = try db.makeStatement(sql: """
            INSERT INTO match_links (set_id, rule, a_kind, a_id, b_kind, b_id, a_code, b_code, score, parent_rule, parent_score)
            VALUES (?, ?, ?, ?, ?, ?, ?, ?, ?, ?, ?)
            """)
        for s in sets {
            let diffs = s.differences.isEmpty ? "[]" : String(decoding: try enc.encode(s.differences), as: UTF8.self)
            let confl = s.conflicts.isEmpty ? "[]" : String(decoding: try enc.encode(s.conflicts), as: UTF8.self)
            try setStmt.execute(arguments: [s.id, s.status.rawValue, s.members.count, diffs, confl])
            for m in s.members {
                let c = byId[m.id]
                try memberStmt.execute(arguments: [m.id, s.id, m.kind.rawValue, c?.documentId, c?.importId, c.map(Matcher.fingerprint) ?? 0])
            }
            for l in s.links {
                try linkStmt.execute(arguments: [s.id, l.rule, l.a.kind.rawValue, l.a.id, l.b.kind.rawValue, l.b.id,
                                                 l.aCode, l.bCode, l.score, l.parentRule, l.parentScore])
            }
        }
    }

    private func storedFingerprint(_ db: Database) throws -> String? {
        try String.fetchOne(db, sql: "SELECT rules_fingerprint FROM match_state WHERE id = 1")
    }

    private func saveState(_ db: Database) throws {
        try db.execute(sql: "INSERT OR REPLACE INTO match_state (id, rules_fingerprint, updated_at) VALUES (1, ?, ?)",
                       arguments: [rules.fingerprint, Date()])
    }
}

fileprivate extension Array {
    func chunked(_ size: Int) -> [ArraySlice<Element>] {
        stride(from: 0, to: count, by: size).map { self[$0..<Swift.min($0 + size, count)] }
    }
}
