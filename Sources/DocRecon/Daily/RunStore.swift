import Foundation
import GRDB

/// What one daily run did: stored as its record (`docrecon runs`), printed by `run --json` and
/// posted to the webhook. It names files, counts and reasons, never a patient value (row-level
/// rejections, which quote cell values, are counted here and printed on stderr only).
public struct DailyReport: Codable, Sendable {
    public struct Input: Codable, Sendable {
        /// The file, relative to its inbox.
        public var file: String
        /// added, already_present, partial (some pages could not be read), imported,
        /// already_imported.
        public var outcome: String
        public var pages: Int?
        public var rows: Int?
        public var rejectedRows: Int?
        /// What went wrong inside an accepted file (pages that could not be read, rows refused).
        public var problems: [String]?
        public var archivedTo: String?
    }
    public struct Rejected: Codable, Sendable {
        public var file: String
        public var inbox: String
        public var reason: String
        public var movedTo: String?
    }
    public struct Ebs: Codable, Sendable {
        /// file, http, or stored (the answer kept from an earlier run of the date).
        public var source: String
        public var name: String?
        public var attempts: Int?
        public var charges: Int?
        public var rejectedRows: Int?
        public var error: String?
    }
    public struct Reconciled: Codable, Sendable {
        public var reconRunId: Int64
        public var rerun: Bool
        public var charges: Int
        public var billed: Int
        public var notBilled: Int
        public var ledgerAdded: Int
        public var ledgerUpdated: Int
        public var ledgerResolved: Int
        public var openAfter: Int
        public var workbooks: [String]
    }
    public struct Delivery: Codable, Sendable {
        public var file: String
        public var to: String
        /// delivered, failed (waits in pending/ for the next run).
        public var status: String
        public var attempts: Int
        public var error: String?
    }
    public struct Notification: Codable, Sendable {
        public var channel: String
        public var to: String
        public var status: String
        public var error: String?
    }

    public var runId: Int64 = 0
    public var kind: String
    public var date: CalendarDate
    public var startedAt: Date
    public var finishedAt: Date?
    /// ok, nothing_new, rejected (some inputs refused), failed (a step did not go through),
    /// interrupted (the process ended before the run did), running.
    public var status: String = "running"
    public var nothingNew = false
    public var scans: [Input] = []
    public var ice: [Input] = []
    public var rejected: [Rejected] = []
    /// Files still being written (modified within settle_s): left for the next run.
    public var waiting: [String] = []
    public var pages = 0
    public var ebs: Ebs?
    public var reconcile: Reconciled?
    /// Why the reconciliation was not made (nothing new, EBS not reachable, ...).
    public var reconcileSkipped: String?
    public var deliveries: [Delivery] = []
    public var pendingAfter = 0
    public var failures: [String] = []
    public var notifications: [Notification] = []

    public init(kind: String, date: CalendarDate, startedAt: Date) {
        self.kind = kind; self.date = date; self.startedAt = startedAt
    }

    /// Whether an input was refused, whole or in part (exit code 2).
    public var hadRejections: Bool {
        // (EBS rows refused count when this run reconciled with them; a stored answer's were named before.)
        !rejected.isEmpty || (scans + ice).contains { !($0.problems ?? []).isEmpty } || (reconcile != nil && (ebs?.rejectedRows ?? 0) > 0)
    }
    /// Something was taken in, reconciled or delivered.
    public var didSomething: Bool {
        !scans.isEmpty || !ice.isEmpty || !rejected.isEmpty || reconcile != nil || deliveries.contains { $0.status == "delivered" }
    }
    /// 0 all done, 2 done but inputs refused or a step (EBS, delivery, notification) failed,
    /// 1 nothing could be done.
    public var exitCode: Int32 {
        if !failures.isEmpty && !didSomething { return 1 }
        return hadRejections || !failures.isEmpty ? 2 : 0
    }

    public mutating func settleStatus() {
        if !failures.isEmpty { status = "failed" } else if hadRejections { status = "rejected" } else if nothingNew { status = "nothing_new" } else { status = "ok" }
    }
}

/// The daily tables (migration v12-daily-runs): runs, stored EBS answers, what each date's
/// reconciliation was made of, and the delivery queue.
public enum DailyRunStore {
    /// A new run's record (status running). Runs still marked running belong to processes that
    /// died (the caller holds the run lock): they are marked interrupted.
    public static func begin(_ db: AppDatabase, report: DailyReport) throws -> Int64 {
        try db.write { db in
            try db.execute(sql: "UPDATE daily_runs SET status = 'interrupted' WHERE status = 'running'")
            try db.execute(sql: "INSERT INTO daily_runs (kind, run_date, started_at, status, pid) VALUES (?, ?, ?, 'running', ?)",
                           arguments: [report.kind, report.date, report.startedAt, Int(getpid())])
            return db.lastInsertedRowID
        }
    }

    public static func finish(_ db: AppDatabase, report: DailyReport) throws {
        let json = try JSON.string(report, pretty: false)
        try db.write { db in
            try db.execute(sql: "UPDATE daily_runs SET status = ?, finished_at = ?, report_json = ? WHERE id = ?",
                           arguments: [report.status, report.finishedAt ?? Date(), json, report.runId])
        }
    }

    public struct Listed: Codable, Sendable {
        public var id: Int64
        public var kind: String
        public var date: CalendarDate
        public var startedAt: Date
        public var finishedAt: Date?
        public var status: String
        public var report: DailyReport?
    }

    public static func list(_ db: AppDatabase, limit: Int = 50) throws -> [Listed] {
        try db.read { db in
            try Row.fetchAll(db, sql: """
                SELECT id, kind, run_date, started_at, finished_at, status, report_json FROM daily_runs ORDER BY id DESC LIMIT ?
                """, arguments: [limit]).map { r in
                let json: String? = r["report_json"]
                let report = json.flatMap { try? JSON.decoder().decode(DailyReport.self, from: Data($0.utf8)) }
                return Listed(id: r["id"], kind: r["kind"], date: r["run_date"], startedAt: r["started_at"],
                              finishedAt: r["finished_at"], status: r["status"], report: report)
            }
        }
    }

    // MARK: EBS answers

    public struct StoredEbs: Sendable {
        public var source: String
        public var name: String
        public var body: Data
        public var sha256: String
        public var attempts: Int
    }

    public static func storedEbs(_ db: AppDatabase, date: CalendarDate) throws -> StoredEbs? {
        try db.read { db in
            try Row.fetchOne(db, sql: "SELECT source, name, body, sha256, attempts FROM daily_ebs_answers WHERE run_date = ?",
                             arguments: [date]).map {
                StoredEbs(source: $0["source"], name: $0["name"], body: $0["body"], sha256: $0["sha256"], attempts: $0["attempts"])
            }
        }
    }

    public static func storeEbs(_ db: AppDatabase, date: CalendarDate, _ e: StoredEbs) throws {
        try db.write { db in
            try db.execute(sql: """
                INSERT INTO daily_ebs_answers (run_date, source, name, body, sha256, attempts, fetched_at) VALUES (?, ?, ?, ?, ?, ?, ?)
                ON CONFLICT(run_date) DO UPDATE SET source = excluded.source, name = excluded.name, body = excluded.body,
                  sha256 = excluded.sha256, attempts = excluded.attempts, fetched_at = excluded.fetched_at
                """, arguments: [date, e.source, e.name, e.body, e.sha256, e.attempts, Date()])
        }
    }

    // MARK: What a date's reconciliation was made of

    /// A digest of everything a reconciliation of `date` reads: the ICE imports it takes (new ones
    /// and the ones this date took before), the paper documents and their charges, the last
    /// correction, and the EBS answer. Equal digests: reconciling again would give the same result.
    public static func fingerprint(_ db: AppDatabase, date: CalendarDate, ebsSha: String?) throws -> String {
        let text: String = try db.read { db in
            let runId = try Int64.fetchOne(db, sql: "SELECT id FROM recon_runs WHERE run_date = ?", arguments: [date])
            let imports = try String.fetchAll(db, sql: """
                SELECT sha256 FROM recon_imports WHERE run_id IS NULL OR run_id = ? ORDER BY sha256
                """, arguments: [runId ?? -1])
            let docs = try String.fetchAll(db, sql: "SELECT sha256 || ':' || status FROM documents ORDER BY sha256")
            let paper = try Row.fetchOne(db, sql: "SELECT COUNT(*), MAX(id) FROM charges WHERE source = 'paper'")
            let paperText = paper.map { "\($0[0] as Int64? ?? 0)/\($0[1] as Int64? ?? 0)" } ?? ""
            let audit = try Int64.fetchOne(db, sql: "SELECT MAX(rowid) FROM audit") ?? 0
            return "ice:\(imports.joined(separator: ","))|docs:\(docs.joined(separator: ","))|paper:\(paperText)|audit:\(audit)|ebs:\(ebsSha ?? "-")"
        }
        return SHA256.hexDigest(of: Data(text.utf8))
    }

    public static func reconciledFingerprint(_ db: AppDatabase, date: CalendarDate) throws -> String? {
        try db.read { try String.fetchOne($0, sql: "SELECT fingerprint FROM daily_reconciles WHERE run_date = ?", arguments: [date]) }
    }

    /// After a reconciliation committed: what it was made of, and its workbooks queued for delivery
    /// (a queued workbook of the same name is superseded). One transaction.
    public static func recordReconciled(_ db: AppDatabase, date: CalendarDate, fingerprint: String, reconRunId: Int64, dailyRunId: Int64,
                                        workbooks: [(name: String, sha256: String)], destination: String) throws {
        try db.write { db in
            let now = Date()
            try db.execute(sql: """
                INSERT INTO daily_reconciles (run_date, fingerprint, recon_run_id, daily_run_id, reconciled_at) VALUES (?, ?, ?, ?, ?)
                ON CONFLICT(run_date) DO UPDATE SET fingerprint = excluded.fingerprint, recon_run_id = excluded.recon_run_id,
                  daily_run_id = excluded.daily_run_id, reconciled_at = excluded.reconciled_at
                """, arguments: [date, fingerprint, reconRunId, dailyRunId, now])
            for w in workbooks {
                try db.execute(sql: "UPDATE daily_deliveries SET status = 'superseded' WHERE status = 'pending' AND name = ?", arguments: [w.name])
                try db.execute(sql: """
                    INSERT INTO daily_deliveries (run_date, name, sha256, status, destination, queued_by_run, queued_at)
                    VALUES (?, ?, ?, 'pending', ?, ?, ?)
                    """, arguments: [date, w.name, w.sha256, destination, dailyRunId, now])
            }
        }
    }

    // MARK: Deliveries

    public struct QueuedWorkbook: Sendable {
        public var id: Int64
        public var date: CalendarDate
        public var name: String
        public var sha256: String
        public var attempts: Int
    }

    public static func pendingDeliveries(_ db: AppDatabase) throws -> [QueuedWorkbook] {
        try db.read { db in
            try Row.fetchAll(db, sql: "SELECT id, run_date, name, sha256, attempts FROM daily_deliveries WHERE status = 'pending' ORDER BY id")
                .map { QueuedWorkbook(id: $0["id"], date: $0["run_date"], name: $0["name"], sha256: $0["sha256"], attempts: $0["attempts"]) }
        }
    }

    public static func markDelivered(_ db: AppDatabase, id: Int64, runId: Int64, destination: String) throws {
        try db.write { db in
            try db.execute(sql: """
                UPDATE daily_deliveries SET status = 'delivered', attempts = attempts + 1, last_error = NULL, destination = ?,
                  delivered_by_run = ?, delivered_at = ? WHERE id = ?
                """, arguments: [destination, runId, Date(), id])
        }
    }

    public static func markFailed(_ db: AppDatabase, id: Int64, error: String) throws {
        try db.write { db in
            try db.execute(sql: "UPDATE daily_deliveries SET attempts = attempts + 1, last_error = ? WHERE id = ?", arguments: [error, id])
        }
    }

    public static func markLost(_ db: AppDatabase, id: Int64, reason: String) throws {
        try db.write { db in
            try db.execute(sql: "UPDATE daily_deliveries SET status = 'lost', last_error = ? WHERE id = ?", arguments: [reason, id])
        }
    }
}
