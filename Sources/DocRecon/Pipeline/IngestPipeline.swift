import CLeptFast
import Foundation
import GRDB

/// What `ingest` reports (and prints with `--json`).
public struct IngestSummary: Codable, Sendable {
    public struct DocumentRef: Codable, Sendable { public var id: Int64; public var name: String }
    public var added = 0
    public var alreadyPresent = 0
    public var rejected: [Rejection] = []
    public var documents: [DocumentRef] = []
    public var pages = 0
    public var words = 0
    public var seconds = 0.0
}

public struct IngestOptions: Sendable {
    public var jobs: Int
    public var read: ReadSettings
    public var showProgress: Bool
    public init(jobs: Int = ProcessEnvironment.cpuCount, read: ReadSettings, showProgress: Bool = false) {
        self.jobs = max(1, jobs); self.read = read; self.showProgress = showProgress
    }
}

/// The pipeline driver: the one place with concurrency. This thread admits files one by one
/// (hashed, checked, original stored, row committed) and is the single database writer; as soon as
/// a file's pages are known they go to `jobs` reader threads, each with its own Tesseract handle
/// created once, so reading starts while later files are still being admitted. Every page commits
/// with its words in one transaction, so a crash at any point leaves nothing half-written and a
/// re-run picks up exactly the pages that are missing.
public final class IngestPipeline {
    public let db: AppDatabase
    public let options: IngestOptions
    /// Called by the writer after a document's pages are all committed (extraction hooks in here).
    public var afterDocument: ((Int64) throws -> Void)?
    /// Called for each rejection as it happens (the CLI prints the line right away).
    public var onRejection: ((Rejection) -> Void)?

    public init(db: AppDatabase, options: IngestOptions) {
        self.db = db
        self.options = options
    }

    struct PageTask: Sendable {
        let documentId: Int64
        let kind: DocumentKind
        let path: String
        let number: Int
    }

    enum Admission {
        case added(Document, pending: [Int])
        case resumed(Document, pending: [Int])
        case present(Document)
        case rejected(Rejection)
    }

    public func run(paths: [String]) throws -> IngestSummary {
        let started = DispatchTime.now()
        var summary = IngestSummary()
        let (files, walkRejections) = InputWalker.expand(paths, skipping: db.ownFiles)
        for r in walkRejections { reject(r, into: &summary) }

        var pendingByDoc: [Int64: Int] = [:]
        var docsById: [Int64: Document] = [:]
        let progress = ProgressReporter(enabled: options.showProgress, totalFiles: files.count, totalPages: 0)
        // Heaviest pages first (bytes per page stand in for OCR cost: dense forms are bigger), so
        // the batch does not end with one worker busy on a slow page while the others idle.
        let queue = WorkQueue<PageTask>()
        let channel = RowPipe<Result<PageOutcome, PageFailure>>(capacity: options.jobs)
        let settings = options.read
        let initFailure = LockedBox<String?>(nil)
        var workers = 0
        var queued = 0
        var slots: [ReaderSlot<PageTask>] = []
        // A reader starts when there is a page for it (a batch of one page starts one Tesseract).
        func addWorkers() {
            while slots.count < min(options.jobs, queued) { startReader() }
        }
        func startReader() {
            if workers == 0 { ProcessEnvironment.keepFreedPageMemory() }
            workers += 1
            let slot = ReaderSlot<PageTask>()
            slots.append(slot)
            channel.addProducer()
            startWorker(name: "ocr-\(workers)") {
                // An abandoned reader's producer count was settled by the watchdog.
                var abandoned = false
                defer { if !abandoned { channel.producerFinished() } }
                let reader: PageReader
                do { reader = try PageReader(settings: settings) } catch {
                    initFailure.set("\(error)")
                    while let t = queue.next() {
                        try? channel.push(.failure(PageFailure(documentId: t.documentId, number: t.number, reason: "\(error)")))
                    }
                    return
                }
                while let t = queue.next() {
                    slot.begin(t)
                    let result: Result<PageOutcome, PageFailure>
                    do {
                        result = .success(try reader.read(documentId: t.documentId, kind: t.kind, path: t.path, number: t.number))
                    } catch {
                        result = .failure(PageFailure(documentId: t.documentId, number: t.number, reason: "\(error)"))
                    }
                    guard slot.end() else { abandoned = true; return }
                    try? channel.push(result)
                }
            }
        }
        // The watchdog: a page still being read after its deadline and a grace (Tesseract stops
        // at the deadline by itself; this catches a call stuck in poppler, cairo or Leptonica) is
        // committed as failed, its reader abandoned and replaced.
        let abandonAfter = settings.pageSeconds + max(5, settings.pageSeconds / 10)
        func abandonOverdue() throws {
            for slot in slots {
                guard let t = slot.overdue(after: abandonAfter) else { continue }
                slots.removeAll { $0 === slot }
                Log.logger("ingest").warning("page \(t.number) of document \(t.documentId): abandoned after \(Int(abandonAfter)) s")
                try store(.failure(PageFailure(documentId: t.documentId, number: t.number,
                                               reason: PageDeadline(seconds: settings.pageSeconds, abandoned: true).description)))
                channel.producerFinished()
                if !queue.isDrained { startReader() }
            }
        }
        var committed = 0
        func store(_ result: Result<PageOutcome, PageFailure>) throws {
            let docId: Int64
            current = docsById[result.documentId]?.originalPath ?? current
            switch result {
            case .success(let outcome):
                docId = outcome.documentId
                try commit(outcome)
                summary.pages += 1
                summary.words += outcome.words.count
                // A blank or unreadable page is kept (a re-run does not read it again) but is no
                // success: it is named, and counts as rejected.
                if !outcome.page.status.isRead, let d = docsById[docId] {
                    reject(Rejection(file: d.originalPath, page: outcome.number,
                                     reason: outcome.page.error ?? "the page is \(outcome.page.status.rawValue)"), into: &summary)
                }
            case .failure(let f):
                docId = f.documentId
                try commitFailure(f)
                if let d = docsById[f.documentId] {
                    reject(Rejection(file: d.originalPath, page: f.number, reason: PageFailure.plain(f.reason, page: f.number)), into: &summary)
                }
            }
            progress.page()
            committed += 1
            if committed % 48 == 0 { ProcessEnvironment.returnFreedMemory() }
            pendingByDoc[docId, default: 1] -= 1
            if pendingByDoc[docId] == 0 {
                progress.file()
                try finish(documentId: docId, summary: &summary)
            }
        }

        // The input being stored, for a disk-full line.
        var current: String?
        do {
            // 1. Admission, serial; pages are queued as each file is taken in, and what the readers
            //    have finished meanwhile is committed between files.
            for file in files {
                current = file
                switch try admit(file) {
                case .rejected(let r):
                    reject(r, into: &summary)
                case .present(let d):
                    summary.alreadyPresent += 1
                    summary.documents.append(.init(id: d.id!, name: d.originalName))
                    // Read before a crash but never extracted (no type yet): extraction resumes now.
                    if d.docType == nil, d.status == .ocred || d.status == .partial { try afterDocument?(d.id!) }
                case .added(let d, let pending), .resumed(let d, let pending):
                    let id = d.id!
                    docsById[id] = d
                    // A document resumed after a crash is added by this run as much as a new one.
                    summary.added += 1
                    summary.documents.append(.init(id: id, name: d.originalName))
                    pendingByDoc[id] = pending.count
                    if pending.isEmpty {
                        // Every page was committed before a crash: it only needs finishing.
                        try finish(documentId: id, summary: &summary)
                    } else {
                        queue.add(pending.map { PageTask(documentId: id, kind: d.kind, path: d.storedPath, number: $0) },
                                  weight: d.byteSize / Int64(max(1, d.pageCount)))
                        queued += pending.count
                        progress.addPages(pending.count)
                        addWorkers()
                    }
                }
                while let r = channel.tryPop() { try store(r) }
                try abandonOverdue()
            }
            queue.close()
            channel.noMoreProducers()
            // 2. The rest of the pages, committed as the readers hand them over.
            while true {
                let (r, closed) = channel.pop(waitingAtMost: 1)
                if let r { try store(r) } else if closed { break }
                try abandonOverdue()
            }
        } catch {
            // Stop the readers before giving up: queued pages are dropped, what they hold is discarded.
            queue.cancel()
            channel.noMoreProducers()
            while true {
                let (r, closed) = channel.pop(waitingAtMost: 1)
                if r == nil && closed { break }
                for slot in slots where slot.overdue(after: abandonAfter) != nil { channel.producerFinished() }
            }
            if DiskFull.isFull(error) {
                throw db.diskFull(error, input: current, outcome: "what it did not store is read again by the next ingest once there is room")
            }
            throw error
        }
        progress.finish()
        if let e = initFailure.get() { throw CLIFailure(message: e) }
        summary.documents.sort { $0.id < $1.id }
        summary.seconds = (seconds(since: started) * 100).rounded() / 100
        Log.logger("ocr").debug("""
            Leptonica calls served by CLeptFast: \(docrecon_lept_fast_morph_calls()) morphology, \
            \(docrecon_lept_fast_png_calls()) line PNGs, \(docrecon_lept_fast_rotate_calls()) rotations
            """)
        return summary
    }

    /// Documents whose row this run inserted (the others were resumed after a crash).
    private var addedThisRun = Set<Int64>()
    /// Every document this run has taken in, new or resumed.
    private var admittedThisRun = Set<Int64>()

    private func reject(_ r: Rejection, into summary: inout IngestSummary) {
        summary.rejected.append(r)
        onRejection?(r)
    }

    /// Hashes, sniffs and checks one file; stores its original and row when it is new.
    func admit(_ path: String) throws -> Admission {
        let name = (path as NSString).lastPathComponent
        // Rejection lines name the file as the user can find it (the path as walked).
        let shown = path
        let data: Data
        do {
            data = try Data(contentsOf: URL(fileURLWithPath: path), options: .mappedIfSafe)
        } catch {
            let reason = access(path, R_OK) != 0 ? "it cannot be read (permission denied)" : "it cannot be read"
            return .rejected(Rejection(file: shown, reason: reason))
        }
        let kind: DocumentKind
        switch Sniffer.sniff(data) {
        case .rejected(let why): return .rejected(Rejection(file: shown, reason: why))
        case .kind(let k): kind = k
        }
        let sha = SHA256.hexDigest(of: data)
        if let existing = try db.read({ try Document.filter(Column("sha256") == sha).fetchOne($0) }) {
            // The same bytes twice in one batch: the first copy's pages are already queued.
            if admittedThisRun.contains(existing.id!) { return .present(existing) }
            admittedThisRun.insert(existing.id!)
            return try known(existing, shown: shown)
        }
        // Check before storing anything: a rejected file leaves no trace. The check runs the
        // decoders (poppler, Leptonica) on the untrusted bytes, so it has a deadline too.
        let maxPixels = options.read.maxPixels
        // (Opening reads headers only: at least 5 s, whatever the page deadline.)
        let openSeconds = max(5, options.read.pageSeconds)
        let check = try withDeadline(seconds: openSeconds) { () -> Result<Int, Rejection> in
            Self.pageCount(of: data, kind: kind, path: path, shown: shown, maxPixels: maxPixels)
        }
        guard let check else {
            return .rejected(Rejection(file: shown, reason: "opening it took longer than the deadline of \(PageDeadline.shown(openSeconds)) s; it was abandoned (--page-timeout)"))
        }
        let pageCount: Int
        switch check {
        case .failure(let r): return .rejected(r)
        case .success(let n): pageCount = n
        }
        guard let originals = db.originals else { throw StoreError.io("this database has no originals folder") }
        let stored = try originals.store(data, sha256: sha, ext: Sniffer.fileExtension(kind))
        let doc = Document(sha256: sha, originalName: name, originalPath: (path as NSString).standardizingPath,
                           storedPath: stored, kind: kind, byteSize: Int64(data.count), pageCount: pageCount,
                           status: .stored)
        // Another ingest of the same file may have stored it since the read above (issue 21: two
        // ingests of one folder at once): then this one helps finish it instead of failing on
        // the unique hash.
        let (row, isNew) = try db.write { db -> (Document, Bool) in
            if let other = try Document.filter(Column("sha256") == sha).fetchOne(db) { return (other, false) }
            return (try doc.inserted(db), true)
        }
        admittedThisRun.insert(row.id!)
        guard isNew else { return try known(row, shown: shown) }
        addedThisRun.insert(row.id!)
        return .added(row, pending: Array(1...pageCount))
    }

    /// The number of pages of an untrusted file, or why it is refused (opened, never decoded whole).
    static func pageCount(of data: Data, kind: DocumentKind, path: String, shown: String, maxPixels: Int) -> Result<Int, Rejection> {
        switch kind {
        case .pdf:
            let count: Int
            do { count = try PDFDocument(path: path).pageCount } catch {
                return .failure(Rejection(file: shown, reason: "\(error)"))
            }
            return count == 0 ? .failure(Rejection(file: shown, reason: PDFError.noPages.description)) : .success(count)
        case .tiff:
            let count = Pix.tiffPageCount(data)
            return count == 0 ? .failure(Rejection(file: shown, reason: "the TIFF has no readable pages")) : .success(count)
        case .png, .jpeg:
            guard let size = Pix.header(of: data) else {
                return .failure(Rejection(file: shown, reason: "the \(kind == .png ? "PNG" : "JPEG") image is damaged"))
            }
            if size.width * size.height > maxPixels {
                return .failure(Rejection(file: shown, reason: "the image claims \(size.width) × \(size.height) pixels, above the limit of \(maxPixels)"))
            }
            return .success(1)
        }
    }

    /// A file whose document is stored already (by an earlier run, or by another ingest meanwhile):
    /// its missing pages are read, or it is present, or rejected again with its reason.
    private func known(_ existing: Document, shown: String) throws -> Admission {
        switch existing.status {
        case .stored:
            let done = try db.read { db in
                try Int.fetchSet(db, sql: "SELECT number FROM pages WHERE document_id = ?", arguments: [existing.id!])
            }
            let pending = (1...max(1, existing.pageCount)).filter { !done.contains($0) }
            return .resumed(existing, pending: existing.pageCount == 0 ? [] : pending)
        case .failed, .blank, .unreadable:
            return .rejected(Rejection(file: shown, reason: existing.error ?? "it could not be read"))
        case .ocred, .partial, .extracted:
            return .present(existing)
        }
    }

    private func commit(_ o: PageOutcome) throws {
        try db.write { db in
            // Committed meanwhile by another ingest of the same file: its words stand.
            if try Page.filter(Column("document_id") == o.documentId && Column("number") == o.number).fetchCount(db) > 0 { return }
            var page = o.page
            try page.insert(db)
            let pageId = page.id!
            let stmt = try db.cachedStatement(sql: """
                INSERT INTO words (page_id, text, x0, y0, x1, y1, confidence, block, line, word_index)
                VALUES (?, ?, ?, ?, ?, ?, ?, ?, ?, ?)
                """)
            for w in o.words {
                try stmt.execute(arguments: [pageId, w.text, w.box.x0, w.box.y0, w.box.x1, w.box.y1,
                                             (w.confidence / 100 * 1000).rounded() / 1000, w.block, w.line, w.word])
            }
            if var form = o.form {
                form.pageId = pageId
                try form.insert(db)
            }
        }
    }

    private func commitFailure(_ f: PageFailure) throws {
        let dpi = options.read.dpi
        try db.write { db in
            if try Page.filter(Column("document_id") == f.documentId && Column("number") == f.number).fetchCount(db) > 0 { return }
            var page = Page(documentId: f.documentId, number: f.number, width: 0, height: 0, dpi: dpi,
                            source: .ocr, status: .failed, error: PageFailure.plain(f.reason, page: f.number))
            try page.insert(db)
        }
    }

    /// Sets the document's status from its pages, then runs what follows OCR (extraction).
    private func finish(documentId: Int64, summary: inout IngestSummary) throws {
        let status: DocumentStatus = try db.write { db in
            guard var doc = try Document.fetchOne(db, key: documentId) else { return .failed }
            let pages = try Page.filter(Column("document_id") == documentId).order(Column("number")).fetchAll(db)
            let notRead = pages.filter { !$0.status.isRead }
            let total = pages.count
            if notRead.count == total && total > 0 {
                if notRead.allSatisfy({ $0.status == .blank }) { doc.status = .blank }
                else if notRead.contains(where: { $0.status == .unreadable }) { doc.status = .unreadable }
                else { doc.status = .failed }
                let first = notRead[0]
                doc.error = notRead.count == 1 ? first.error
                    : "no page could be read (page \(first.number): \(first.error ?? first.status.rawValue))"
            } else {
                doc.status = notRead.isEmpty ? .ocred : .partial
                doc.error = notRead.isEmpty ? nil : "pages \(notRead.map { String($0.number) }.joined(separator: ", ")) could not be read"
            }
            doc.updatedAt = Date()
            try doc.update(db)
            return doc.status
        }
        if status.isRejected {
            if addedThisRun.contains(documentId) { summary.added -= 1 }
            summary.documents.removeAll { $0.id == documentId }
            return
        }
        try afterDocument?(documentId)
    }
}

extension Result where Success == PageOutcome, Failure == PageFailure {
    var documentId: Int64 {
        switch self { case .success(let o): return o.documentId; case .failure(let f): return f.documentId }
    }
}

struct PageFailure: Error, Sendable {
    let documentId: Int64
    let number: Int
    let reason: String

    /// Page-level reasons without the "page N" prefix the rejection line already carries.
    static func plain(_ reason: String, page: Int) -> String {
        let prefix = "page \(page) cannot be read ("
        if reason.hasPrefix(prefix), reason.hasSuffix(")") {
            return String(reason.dropFirst(prefix.count).dropLast())
        }
        return reason
    }
}

public struct CLIFailure: Error, CustomStringConvertible {
    public let message: String
    public var description: String { message }
}

final class LockedBox<T>: @unchecked Sendable {
    private let lock = NSLock()
    private var value: T
    init(_ v: T) { value = v }
    func set(_ v: T) { lock.lock(); value = v; lock.unlock() }
    func get() -> T { lock.lock(); defer { lock.unlock() }; return value }
}
