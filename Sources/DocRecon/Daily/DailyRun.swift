import Foundation
#if canImport(Glibc)
import Glibc
#endif

/// One pass of the billing office's day (`docrecon run`, and each pass of `watch`): what is new in
/// the inbox is ingested, what is new in the ICE inbox imported, each input moved to the archive
/// once its content is committed; EBS' posted charges are read (a file, or asked over HTTP once per
/// date); the date is reconciled when anything it is made of changed; the workbooks are delivered;
/// the run is recorded and one notification sent. The caller holds the run lock.
///
/// Every step is safe to cut short (kill -9 included) and repeat: inputs stay in their inbox until
/// committed (taking them again is a no-op for what is stored), the reconciliation is one
/// transaction whose workbooks appear under their final names only complete, and a workbook
/// leaves the delivery queue only once delivered.
public final class DailyRun {
    public let config: DailyConfig
    public let db: AppDatabase
    public let rules: ReconRules
    public let ebsRules: EbsHTTPRules
    /// The ingest pipeline as the CLI runs it (OCR settings, extraction): files in, summary out.
    public let ingest: ([String]) throws -> IngestSummary
    /// Asked between inputs: a stop (SIGTERM in `watch`) ends the pass after the current file.
    public var shouldStop: () -> Bool = { false }
    /// Lines for the clerk (stderr): each refused input, each failed step.
    public var say: (String) -> Void = { printError($0) }

    public struct Options: Sendable {
        public var date: CalendarDate
        public var kind = "run"
        public var refreshEbs = false
        /// Reconcile, deliver and notify (false: a `watch` intake pass, inputs only).
        public var reconcile = true
        public var deliver = true
        public var notify = true
        /// Give the ingest pipeline one file at a time (so a stop waits for one file only).
        public var oneFileAtATime = false
        /// The settled files to take (watch); nil: list the inboxes, leaving files modified within
        /// settle_s for later.
        public var scans: [InboxFile]?
        public var iceFiles: [InboxFile]?
        public init(date: CalendarDate) { self.date = date }
    }

    public init(config: DailyConfig, db: AppDatabase, rules: ReconRules, ebsRules: EbsHTTPRules,
                ingest: @escaping ([String]) throws -> IngestSummary) {
        self.config = config; self.db = db; self.rules = rules; self.ebsRules = ebsRules; self.ingest = ingest
    }

    public func perform(_ o: Options) throws -> DailyReport {
        var r = DailyReport(kind: o.kind, date: o.date, startedAt: Date())
        r.runId = try DailyRunStore.begin(db, report: r)
        let day = DailyArchive.folder(archive: config.archive, date: o.date)
        try DailyArchive.makeFolders(config.archive)
        try DailyArchive.makeFolders(config.pending)
        removeStaleTemporaries()

        let now = Date()
        let scans = o.scans ?? ready(DailyArchive.list(config.inbox), now: now, waiting: &r.waiting, inbox: "inbox")
        let iceFiles = o.iceFiles ?? ready(DailyArchive.list(config.iceInbox), now: now, waiting: &r.waiting, inbox: "ice_inbox")
        takeScans(scans, day: day, oneAtATime: o.oneFileAtATime, into: &r)
        takeIce(iceFiles, day: day, into: &r)

        if o.reconcile && !shouldStop() {
            reconcile(o, day: day, into: &r)
        }
        if o.deliver && !shouldStop() {
            let d = DailyDelivery.deliverQueued(db: db, config: config, runId: r.runId, runDate: o.date)
            r.deliveries = d.deliveries
            r.pendingAfter = d.pendingAfter
            for f in d.failures { fail(f, &r) }
        }
        r.nothingNew = r.scans.isEmpty && r.ice.isEmpty && r.rejected.isEmpty && r.reconcile == nil && r.deliveries.isEmpty
            && r.failures.isEmpty
        r.finishedAt = Date()
        r.settleStatus()
        if o.notify && !r.nothingNew {
            r.notifications = DailyNotifier.send(r, config: config)
            for n in r.notifications where n.status != "sent" { fail("notify \(n.channel) \(n.to): \(n.error ?? "failed")", &r) }
            r.settleStatus()
        }
        try DailyRunStore.finish(db, report: r)
        return r
    }

    private func fail(_ line: String, _ r: inout DailyReport) {
        r.failures.append(line)
        say(line)
    }

    /// Files old enough to be complete; the others are named as waiting.
    private func ready(_ files: [InboxFile], now: Date, waiting: inout [String], inbox: String) -> [InboxFile] {
        let limit = Int64((now.timeIntervalSince1970 - config.settleSeconds) * 1e9)
        var out: [InboxFile] = []
        for f in files {
            if config.settleSeconds > 0 && f.mtime > limit { waiting.append("\(inbox)/\(f.relative)") } else { out.append(f) }
        }
        return out
    }

    /// Temporary files a killed reconciliation left in pending/ (the lock says no one writes there now).
    private func removeStaleTemporaries() {
        guard let names = try? FileManager.default.contentsOfDirectory(atPath: config.pending) else { return }
        for n in names where n.hasPrefix(".tmp-") { unlink(config.pending + "/" + n) }
    }

    // MARK: Scans

    private func takeScans(_ files: [InboxFile], day: String, oneAtATime: Bool, into r: inout DailyReport) {
        guard !files.isEmpty else { return }
        var shas: [InboxFile: String] = [:]
        var unreadable: [InboxFile] = []
        for f in files {
            if let s = try? SHA256.hexOfFile(f.path) { shas[f] = s } else { unreadable.append(f) }
        }
        for f in unreadable {
            say("\(f.path): it cannot be read")
            rejectInput(f, inbox: "scans", reason: "it cannot be read", day: day, into: &r)
        }
        let readable = files.filter { shas[$0] != nil }
        let storedBefore: Set<String>
        do {
            storedBefore = try db.read { db in
                Set(try String.fetchAll(db, sql: "SELECT sha256 FROM documents WHERE status IN ('ocred', 'partial', 'extracted')"))
            }
        } catch { fail("scans: the database cannot be read (\(error))", &r); return }
        var summaries: [IngestSummary] = []
        var attempted: [InboxFile] = []
        let batches: [[InboxFile]] = oneAtATime ? readable.map { [$0] } : [readable]
        for batch in batches where !batch.isEmpty {
            if !attempted.isEmpty && shouldStop() { break }
            do {
                summaries.append(try ingest(batch.map(\.path)))
                attempted += batch
            } catch {
                fail("scans: \(error); the files stay in \(config.inbox) for the next run", &r)
                break
            }
        }
        let rejections = summaries.flatMap(\.rejected)
        for s in summaries { r.pages += s.pages }
        for f in attempted {
            let sha = shas[f]!
            let doc: Document?
            do { doc = try db.read { db in try Document.filter(sql: "sha256 = ?", arguments: [sha]).fetchOne(db) } } catch {
                fail("scans: the database cannot be read (\(error))", &r)
                return
            }
            let whole = rejections.first { $0.file == f.path && $0.page == nil }
            let pageProblems = rejections.filter { $0.file == f.path && $0.page != nil }.map { "page \($0.page!): \($0.reason)" }
            guard let doc, doc.status != .failed, doc.status != .stored else {
                let reason = whole?.reason ?? doc?.error ?? (doc?.status == .stored ? nil : "it could not be read")
                if let reason { rejectInput(f, inbox: "scans", reason: reason, day: day, into: &r) }
                // (.stored: pages still missing after an interrupted ingest; the file stays for the next run.)
                continue
            }
            var input = DailyReport.Input(file: f.relative, outcome: storedBefore.contains(sha) ? "already_present" : "added",
                                          pages: doc.pageCount, problems: pageProblems.isEmpty ? nil : pageProblems)
            if doc.status == .partial && input.outcome == "added" { input.outcome = "partial" }
            do { input.archivedTo = try DailyArchive.move(f, into: day + "/scans") } catch {
                fail("\(f.relative): stored, but it cannot be moved to the archive (\(error))", &r)
            }
            r.scans.append(input)
        }
    }

    private func rejectInput(_ f: InboxFile, inbox: String, reason: String, day: String, into r: inout DailyReport) {
        var x = DailyReport.Rejected(file: f.relative, inbox: inbox, reason: reason)
        do { x.movedTo = try DailyArchive.reject(f, reason: reason, into: day + "/rejected/" + inbox) } catch {
            fail("\(f.relative): refused (\(reason)), and it cannot be moved out of the inbox (\(error))", &r)
        }
        r.rejected.append(x)
    }

    // MARK: ICE exports

    private func takeIce(_ files: [InboxFile], day: String, into r: inout DailyReport) {
        for f in files {
            if shouldStop() { break }
            let ext = (f.path as NSString).pathExtension.lowercased()
            guard ext == "xlsx" || ext == "csv" else {
                let reason = "it is not an ICE export (.xlsx or .csv)"
                say("\(f.relative): \(reason)")
                rejectInput(f, inbox: "ice", reason: reason, day: day, into: &r)
                continue
            }
            let result: ImportResult
            do { result = try IceImporter.importFile(f.path, into: db, rules: rules) } catch {
                var reason = "\(error)"
                let name = (f.path as NSString).lastPathComponent
                if reason.hasPrefix(name + ": ") { reason = String(reason.dropFirst(name.count + 2)) }
                say("\(f.relative): \(reason)")
                rejectInput(f, inbox: "ice", reason: reason, day: day, into: &r)
                continue
            }
            for rej in result.rejected { say("\(f.relative) \(rej.line(verbose: Log.isVerbose))") }
            var input = DailyReport.Input(file: f.relative, outcome: result.alreadyImported ? "already_imported" : "imported",
                                          rows: result.rows, rejectedRows: result.rejected.count)
            if !result.rejected.isEmpty {
                input.problems = ["\(result.rejected.count) row\(result.rejected.count == 1 ? "" : "s") refused (named on stderr, row by row)"]
            }
            do { input.archivedTo = try DailyArchive.move(f, into: day + "/ice") } catch {
                fail("\(f.relative): imported, but it cannot be moved to the archive (\(error))", &r)
            }
            r.ice.append(input)
        }
    }

    // MARK: EBS and the reconciliation

    private func reconcile(_ o: Options, day: String, into r: inout DailyReport) {
        let ebs: EbsExport?
        var archiveEbs: InboxFile?
        switch ebsForDate(o, into: &r) {
        case .failure(let why):
            r.reconcileSkipped = why.message
            return
        case .success(let e):
            ebs = e?.export
            archiveEbs = e?.file
        }
        let fingerprint: String
        do {
            fingerprint = try DailyRunStore.fingerprint(db, date: o.date, ebsSha: ebs?.sha256)
            if try DailyRunStore.reconciledFingerprint(db, date: o.date) == fingerprint {
                r.reconcileSkipped = "the reconciliation of \(o.date.iso) is up to date"
                if let f = archiveEbs { _ = try? DailyArchive.move(f, into: day + "/ebs") }
                return
            }
        } catch { fail("reconcile: the database cannot be read (\(error))", &r); return }
        let result: ReconcileResult
        do {
            result = try Reconciler.run(db: db, rules: rules, options: ReconcileOptions(date: o.date, outDir: config.pending, ebs: ebs))
        } catch {
            fail("reconcile \(o.date.iso): \(error)", &r)
            r.reconcileSkipped = "the reconciliation failed"
            return
        }
        if let e = result.ebsFile { for rej in result.ebsRejected { say("\(e) \(rej.line(verbose: Log.isVerbose))") } }
        do {
            let after = try DailyRunStore.fingerprint(db, date: o.date, ebsSha: ebs?.sha256)
            let books = try [result.generalWorkbook, result.masterWorkbook].map {
                (name: ($0 as NSString).lastPathComponent, sha256: try SHA256.hexOfFile($0))
            }
            try DailyRunStore.recordReconciled(db, date: o.date, fingerprint: after, reconRunId: result.runId, dailyRunId: r.runId,
                                               workbooks: books, destination: config.outbox.shown)
        } catch {
            fail("reconcile \(o.date.iso): done, but its workbooks could not be queued for delivery (\(error)); the next run makes them again", &r)
        }
        if let f = archiveEbs {
            do { _ = try DailyArchive.move(f, into: day + "/ebs") } catch { fail("\(f.relative): used, but it cannot be moved to the archive (\(error))", &r) }
        }
        r.reconcile = .init(reconRunId: result.runId, rerun: result.rerun, charges: result.charges, billed: result.billed,
                            notBilled: result.notBilled, ledgerAdded: result.added, ledgerUpdated: result.updated,
                            ledgerResolved: result.resolved, openAfter: result.openAfter,
                            workbooks: [result.generalWorkbook, result.masterWorkbook].map { ($0 as NSString).lastPathComponent })
    }

    struct EbsForDate {
        var export: EbsExport
        /// The export file of a folder, to archive once the reconciliation has used it.
        var file: InboxFile?
    }

    /// EBS' posted charges for the date: nil without EBS in the config; failure: why the
    /// reconciliation waits (already said and recorded).
    private func ebsForDate(_ o: Options, into r: inout DailyReport) -> Result<EbsForDate?, DailyFailure> {
        guard let source = config.ebs else { return .success(nil) }
        let stored: DailyRunStore.StoredEbs?
        do { stored = try DailyRunStore.storedEbs(db, date: o.date) } catch {
            fail("EBS: the database cannot be read (\(error))", &r)
            return .failure(DailyFailure("the database cannot be read"))
        }
        func parse(_ s: DailyRunStore.StoredEbs, file: InboxFile?, reported: String) -> Result<EbsForDate?, DailyFailure> {
            do {
                let export: EbsExport
                if s.source == "http" {
                    export = try EbsExport.fromJSON(s.body, name: s.name, rules: rules)
                } else if let file {
                    export = try EbsExport.load(path: file.path, rules: rules)
                } else {
                    export = try loadStoredFile(s)
                }
                r.ebs = .init(source: reported, name: s.name, attempts: reported == "http" ? s.attempts : nil,
                              charges: export.statuses.count, rejectedRows: export.rejectedRows.count)
                return .success(EbsForDate(export: export, file: file))
            } catch {
                let why = "EBS: \(s.name): \(error)"
                r.ebs = .init(source: reported, name: s.name, error: "\(error)")
                fail(why + "; the reconciliation waits for a readable answer", &r)
                return .failure(DailyFailure(why))
            }
        }
        switch source {
        case .files(let path):
            var isDir: ObjCBool = false
            FileManager.default.fileExists(atPath: path, isDirectory: &isDir)
            var file: InboxFile?
            if isDir.boolValue {
                file = ebsExport(in: path, date: o.date)
            } else if let s = DailyArchive.current(InboxFile(path: path, relative: (path as NSString).lastPathComponent, size: 0, mtime: 0)) {
                file = s
            }
            guard let file else {
                if let stored { return parse(stored, file: nil, reported: "stored") }
                let why = "EBS: no export for \(o.date.iso) in \(path) yet; the reconciliation waits for it"
                r.ebs = .init(source: "file", error: "no export for \(o.date.iso) in \(path)")
                fail(why, &r)
                return .failure(DailyFailure(why))
            }
            let data: Data
            do { data = try Data(contentsOf: URL(fileURLWithPath: file.path)) } catch {
                let why = "EBS: \(file.relative) cannot be read"
                r.ebs = .init(source: "file", name: file.relative, error: "it cannot be read")
                fail(why, &r)
                return .failure(DailyFailure(why))
            }
            let s = DailyRunStore.StoredEbs(source: "file", name: (file.path as NSString).lastPathComponent, body: data,
                                            sha256: SHA256.hexDigest(of: data), attempts: 0)
            if stored?.sha256 != s.sha256 {
                do { try DailyRunStore.storeEbs(db, date: o.date, s) } catch {
                    fail("EBS: the answer cannot be stored (\(error))", &r)
                    return .failure(DailyFailure("the EBS answer cannot be stored"))
                }
            }
            return parse(s, file: isDir.boolValue ? file : nil, reported: "file")
        case .http(let h):
            if let stored, stored.source == "http", !o.refreshEbs { return parse(stored, file: nil, reported: "stored") }
            switch EbsClient.fetch(h, date: o.date, rules: ebsRules) {
            case .success(let answer):
                let s = DailyRunStore.StoredEbs(source: "http", name: "EBS answer \(o.date.iso)", body: answer.body,
                                                sha256: SHA256.hexDigest(of: answer.body), attempts: answer.attempts)
                // Checked before it is stored: an answer that cannot be read is not kept.
                do { _ = try EbsExport.fromJSON(answer.body, name: s.name, rules: rules) } catch {
                    let why = "EBS: \(error)"
                    r.ebs = .init(source: "http", attempts: answer.attempts, error: "\(error)")
                    fail(why + "; the reconciliation waits for a readable answer", &r)
                    return .failure(DailyFailure(why))
                }
                do { try DailyRunStore.storeEbs(db, date: o.date, s) } catch {
                    fail("EBS: the answer cannot be stored (\(error))", &r)
                    return .failure(DailyFailure("the EBS answer cannot be stored"))
                }
                return parse(s, file: nil, reported: "http")
            case .failure(let f):
                r.ebs = .init(source: "http", attempts: f.attempts, error: f.reason)
                if let stored, stored.source == "http" {
                    fail("\(f); the answer stored on an earlier run of \(o.date.iso) is used", &r)
                    return parse(stored, file: nil, reported: "stored")
                }
                fail("\(f); the reconciliation of \(o.date.iso) waits for EBS (the next run asks again)", &r)
                return .failure(DailyFailure(f.description))
            }
        }
    }

    /// The export of `date` in a folder of daily EBS exports: the file whose name carries the
    /// date (`MM-dd-yyyy`, `yyyy-MM-dd` or `MMddyyyy`); the newest when several do.
    func ebsExport(in folder: String, date: CalendarDate) -> InboxFile? {
        let forms = [date.usDashed, date.iso, date.usDashed.replacingOccurrences(of: "-", with: "")]
        return DailyArchive.list(folder)
            .filter { f in
                let ext = (f.path as NSString).pathExtension.lowercased()
                return (ext == "xlsx" || ext == "csv") && forms.contains { (f.relative as NSString).lastPathComponent.contains($0) }
            }
            .max { ($0.mtime, $0.relative) < ($1.mtime, $1.relative) }
    }

    /// An export file stored with an earlier run, read back through a private temporary copy.
    private func loadStoredFile(_ s: DailyRunStore.StoredEbs) throws -> EbsExport {
        let dir = NSTemporaryDirectory() + "docrecon-ebs-\(getpid())-\(UUID().uuidString.prefix(8))"
        try DailyArchive.makeFolders(dir)
        defer { try? FileManager.default.removeItem(atPath: dir) }
        let path = dir + "/" + s.name
        try DailyArchive.writeAtomically(s.body, to: path)
        return try EbsExport.load(path: path, rules: rules)
    }
}
