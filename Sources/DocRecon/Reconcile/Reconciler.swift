import Foundation
import GRDB

public struct ReconcileOptions: Sendable {
    public var date: CalendarDate
    public var outDir: String
    public var ebsPath: String?
    /// EBS' posted charges already loaded (EBS over HTTP, or an answer stored with an earlier
    /// run); used instead of `ebsPath`.
    public var ebs: EbsExport?
    public var force: Bool
    public init(date: CalendarDate, outDir: String, ebsPath: String? = nil, ebs: EbsExport? = nil, force: Bool = false) {
        self.date = date; self.outDir = outDir; self.ebsPath = ebsPath; self.ebs = ebs; self.force = force
    }
}

public struct ReconcileResult: Codable, Sendable {
    public var date: CalendarDate
    public var runId: Int64
    public var generalWorkbook: String
    public var masterWorkbook: String
    /// This date had been reconciled before: its run was replaced by this one.
    public var rerun: Bool
    public var forced: Bool
    public var imports: [String]
    public var charges: Int
    public var billed: Int
    public var notBilled: Int
    public var encounters: Int
    public var added: Int
    public var updated: Int
    public var resolved: Int
    public var openAfter: Int
    public var ebsFile: String?
    public var ebsRejected: [RowRejection]
    public var seconds: Double
    /// What the paper charges added (absent when there are none).
    public var paper: PaperSummary?
}

/// A run the rules refuse (e.g. dated before the latest run without --force).
public struct ReconcileRefused: Error, CustomStringConvertible {
    public var message: String
    public var description: String { message }
}

/// A reconciliation run: the day's intake (the import batches not yet taken by a run, or the
/// ones this date took before when re-running it) goes through the billing evaluation; the two
/// workbooks are written; the ledger records the run's events and folds them. Everything happens
/// in one transaction: a failure leaves the database and the output folder as they were.
public enum Reconciler {
    public static func outputName(_ template: String, date: CalendarDate) throws -> String {
        let n = template.replacingOccurrences(of: "{date}", with: date.usDashed).trimmingCharacters(in: .whitespaces) + ".xlsx"
        guard n.count > 5, n.count < 200, !n.contains("/"), !n.contains("\\"), !n.contains("\0"), !n.hasPrefix(".") else {
            throw ReconcileRefused(message: "reconciliation.yaml: the output name '\(n)' is not a plain file name (it could escape --out)")
        }
        return n
    }

    public static func daysOutstanding(_ e: LedgerEntry, asOf: CalendarDate, settings: ReconciliationSettings) -> Int {
        let from = settings.agingFrom == "first_seen" ? e.firstSeen : (e.fields.dateOfService ?? e.firstSeen)
        return max(0, asOf.days(since: from))
    }

    struct SummaryKey: Hashable, Comparable {
        var dos: Int, facility: String, provider: String, care: String
        static func < (a: SummaryKey, b: SummaryKey) -> Bool {
            (a.dos, a.facility, a.provider, a.care) < (b.dos, b.facility, b.provider, b.care)
        }
    }

    @inline(__always) static func tally(_ s: inout (billed: Int, cpts: Int), billed: Bool, cpts: Int) {
        if billed { s.billed += 1; s.cpts += cpts }
    }

    public static func run(db: AppDatabase, rules: ReconRules, options: ReconcileOptions) throws -> ReconcileResult {
        let started = Date()
        let settings = rules.settings
        let date = options.date
        let generalName = try outputName(settings.generalTitle, date: date)
        let masterName = try outputName(settings.masterTitle, date: date)
        let fm = FileManager.default
        let outURL = URL(fileURLWithPath: options.outDir).standardizedFileURL
        if !fm.fileExists(atPath: outURL.path) {
            try fm.createDirectory(at: outURL, withIntermediateDirectories: true, attributes: [.posixPermissions: 0o700])
        }
        let generalPath = outURL.appendingPathComponent(generalName).path
        let masterPath = outURL.appendingPathComponent(masterName).path
        guard (generalPath as NSString).deletingLastPathComponent == outURL.path,
              (masterPath as NSString).deletingLastPathComponent == outURL.path else {
            throw ReconcileRefused(message: "an output name would escape \(options.outDir)")
        }
        let ebs = try options.ebs ?? options.ebsPath.map { try EbsExport.load(path: $0, rules: rules) }
        let evaluator = BillingEvaluator(rules: rules, ebs: ebs?.statuses)

        defer { PhaseClock.mark("reconcile: committed") }
        return try db.writer.write { db -> ReconcileResult in
            let now = Date()
            let otherLatest = try CalendarDate.fetchOne(db, sql: "SELECT MAX(run_date) FROM recon_runs WHERE run_date <> ?", arguments: [date])
            if let latest = otherLatest, date < latest, !options.force {
                throw ReconcileRefused(message: "reconcile: \(date.iso) is before the latest run (\(latest.iso)); "
                                       + "reconciling an earlier day rewrites the ledger history after it. Add --force to do it anyway.")
            }
            var runId = try Int64.fetchOne(db, sql: "SELECT id FROM recon_runs WHERE run_date = ?", arguments: [date])
            let rerun = runId != nil
            if let id = runId {
                try db.execute(sql: "DELETE FROM ledger_events WHERE run_id = ?", arguments: [id])
            } else {
                try db.execute(sql: """
                    INSERT INTO recon_runs (run_date, input_hashes_json, charges, billed, not_billed, encounters, added, updated,
                      resolved, open_after, forced, created_at, updated_at) VALUES (?, '[]', 0, 0, 0, 0, 0, 0, 0, 0, 0, ?, ?)
                    """, arguments: [date, now, now])
                runId = db.lastInsertedRowID
            }
            let run = runId!
            // A run takes only the imports whose charges are all of its date or before: an export
            // of a later day stays for that day's run (issue 21: a back-dated run attached them to
            // the earlier date, their ledger entries were first seen before their date of service,
            // and the later day's run found nothing).
            try db.execute(sql: """
                UPDATE recon_imports SET run_id = ? WHERE run_id IS NULL
                  AND NOT EXISTS (SELECT 1 FROM charges c WHERE c.import_id = recon_imports.id AND c.date_of_service > ?)
                """, arguments: [run, date])
            // Paper charges (issue 5): matched against the ICE rows; nil when there are none.
            let paper = try PaperReconciliation.prepare(db, rules: rules, evaluator: evaluator)

            // The Data layout: the union of the intake's headers in first-seen order.
            var headers: [String] = []
            var headerIndex: [String: Int] = [:]
            var importColumns: [Int64: [Int]] = [:]
            var importNames: [String] = []
            var hashes: [String] = []
            for r in try Row.fetchAll(db, sql: "SELECT id, file_name, sha256, headers_json FROM recon_imports WHERE run_id = ? ORDER BY id", arguments: [run]) {
                let hs = RowValues.decode(r["headers_json"]).map(\.text)
                var cols: [Int] = []
                for h in hs {
                    let f = SourceMap.fold(h)
                    if let i = headerIndex[f] { cols.append(i) } else { headerIndex[f] = headers.count; cols.append(headers.count); headers.append(h) }
                }
                importColumns[r["id"]] = cols
                importNames.append(r["file_name"])
                hashes.append(r["sha256"])
            }
            if headers.isEmpty {
                headers = rules.ice.columns.map(\.header)
                for (i, h) in headers.enumerated() { headerIndex[SourceMap.fold(h)] = i }
            }
            var fieldColumn: [String: Int] = [:]
            for (i, ci) in rules.ice.match(headers: headers).mapping.enumerated() { if let ci { fieldColumn[rules.ice.columns[ci].field] = i } }
            let width = headers.count
            PhaseClock.mark("reconcile: set up")

            let general = try XlsxWorkbook(path: generalPath, dateFormat: settings.dateFormat)
            let data = try general.addSheet(settings.dataSheet, streamed: true)
            let summarySheet = try general.addSheet(settings.summarySheet)
            data.writeHeader(headers + [settings.billedColumn, settings.reasonColumn])

            var summary: [SummaryKey: (billed: Int, cpts: Int)] = [:]
            var charges = 0, billedRows = 0
            var row = 0
            // Sized up front: growing these by doubling costs a rehash and fresh pages per step.
            // (The imports' own row counts: a capacity hint, not a count. Counting the charges
            // walked 100,000 index entries, ~5 ms before the first row.)
            let expected = try Int.fetchOne(db, sql: "SELECT COALESCE(SUM(row_count), 0) FROM recon_imports WHERE run_id = ?",
                                            arguments: [run]) ?? 0
            // The encounters (keys, billed, sources, first unbilled reason): gathered by the sheet
            // thread as it takes the rows (in row order), read here once it has finished.
            let encounters = EncounterTally(expected: expected)
            // With an EBS export the evaluation needs the key: it is made here and handed over.
            let keyOnThisThread = evaluator.ebs != nil
            let cursor = try BulkCursor(db, sql: """
                SELECT c.source, c.import_id, c.patient_name, c.patient_dob, c.date_of_service, c.facility, c.type_of_care,
                       c.type_of_visit, c.servicing_provider, c.provider_npi, c.cpt, c.diagnosis_codes, c.columns_json, c.row_number, c.columns_bin
                FROM charges c
                WHERE c.import_id IN (SELECT id FROM recon_imports WHERE run_id = ?) ORDER BY c.import_id, c.row_number, c.id
                """, arguments: [run])
            // (IN, not a join: with the join SQLite sorted every row in a temporary B-tree, spilled
            // to disk at a million rows; this way charges_on_import gives the order as it reads.)
            var scratch = [UInt8]()
            scratch.reserveCapacity(256)
            var lastImport: Int64 = -1
            var cols: [Int] = []
            // The Data sheet's rows are built on their own thread: this one reads and evaluates the
            // charges and hands over each row's stored JSON as bytes; the writer decodes it, lays
            // the cells out, formats the XML and deflates it.
            let batchRows = 1024
            let pipe = RowPipe<DataRowBatch>(capacity: 8)
            let sheet = Handoff(value: data)
            let yes = CellValue.text(settings.yes), no = CellValue.text(settings.no)
            let tally = Handoff(value: encounters)
            let writer = Worker {
                var scratch = [UInt8]()
                scratch.reserveCapacity(256)
                var r = 0
                var values: [CellValue] = []
                values.reserveCapacity(width)
                var placed = [CellValue](repeating: .empty, count: width)
                var lastCols: [Int] = [], inOrder = true
                while let batch = pipe.pop() {
                    // The charges are read in place (a copy of a Charge retains and releases a dozen strings).
                    batch.charges.withUnsafeBufferPointer { chargeAt in
                    batch.bytes.withUnsafeBufferPointer { all in
                        var start = 0
                        var fallback = 0
                        for i in 0..<batch.count {
                            r += 1
                            let end = batch.ends[i]
                            if end < 0 {
                                let cells = batch.fallback[fallback]
                                fallback += 1
                                for (c, v) in cells.enumerated() { sheet.value.write(r, c, v) }
                            } else if batch.binary[i] {
                                // RowCells: written cell by cell, straight from the bytes, when the
                                // import's columns keep their order in the layout; a reference is the
                                // charge's own column (read by the evaluating thread, handed over).
                                let cols = batch.cols[i]
                                let charge = chargeAt.baseAddress! + i
                                if cols != lastCols { lastCols = cols; inOrder = zip(cols, cols.dropFirst()).allSatisfy { $0 < $1 } }
                                let row = UnsafeBufferPointer(rebasing: all[start..<end])
                                if inOrder {
                                    RowCells.forEach(row) { k, cell in
                                        guard k < cols.count else { return }
                                        if case .reference(let t) = cell {
                                            t.write(of: charge, to: sheet.value, r, cols[k])
                                        } else {
                                            sheet.value.write(r, cols[k], cell: cell)
                                        }
                                    }
                                } else {
                                    for k in 0..<width { placed[k] = .empty }
                                    RowCells.forEach(row) { k, cell in
                                        guard k < cols.count else { return }
                                        if case .empty = cell { return }
                                        placed[cols[k]] = cell.value { $0.value(of: charge.pointee) }
                                    }
                                    for c in 0..<width { sheet.value.write(r, c, placed[c]) }
                                }
                                start = end
                            } else {
                                for k in 0..<width { placed[k] = .empty }
                                RowValues.decode(UnsafeBufferPointer(rebasing: all[start..<end]), into: &values)
                                let cols = batch.cols[i]
                                for (k, v) in values.enumerated() where k < cols.count { placed[cols[k]] = v }
                                for c in 0..<width { sheet.value.write(r, c, placed[c]) }
                                start = end
                            }
                            sheet.value.write(r, width, batch.billed[i] ? yes : no)
                            if let reason = batch.reasons[i] { sheet.value.write(r, width + 1, text: reason) }
                            let c = chargeAt.baseAddress! + i
                            let key = batch.keys[i] ?? EncounterKey.make(patientName: c.pointee.patientName, dob: c.pointee.patientDob,
                                                                         dateOfService: c.pointee.dateOfService, facility: c.pointee.facility,
                                                                         cpt: c.pointee.cpt, scratch: &scratch)
                            tally.value.add(key, c, billed: batch.billed[i], reason: batch.reasons[i])
                        }
                    }
                    }
                }
            }
            var batch = DataRowBatch()
            defer { pipe.close(); try? writer.wait() }
            while try cursor.next(db) {
                let source: ChargeSource = cursor.string(0) == "paper" ? .paper : .ice
                let importId = cursor.int(1)
                if importId != lastImport { cols = importColumns[importId] ?? []; lastImport = importId }
                let charge = Charge(source: source, importId: importId, rowNumber: Int(cursor.int(13)), patientName: cursor.string(2),
                                    patientDob: cursor.date(3), dateOfService: cursor.date(4), facility: cursor.string(5),
                                    typeOfCare: cursor.string(6), typeOfVisit: cursor.string(7), servicingProvider: cursor.string(8),
                                    providerNpi: cursor.optionalString(9), cpt: cursor.string(10), diagnosisCodes: cursor.string(11),
                                    createdAt: now)
                let key = keyOnThisThread
                    ? EncounterKey.make(patientName: charge.patientName, dob: charge.patientDob, dateOfService: charge.dateOfService,
                                        facility: charge.facility, cpt: charge.cpt, scratch: &scratch) : nil
                let outcome = evaluator.evaluate(charge, key: key)
                charges += 1
                row += 1
                let sk = SummaryKey(dos: charge.dateOfService?.daysSinceEpoch ?? Int.min, facility: charge.facility,
                                    provider: charge.servicingProvider, care: charge.typeOfCare)
                // One hash lookup per row, updated in place.
                if outcome.billed { billedRows += 1 }
                Reconciler.tally(&summary[sk, default: (0, 0)], billed: outcome.billed,
                                 cpts: outcome.billed ? Normalize.cptCount(charge.cpt) : 0)
                // Data row: the original cells in the union layout, then Billed and the reason. The
                // charge moves into the batch (no copy: its strings are not retained once more).
                if !cols.isEmpty, let bin = cursor.blob(14) {
                    batch.add(cells: bin, charge: consume charge, key: key, cols: cols, billed: outcome.billed, reason: outcome.reason)
                } else if let json = cursor.bytes(12), !cols.isEmpty {
                    batch.add(json: json, charge: consume charge, key: key, cols: cols, billed: outcome.billed, reason: outcome.reason)
                } else {
                    var placed = [CellValue](repeating: .empty, count: width)
                    func put(_ f: String, _ v: CellValue) { if let c = fieldColumn[f] { placed[c] = v } }
                    put("patient_name", .text(charge.patientName))
                    if let d = charge.patientDob { put("patient_dob", .date(d)) }
                    if let d = charge.dateOfService { put("date_of_service", .date(d)) }
                    put("facility", .text(charge.facility)); put("type_of_care", .text(charge.typeOfCare))
                    put("type_of_visit", .text(charge.typeOfVisit)); put("servicing_provider", .text(charge.servicingProvider))
                    put("cpt", .text(charge.cpt)); put("assessment", .text(charge.diagnosisCodes))
                    if let n = charge.providerNpi { put("provider_npi", .text(n)) }
                    batch.add(cells: placed, charge: consume charge, key: key, billed: outcome.billed, reason: outcome.reason)
                }
                if batch.count >= batchRows {
                    try pipe.push(batch)
                    batch = DataRowBatch()
                }
            }
            if batch.count > 0 { try pipe.push(batch) }
            batch = DataRowBatch()
            pipe.close()
            try writer.wait()
            PhaseClock.mark("reconcile: rows done")
            var keys: [EncounterKey] = [], keyBilled: [Bool] = [], keySources: [SourceSet] = [], keyUnbilled: [Int32] = []
            var unbilled: [(reason: String?, fields: EncounterFields)] = []
            swap(&keys, &encounters.keys); swap(&keyBilled, &encounters.billed); swap(&keySources, &encounters.sources)
            swap(&keyUnbilled, &encounters.unbilledAt); swap(&unbilled, &encounters.unbilled)
            // A paper line that ICE has as written makes that encounter's source `both`; the paper
            // lines ICE lacks or has otherwise are events of their own (unless ICE has that very key).
            var paperEvents: [LedgerEvent] = []
            if let paper {
                let keyIndex = encounters.index
                for k in paper.confirmedIceKeys { if let i = keyIndex[k] { keySources[Int(i)].formUnion(.paper) } }
                for e in paper.unbilled {
                    if let i = keyIndex[e.key] { keySources[Int(i)].formUnion(.paper) } else { paperEvents.append(e) }
                }
            }
            encounters.index = [:]

            // The General workbook is complete but for its Summary (and the paper sheets): those
            // are written, and the workbook spliced under its temporary name, on another thread
            // while this one does the ledger; it is moved in place at the end.
            let generalJob = Handoff(value: (general, summarySheet, summary, paper))
            let generalWriter = Worker {
                let (general, summarySheet, summary, paper) = generalJob.value
                writeSummary(summarySheet, summary, settings: settings)
                if let paper { try PaperReconciliation.writeSheets(general, paper) }
                try general.write()
            }
            PhaseClock.mark("reconcile: summary")
            defer { try? generalWriter.wait() }

            // Ledger: this run's events (keys not billed, with why; billed keys as a sorted blob).
            var events: [LedgerEvent] = []
            var billed: [(EncounterKey, SourceSet)] = []
            billed.reserveCapacity(keys.count - unbilled.count)
            for i in keys.indices {
                if keyBilled[i] {
                    billed.append((keys[i], keySources[i]))
                } else {
                    let u = unbilled[Int(keyUnbilled[i])]
                    events.append(LedgerEvent(key: keys[i], billed: false, sources: keySources[i], reason: u.reason, fields: u.fields))
                }
            }
            let encounterCount = keys.count
            events += paperEvents
            if let paper {
                let billedKeys = Set(billed.map(\.0))
                for k in paper.resolve where !billedKeys.contains(k) { billed.append((k, .paper)) }
            }
            keys = []; keyBilled = []; keyUnbilled = []; unbilled = []
            // The run's billed keys as a sorted blob: made on another thread while the ledger is read.
            // (The keys are taken out of the pairs there too: a 3 MB copy off this thread.)
            let billedKeys = Handoff(value: billed)
            let billedBlob = ResultBox<Data>()
            let blobber = Worker {
                var ks = billedKeys.value.map(\.0)
                ks.sort()
                billedBlob.value = LedgerStore.blob(ks)
            }
            defer { try? blobber.wait() }

            let laterOrRerun = rerun || (otherLatest.map { $0 > date } ?? false)
            var fold = LedgerFold()
            var changes = LedgerFold.Changes()
            var atDate: [LedgerEntry]
            if !laterOrRerun {
                for e in try LedgerStore.loadEntries(db) { fold.entries[e.key] = e }
            }
            // Billed keys that meet a ledger entry become events of their own (the resolutions).
            let known: Set<EncounterKey> = laterOrRerun ? try LedgerStore.entryKeys(db) : []
            var resolutions: [LedgerEvent] = []
            // (A first run meets no entry: no lookup for each of its billed keys.)
            if laterOrRerun ? !known.isEmpty : !fold.entries.isEmpty {
                for (k, src) in billed where laterOrRerun ? known.contains(k) : fold.entries[k] != nil {
                    resolutions.append(LedgerEvent(key: k, billed: true, sources: src, reason: nil, fields: nil))
                }
            }
            resolutions.sort { $0.key < $1.key }  // in key order, as when the billed keys were sorted first
            billed = []  // (the blob's thread holds its own reference until it has taken the keys)
            PhaseClock.mark("reconcile: ledger prepared")
            // Stored in key order: both tables are keyed by the encounter key, and rows in key order
            // are appended to the B-trees instead of landing at random places in them.
            let runEvents = events + resolutions
            // A run dated after every other one folds its events onto the stored entries: that
            // needs no database, so it is done on another thread while the events are stored
            // (the changed entries in key order, as they are stored, and the open ones in ledger order).
            let folded = ResultBox<(changes: LedgerFold.Changes, changed: [LedgerEntry], open: [LedgerEntry])>()
            let folder: Worker? = laterOrRerun ? nil : {
                let input = Handoff(value: (fold, runEvents))
                return Worker {
                    var f = input.value.0
                    var changed = Set<EncounterKey>()
                    let ch = f.apply(date: date, events: input.value.1, changed: &changed)
                    folded.value = (ch, changed.sorted().compactMap { f.entries[$0] }, f.openEntries)
                }
            }()
            defer { try? folder?.wait() }
            try LedgerStore.insertEvents(db, runId: run, events: runEvents.indices.sorted { runEvents[$0].key < runEvents[$1].key }
                .lazy.map { runEvents[$0] })
            PhaseClock.mark("reconcile: events inserted")
            let stored: [LedgerEntry]
            if let folder {
                try folder.wait()
                guard let f = folded.value else { throw ReconcileRefused(message: "reconcile: the ledger was not folded") }
                (changes, stored, atDate) = f
                folded.value = nil
            } else {
                // A re-run, or a run dated before another: the whole history is folded again,
                // this run's billed keys included (stored first).
                try blobber.wait()
                try db.execute(sql: "UPDATE recon_runs SET billed_keys = ? WHERE id = ?", arguments: [billedBlob.value!, run])
                var changed = Set<EncounterKey>()
                var snapshot: [LedgerEntry]?
                for (d, evs) in try LedgerStore.events(db) {
                    if d > date && snapshot == nil { snapshot = fold.openEntries }
                    let ch = fold.apply(date: d, events: evs, changed: &changed)
                    if d == date { changes = ch }
                }
                atDate = snapshot ?? fold.openEntries
                stored = fold.entries.keys.sorted().compactMap { fold.entries[$0] }
            }
            // Master Missing (the open ledger after this run) is formatted and written on another
            // thread while this one stores the ledger's entries.
            let masterRows = Handoff(value: atDate)
            let masterBook = ResultBox<XlsxWorkbook>()
            let masterWriter = Worker {
                masterBook.value = try writeMasterMissing(path: masterPath, entries: masterRows.value, asOf: date, settings: settings)
            }
            defer { try? masterWriter.wait() }
            if laterOrRerun { try db.execute(sql: "DELETE FROM ledger_entries") }
            try LedgerStore.upsert(db, stored)
            PhaseClock.mark("reconcile: ledger stored")

            let inputHashes = hashes.sorted() + (ebs.map { ["ebs:" + $0.sha256] } ?? [])
            // A run after every other one writes its row once, with its billed-key blob (3 MB at
            // 100,000 rows): an UPDATE rewrites the whole record, blob included.
            try blobber.wait()
            try db.execute(sql: """
                UPDATE recon_runs SET input_hashes_json = ?, ebs_file = ?, ebs_sha256 = ?, charges = ?, billed = ?, not_billed = ?,
                  encounters = ?, added = ?, updated = ?, resolved = ?, open_after = ?, forced = ?, updated_at = ?, billed_keys = ? WHERE id = ?
                """, arguments: [RowValues.encode(inputHashes.map { CellValue.text($0) }), ebs?.file, ebs?.sha256, charges, billedRows,
                                 charges - billedRows, encounterCount, changes.added, changes.updated, changes.resolved, atDate.count,
                                 otherLatest.map { $0 > date } ?? false, now, billedBlob.value!, run])
            PhaseClock.mark("reconcile: runs updated")
            try masterWriter.wait()
            guard let master = masterBook.value else { throw ReconcileRefused(message: "reconcile: Master Missing was not written") }
            PhaseClock.mark("reconcile: master written")
            try generalWriter.wait()
            PhaseClock.mark("reconcile: general written")
            try general.close()
            try master.close()
            return ReconcileResult(date: date, runId: run, generalWorkbook: generalPath, masterWorkbook: masterPath, rerun: rerun,
                                   forced: options.force && (otherLatest.map { $0 > date } ?? false), imports: importNames,
                                   charges: charges, billed: billedRows, notBilled: charges - billedRows, encounters: encounterCount,
                                   added: changes.added, updated: changes.updated, resolved: changes.resolved, openAfter: atDate.count,
                                   ebsFile: ebs?.file, ebsRejected: ebs?.rejectedRows ?? [],
                                   seconds: Date().timeIntervalSince(started), paper: paper?.summary)
        }
    }
}

extension Reconciler {
    /// Summary: one row per (Date of Service, Facility, Servicing Provider, Type of Care) that has
    /// billed encounters, in that order (a group with none billed has no row, as in the prototype
    /// the users know); headers from `summary_columns`.
    static func writeSummary(_ sheet: XlsxSheet, _ summary: [SummaryKey: (billed: Int, cpts: Int)], settings: ReconciliationSettings) {
        sheet.writeHeader(settings.summaryHeaders)
        for (i, (k, v)) in summary.filter({ $0.value.billed > 0 }).sorted(by: { $0.key < $1.key }).enumerated() {
            let r = i + 1
            if k.dos != Int.min { sheet.write(r, 0, date: CalendarDate(daysSinceEpoch: k.dos)) }
            sheet.write(r, 1, text: k.facility)
            sheet.write(r, 2, text: k.provider)
            sheet.write(r, 3, text: k.care)
            sheet.write(r, 4, number: Double(v.billed))
            sheet.write(r, 5, number: Double(v.cpts))
        }
    }

    /// Master Missing: the open ledger entries as of `asOf`, one row each, written under the
    /// workbook's temporary name (`close()` moves it into place).
    static func writeMasterMissing(path: String, entries: [LedgerEntry], asOf date: CalendarDate,
                                   settings: ReconciliationSettings) throws -> XlsxWorkbook {
        let master = try XlsxWorkbook(path: path, dateFormat: settings.dateFormat)
        let ms = try master.addSheet(settings.masterSheet, streamed: true)
        let h = settings.masterHeader
        ms.writeHeader([h("patient_name"), h("dob"), h("date_of_service"), h("type_of_care"), h("type_of_visit"), h("facility"), h("cpt"),
                        h("last_attempt"), settings.billedColumn, settings.reasonColumn, h("first_seen"),
                        h("days_outstanding"), h("aging")])
        for (i, e) in entries.enumerated() {
            let r = i + 1, f = e.fields
            ms.write(r, 0, text: f.patientName)
            if let d = f.patientDob { ms.write(r, 1, date: d) }
            if let d = f.dateOfService { ms.write(r, 2, date: d) }
            ms.write(r, 3, text: f.typeOfCare)
            ms.write(r, 4, text: f.typeOfVisit)
            ms.write(r, 5, text: f.facility)
            ms.write(r, 6, text: f.cpt)
            ms.write(r, 7, date: e.lastAttempt)
            ms.write(r, 8, text: settings.no)
            ms.write(r, 9, text: e.reason ?? "")
            ms.write(r, 10, date: e.firstSeen)
            let days = daysOutstanding(e, asOf: date, settings: settings)
            ms.write(r, 11, number: Double(days))
            ms.write(r, 12, text: settings.agingBucket(days: days))
        }
        try master.write()
        return master
    }
}

/// The encounters of a run as its rows come, one entry per key in first-seen order: billed when
/// any of its rows is, the union of their sources, and the first unbilled row's reason and fields.
final class EncounterTally: @unchecked Sendable {
    var index: [EncounterKey: Int32] = [:]
    var keys: [EncounterKey] = []
    var billed: [Bool] = []
    var sources: [SourceSet] = []
    /// Where a key's entry is in `unbilled` (-1: its first row was billed).
    var unbilledAt: [Int32] = []
    var unbilled: [(reason: String?, fields: EncounterFields)] = []

    init(expected: Int) {
        index.reserveCapacity(expected); keys.reserveCapacity(expected); billed.reserveCapacity(expected)
        sources.reserveCapacity(expected); unbilledAt.reserveCapacity(expected)
    }

    @inline(__always) func add(_ key: EncounterKey, _ c: UnsafePointer<Charge>, billed b: Bool, reason: String?) {
        if let k = index[key].map(Int.init) {
            sources[k].formUnion(SourceSet(c.pointee.source))
            if b { billed[k] = true }
        } else {
            index[key] = Int32(keys.count)
            keys.append(key)
            billed.append(b)
            sources.append(SourceSet(c.pointee.source))
            if b {
                unbilledAt.append(-1)
            } else {
                unbilledAt.append(Int32(unbilled.count))
                unbilled.append((reason, EncounterFields(c.pointee)))
            }
        }
    }
}

/// Data rows handed from the evaluating thread to the sheet writer: each row's stored JSON
/// (concatenated; `ends[i]` < 0 marks a row given as cells instead), its column layout, and the
/// billing outcome.
struct DataRowBatch {
    var bytes: [UInt8] = []
    var ends: [Int] = []
    var cols: [[Int]] = []
    var billed: [Bool] = []
    var reasons: [String?] = []
    /// The row's bytes are `RowCells`, not JSON.
    var binary: [Bool] = []
    /// Each row's charge (a `RowCells` row's references stand for its columns), and its
    /// encounter key when the evaluating thread made it (with an EBS export).
    var charges: [Charge] = []
    var keys: [EncounterKey?] = []
    var fallback: [[CellValue]] = []
    var count: Int { ends.count }

    init() {
        bytes.reserveCapacity(256 << 10)
        ends.reserveCapacity(1024); cols.reserveCapacity(1024); billed.reserveCapacity(1024); reasons.reserveCapacity(1024)
        binary.reserveCapacity(1024); charges.reserveCapacity(1024); keys.reserveCapacity(1024)
    }

    mutating func add(json: UnsafeBufferPointer<UInt8>, charge: consuming Charge, key: EncounterKey?, cols c: [Int], billed b: Bool, reason: String?) {
        add(stored: json, binary: false, charge: charge, key: key, cols: c, billed: b, reason: reason)
    }

    /// A `RowCells` row (its references stand for its charge's columns).
    mutating func add(cells: UnsafeBufferPointer<UInt8>, charge: consuming Charge, key: EncounterKey?, cols c: [Int], billed b: Bool, reason: String?) {
        add(stored: cells, binary: true, charge: charge, key: key, cols: c, billed: b, reason: reason)
    }

    private mutating func add(stored: UnsafeBufferPointer<UInt8>, binary isBinary: Bool, charge: consuming Charge, key: EncounterKey?,
                              cols c: [Int], billed b: Bool, reason: String?) {
        bytes.append(contentsOf: stored)
        ends.append(bytes.count); cols.append(c); billed.append(b); reasons.append(reason); binary.append(isBinary)
        charges.append(charge); keys.append(key)
    }

    mutating func add(cells: [CellValue], charge: consuming Charge, key: EncounterKey?, billed b: Bool, reason: String?) {
        fallback.append(cells)
        ends.append(-1); cols.append([]); billed.append(b); reasons.append(reason); binary.append(false)
        charges.append(charge); keys.append(key)
    }
}
