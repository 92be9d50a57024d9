import Foundation
import GRDB

/// Which sources an encounter was seen in.
public struct SourceSet: OptionSet, Sendable, Hashable {
    public let rawValue: Int
    public init(rawValue: Int) { self.rawValue = rawValue }
    public static let ice = SourceSet(rawValue: 1)
    public static let paper = SourceSet(rawValue: 2)

    public init(_ s: ChargeSource) { self = s == .ice ? .ice : .paper }
    public init(label: String) {
        switch label { case "paper": self = .paper; case "both": self = [.ice, .paper]; default: self = .ice }
    }
    public var label: String { self == [.ice, .paper] ? "both" : (contains(.paper) ? "paper" : "ice") }
}

/// The fields of an encounter the ledger keeps (every field the key is made of, and more).
public struct EncounterFields: Sendable, Equatable {
    public var patientName: String
    public var patientDob: CalendarDate?
    public var dateOfService: CalendarDate?
    public var facility: String
    public var cpt: String
    public var typeOfCare: String
    public var typeOfVisit: String
    public var servicingProvider: String

    public init(_ c: Charge) {
        patientName = c.patientName; patientDob = c.patientDob; dateOfService = c.dateOfService; facility = c.facility
        cpt = c.cpt; typeOfCare = c.typeOfCare; typeOfVisit = c.typeOfVisit; servicingProvider = c.servicingProvider
    }
    public init(patientName: String, patientDob: CalendarDate?, dateOfService: CalendarDate?, facility: String, cpt: String,
                typeOfCare: String = "", typeOfVisit: String = "", servicingProvider: String = "") {
        self.patientName = patientName; self.patientDob = patientDob; self.dateOfService = dateOfService
        self.facility = facility; self.cpt = cpt; self.typeOfCare = typeOfCare; self.typeOfVisit = typeOfVisit
        self.servicingProvider = servicingProvider
    }
}

/// What one run saw of one encounter key: billed, or not billed and why.
public struct LedgerEvent: Sendable, Equatable {
    public var key: EncounterKey
    public var billed: Bool
    public var sources: SourceSet
    public var reason: String?
    /// Kept for events that are not billed (they may create an entry).
    public var fields: EncounterFields?
}

public enum LedgerStatus: String, Codable, Sendable { case open, resolved }

/// One Master Missing entry.
public struct LedgerEntry: Sendable, Equatable {
    public var key: EncounterKey
    public var fields: EncounterFields
    public var sources: SourceSet
    public var status: LedgerStatus
    public var reason: String?
    public var firstSeen: CalendarDate
    public var lastAttempt: CalendarDate
    public var attempts: Int
    public var resolvedOn: CalendarDate?
}

/// The ledger's state: the fold of the runs' events in date order. An encounter not billed is
/// added (first seen = the run date); one already open gets its last attempt and reason updated;
/// a billed one that is open is resolved with the date. Resolved entries stay resolved and are
/// never removed (a later export of an encounter already billed does not reopen it).
public struct LedgerFold: Sendable {
    public var entries: [EncounterKey: LedgerEntry] = [:]
    public init() {}

    public struct Changes: Sendable, Equatable { public var added = 0, updated = 0, resolved = 0 }

    /// Applies one run's events; `changed` collects the keys whose entry changed.
    @discardableResult
    public mutating func apply(date: CalendarDate, events: [LedgerEvent], changed: inout Set<EncounterKey>) -> Changes {
        var ch = Changes()
        // Room for every event up front (growing a dictionary of large entries rehashes and moves them).
        entries.reserveCapacity(entries.count + events.count)
        changed.reserveCapacity(changed.count + events.count)
        for e in events {
            if e.billed {
                guard var entry = entries[e.key], entry.status == .open else { continue }
                entry.status = .resolved
                entry.resolvedOn = date
                entry.lastAttempt = max(entry.lastAttempt, date)
                entry.sources.formUnion(e.sources)
                entries[e.key] = entry
                changed.insert(e.key)
                ch.resolved += 1
            } else if var entry = entries[e.key] {
                guard entry.status == .open else { continue }
                entry.lastAttempt = max(entry.lastAttempt, date)
                entry.reason = e.reason
                entry.attempts += 1
                entry.sources.formUnion(e.sources)
                entries[e.key] = entry
                changed.insert(e.key)
                ch.updated += 1
            } else {
                guard let f = e.fields else { continue }
                entries[e.key] = LedgerEntry(key: e.key, fields: f, sources: e.sources, status: .open, reason: e.reason,
                                             firstSeen: date, lastAttempt: date, attempts: 1, resolvedOn: nil)
                changed.insert(e.key)
                ch.added += 1
            }
        }
        return ch
    }

    public var openEntries: [LedgerEntry] {
        // Sorting indices, not the entries: an entry is a large struct and the sort moves a lot.
        let open = entries.values.filter { $0.status == .open }
        return open.indices.sorted { LedgerFold.order(open[$0], open[$1]) }.map { open[$0] }
    }

    /// Deterministic order of ledger rows: first seen, date of service, patient, key.
    public static func order(_ a: LedgerEntry, _ b: LedgerEntry) -> Bool {
        if a.firstSeen != b.firstSeen { return a.firstSeen < b.firstSeen }
        let da = a.fields.dateOfService?.daysSinceEpoch ?? Int.min, db = b.fields.dateOfService?.daysSinceEpoch ?? Int.min
        if da != db { return da < db }
        if a.fields.patientName != b.fields.patientName { return a.fields.patientName < b.fields.patientName }
        return a.key < b.key
    }
}

/// The ledger tables: events per run, entries (the materialised fold), runs.
public enum LedgerStore {
    static func blob(_ k: EncounterKey) -> Data { Data(k.digest) }

    /// Sorted keys as one blob of 32-byte digests.
    static func blob(_ keys: [EncounterKey]) -> Data {
        // Written in place (no byte array appended to and copied into the Data: 3 MB at 100,000 rows).
        var d = Data(count: keys.count * 32)
        d.withUnsafeMutableBytes { raw in
            for (i, k) in keys.enumerated() {
                raw.storeBytes(of: k.bytes.0.bigEndian, toByteOffset: i * 32, as: UInt64.self)
                raw.storeBytes(of: k.bytes.1.bigEndian, toByteOffset: i * 32 + 8, as: UInt64.self)
                raw.storeBytes(of: k.bytes.2.bigEndian, toByteOffset: i * 32 + 16, as: UInt64.self)
                raw.storeBytes(of: k.bytes.3.bigEndian, toByteOffset: i * 32 + 24, as: UInt64.self)
            }
        }
        return d
    }

    static func keys(fromBlob d: Data) -> [EncounterKey] {
        d.withUnsafeBytes { raw in
            (0..<(raw.count / 32)).map { i in
                EncounterKey(words: (UInt64(bigEndian: raw.loadUnaligned(fromByteOffset: i * 32, as: UInt64.self)),
                                     UInt64(bigEndian: raw.loadUnaligned(fromByteOffset: i * 32 + 8, as: UInt64.self)),
                                     UInt64(bigEndian: raw.loadUnaligned(fromByteOffset: i * 32 + 16, as: UInt64.self)),
                                     UInt64(bigEndian: raw.loadUnaligned(fromByteOffset: i * 32 + 24, as: UInt64.self))))
            }
        }
    }

    static func entryKeys(_ db: Database) throws -> Set<EncounterKey> {
        Set(try String.fetchAll(db, sql: "SELECT key FROM ledger_entries").compactMap(EncounterKey.init(hex:)))
    }

    public static func insertEvents(_ db: Database, runId: Int64, events: some Sequence<LedgerEvent>) throws {
        var st = try BulkStatement(db, sql: """
            INSERT INTO ledger_events (run_id, key, billed, source, reason, patient_name, patient_dob, date_of_service,
              facility, cpt, type_of_care, type_of_visit, servicing_provider) VALUES (?, ?, ?, ?, ?, ?, ?, ?, ?, ?, ?, ?, ?)
            """)
        for e in events {
            st.bind(runId); st.bind(blob: e.key.digest); st.bind(e.billed ? 1 : 0); st.bind(e.sources.label); st.bind(e.reason)
            if let f = e.fields {
                st.bind(f.patientName); st.bind(f.patientDob.map(FastText.iso)); st.bind(f.dateOfService.map(FastText.iso))
                st.bind(f.facility); st.bind(f.cpt); st.bind(f.typeOfCare); st.bind(f.typeOfVisit); st.bind(f.servicingProvider)
            } else {
                for _ in 0..<8 { st.bindNull() }
            }
            try st.step(db)
        }
    }

    /// Events of every run, grouped by run date in date order: the keys each run did not bill,
    /// and, from each run's billed-key blob, the billed keys that some run did not bill.
    public static func events(_ db: Database) throws -> [(CalendarDate, [LedgerEvent])] {
        var byRun: [Int64: [LedgerEvent]] = [:]
        var interest = Set<EncounterKey>()
        let rows = try Row.fetchCursor(db, sql: """
            SELECT run_id, key, source, reason, patient_name, patient_dob, date_of_service, facility, cpt, type_of_care,
                   type_of_visit, servicing_provider FROM ledger_events WHERE billed = 0 ORDER BY run_id, key
            """)
        while let r = try rows.next() {
            let keyData: Data = r[1]
            let fields = EncounterFields(patientName: r[4] ?? "", patientDob: r[5], dateOfService: r[6], facility: r[7] ?? "",
                                         cpt: r[8] ?? "", typeOfCare: r[9] ?? "", typeOfVisit: r[10] ?? "", servicingProvider: r[11] ?? "")
            let e = LedgerEvent(key: EncounterKey(digest: [UInt8](keyData)), billed: false, sources: SourceSet(label: r[2]),
                                reason: r[3], fields: fields)
            interest.insert(e.key)
            byRun[r[0], default: []].append(e)
        }
        var sources: [Int64: [EncounterKey: SourceSet]] = [:]
        for r in try Row.fetchAll(db, sql: "SELECT run_id, key, source FROM ledger_events WHERE billed = 1") {
            let keyData: Data = r[1]
            sources[r[0], default: [:]][EncounterKey(digest: [UInt8](keyData))] = SourceSet(label: r[2])
        }
        var out: [(CalendarDate, [LedgerEvent])] = []
        for r in try Row.fetchAll(db, sql: "SELECT id, run_date, billed_keys FROM recon_runs ORDER BY run_date") {
            let id: Int64 = r[0]
            var evs = byRun[id] ?? []
            if let blob: Data = r[2] {
                for k in keys(fromBlob: blob) where interest.contains(k) {
                    evs.append(LedgerEvent(key: k, billed: true, sources: sources[id]?[k] ?? .ice, reason: nil, fields: nil))
                }
            }
            out.append((r[1], evs))
        }
        return out
    }

    public static func loadEntries(_ db: Database, status: LedgerStatus? = nil) throws -> [LedgerEntry] {
        var sql = "SELECT * FROM ledger_entries"
        var args: StatementArguments = []
        if let status { sql += " WHERE status = ?"; args = [status.rawValue] }
        return try Row.fetchAll(db, sql: sql, arguments: args).compactMap { r in
            guard let key = EncounterKey(hex: r["key"]) else { return nil }
            let f = EncounterFields(patientName: r["patient_name"], patientDob: r["patient_dob"], dateOfService: r["date_of_service"],
                                    facility: r["facility"], cpt: r["cpt"], typeOfCare: r["type_of_care"],
                                    typeOfVisit: r["type_of_visit"], servicingProvider: r["servicing_provider"])
            return LedgerEntry(key: key, fields: f, sources: SourceSet(label: r["source"]),
                               status: LedgerStatus(rawValue: r["status"]) ?? .open, reason: r["reason"],
                               firstSeen: r["first_seen"], lastAttempt: r["last_attempt"], attempts: r["attempts"],
                               resolvedOn: r["resolved_on"])
        }
    }

    public static func upsert(_ db: Database, _ entries: some Sequence<LedgerEntry>) throws {
        var st = try BulkStatement(db, sql: """
            INSERT OR REPLACE INTO ledger_entries (key, patient_name, patient_dob, date_of_service, facility, cpt, type_of_care,
              type_of_visit, servicing_provider, source, status, reason, first_seen, last_attempt, attempts, resolved_on)
            VALUES (?, ?, ?, ?, ?, ?, ?, ?, ?, ?, ?, ?, ?, ?, ?, ?)
            """)
        // Bound straight through the C API (dates as `yyyy-MM-dd`, as CalendarDate stores itself).
        for e in entries {
            let f = e.fields
            st.bind(e.key.hex); st.bind(f.patientName); st.bind(f.patientDob.map(\.iso)); st.bind(f.dateOfService.map(\.iso))
            st.bind(f.facility); st.bind(f.cpt); st.bind(f.typeOfCare); st.bind(f.typeOfVisit); st.bind(f.servicingProvider)
            st.bind(e.sources.label); st.bind(e.status.rawValue); st.bind(e.reason); st.bind(e.firstSeen.iso)
            st.bind(e.lastAttempt.iso); st.bind(e.attempts); st.bind(e.resolvedOn.map(\.iso))
            try st.step(db)
        }
    }
}

/// One ledger entry as `ledger --json` prints it (DESIGN.md shape, plus attempts and aging).
public struct LedgerItem: Codable, Sendable {
    public var key: String
    public var patientName: String
    public var patientDob: CalendarDate?
    public var dateOfService: CalendarDate?
    public var facility: String
    public var cpt: String
    public var typeOfCare: String
    public var typeOfVisit: String
    public var servicingProvider: String
    public var source: String
    public var status: String
    public var reason: String?
    public var firstSeen: CalendarDate
    public var lastAttempt: CalendarDate
    public var attempts: Int
    public var resolvedOn: CalendarDate?
    public var daysOutstanding: Int?
    public var aging: String?
}

public enum LedgerQueries {
    /// Entries by status (nil: all), in ledger order, with days outstanding and aging as of `asOf`
    /// (for open entries).
    public static func list(_ db: AppDatabase, status: LedgerStatus?, asOf: CalendarDate, settings: ReconciliationSettings) throws -> [LedgerItem] {
        let entries = try db.writer.read { db in try LedgerStore.loadEntries(db, status: status) }.sorted(by: LedgerFold.order)
        return entries.map { e in
            let days = e.status == .open ? Reconciler.daysOutstanding(e, asOf: asOf, settings: settings) : nil
            let f = e.fields
            return LedgerItem(key: e.key.hex, patientName: f.patientName, patientDob: f.patientDob, dateOfService: f.dateOfService,
                              facility: f.facility, cpt: f.cpt, typeOfCare: f.typeOfCare, typeOfVisit: f.typeOfVisit,
                              servicingProvider: f.servicingProvider, source: e.sources.label, status: e.status.rawValue,
                              reason: e.reason, firstSeen: e.firstSeen, lastAttempt: e.lastAttempt, attempts: e.attempts,
                              resolvedOn: e.resolvedOn, daysOutstanding: days, aging: days.map { settings.agingBucket(days: $0) })
        }
    }
}
