import Foundation
#if canImport(Glibc)
import Glibc
#endif

/// `docrecon watch`: stays running. The kernel's file events (inotify) on both inboxes wake it, a
/// periodic rescan catches what events miss (network file systems, a full event queue). A file is
/// taken once it has settled: its size and modification time unchanged for `settle_s` (a file still
/// being copied is left alone). Settled files go through an intake pass (ingest / import, archive);
/// at `reconcile_at` each day a full pass reconciles, delivers and notifies. SIGTERM or SIGINT
/// stops it after the current file (each page commits alone: a page being read when the grace
/// period runs out is simply not committed, and is read again by the next start).
public final class DailyWatcher {
    public let config: DailyConfig
    let lock: RunLock
    let makeRun: () throws -> DailyRun
    public var say: (String) -> Void = { printError($0) }
    /// Each pass's report (the CLI prints a line per pass).
    public var onPass: (DailyReport) -> Void = { _ in }

    public init(config: DailyConfig, lock: RunLock, makeRun: @escaping () throws -> DailyRun) {
        self.config = config; self.lock = lock; self.makeRun = makeRun
    }

    private struct Candidate {
        var file: InboxFile
        var stableSince: Date
    }

    /// Runs until SIGTERM or SIGINT; returns the exit code (0: stopped cleanly).
    public func run() throws -> Int32 {
        guard let at = config.reconcileAt else {
            throw DailyFailure("\(config.file): watch needs reconcile_at: \"HH:mm\" (when to reconcile and deliver each day)")
        }
        let stop = StopSignal.install()
        let inotify = inotify_init1(Int32(IN_NONBLOCK | IN_CLOEXEC))
        guard inotify >= 0 else { throw DailyFailure("watch: inotify is not available (\(String(cString: strerror(errno))))") }
        defer { close(inotify) }
        var watched: [Int32: String] = [:]
        func watchTree(_ root: String) {
            var dirs = [root]
            while let d = dirs.popLast() {
                let wd = inotify_add_watch(inotify, d, UInt32(IN_CLOSE_WRITE | IN_MOVED_TO | IN_CREATE | IN_MODIFY | IN_ATTRIB | IN_DELETE))
                if wd >= 0 { watched[wd] = d }
                if let names = try? FileManager.default.contentsOfDirectory(atPath: d) {
                    for n in names where !n.hasPrefix(".") {
                        var isDir: ObjCBool = false
                        let p = d + "/" + n
                        if FileManager.default.fileExists(atPath: p, isDirectory: &isDir), isDir.boolValue, !watched.values.contains(p) { dirs.append(p) }
                    }
                }
            }
        }
        watchTree(config.inbox)
        watchTree(config.iceInbox)
        say("watch: watching \(config.inbox) and \(config.iceInbox); reconciling at \(at) each day (stop with SIGTERM or Ctrl-C)")

        var candidates: [String: Candidate] = [:]
        /// Files a pass took but could not move out of the inbox: not taken again until they change.
        var taken: [String: InboxFile] = [:]
        var nextRescan = Date()
        var scheduledDone: CalendarDate? = try lastScheduledDate()
        var scheduledRetryAt: Date?
        var lockBusySaid = false
        var buffer = [UInt8](repeating: 0, count: 64 * 1024)
        let settle = max(config.settleSeconds, 0.5)

        while !stop.requested {
            let now = Date()
            // When to wake: the rescan, a settling file's next look, the time to reconcile.
            var wait = nextRescan.timeIntervalSince(now)
            if !candidates.isEmpty { wait = min(wait, 0.25) }
            if let d = untilReconcile(at, done: scheduledDone, retryAt: scheduledRetryAt, now: now) { wait = min(wait, d) }
            var fds = [pollfd(fd: inotify, events: Int16(POLLIN), revents: 0), pollfd(fd: stop.readFD, events: Int16(POLLIN), revents: 0)]
            _ = poll(&fds, 2, Int32(max(0, min(wait, 3600)) * 1000))
            if stop.requested { break }
            var changed = false
            while true {
                let n = read(inotify, &buffer, buffer.count)
                if n <= 0 { break }
                changed = true
                var off = 0
                while off + MemoryLayout<inotify_event>.size <= n {
                    let (wd, mask, len) = buffer.withUnsafeBytes { raw -> (Int32, UInt32, Int) in
                        let e = raw.loadUnaligned(fromByteOffset: off, as: inotify_event.self)
                        return (e.wd, e.mask, Int(e.len))
                    }
                    if mask & UInt32(IN_ISDIR) != 0, mask & UInt32(IN_CREATE | IN_MOVED_TO) != 0, let dir = watched[wd], len > 0 {
                        let nameBytes = buffer[(off + MemoryLayout<inotify_event>.size)..<(off + MemoryLayout<inotify_event>.size + len)]
                        let name = String(decoding: nameBytes.prefix { $0 != 0 }, as: UTF8.self)
                        if !name.hasPrefix(".") { watchTree(dir + "/" + name) }
                    }
                    off += MemoryLayout<inotify_event>.size + len
                }
            }
            let rescan = Date() >= nextRescan
            if rescan { nextRescan = Date().addingTimeInterval(config.rescanSeconds) }
            if changed || rescan || !candidates.isEmpty {
                // Look at every file again: new ones become candidates, a changed one starts settling anew.
                let t = Date()
                var seen = Set<String>()
                for (inbox, root) in [("scan", config.inbox), ("ice", config.iceInbox)] {
                    for f in DailyArchive.list(root) {
                        let key = inbox + ":" + f.path
                        seen.insert(key)
                        if let old = taken[key], old.size == f.size, old.mtime == f.mtime { continue }
                        taken[key] = nil
                        if let c = candidates[key], c.file.size == f.size, c.file.mtime == f.mtime { continue }
                        candidates[key] = Candidate(file: f, stableSince: t)
                    }
                }
                for k in candidates.keys where !seen.contains(k) { candidates[k] = nil }
                for k in taken.keys where !seen.contains(k) { taken[k] = nil }
            }
            let t = Date()
            let readyKeys = candidates.filter { _, c in
                t.timeIntervalSince(c.stableSince) >= settle
                    && t.timeIntervalSince1970 - Double(c.file.mtime) / 1e9 >= settle
            }.keys.sorted()
            let due = untilReconcile(at, done: scheduledDone, retryAt: scheduledRetryAt, now: t).map { $0 <= 0 } ?? false
            guard !readyKeys.isEmpty || due else { continue }
            do { try lock.acquire(wait: .no, what: "watch") } catch {
                if !lockBusySaid { say("watch: \(error)"); lockBusySaid = true }
                continue
            }
            lockBusySaid = false
            defer { lock.release() }
            if !readyKeys.isEmpty {
                var o = DailyRun.Options(date: CalendarDate.today())
                o.kind = "watch"
                o.reconcile = false
                o.notify = false
                o.oneFileAtATime = true
                o.scans = readyKeys.filter { $0.hasPrefix("scan:") }.map { candidates[$0]!.file }
                o.iceFiles = readyKeys.filter { $0.hasPrefix("ice:") }.map { candidates[$0]!.file }
                for k in readyKeys { taken[k] = candidates[k]!.file; candidates[k] = nil }
                try pass(o, stop: stop)
            }
            if due && !stop.requested {
                let today = CalendarDate.today()
                var o = DailyRun.Options(date: today)
                o.kind = "scheduled"
                let report = try pass(o, stop: stop)
                if report.status == "failed" {
                    // EBS down, the outbox unreachable: tried again later the same day.
                    scheduledRetryAt = Date().addingTimeInterval(max(config.rescanSeconds, 300))
                } else {
                    scheduledDone = today
                    scheduledRetryAt = nil
                }
            }
        }
        say("watch: stopped (\(stop.signalName))")
        return 0
    }

    @discardableResult
    private func pass(_ o: DailyRun.Options, stop: StopSignal) throws -> DailyReport {
        let run = try makeRun()
        run.say = say
        run.shouldStop = { stop.requested }
        stop.beginWork(grace: config.stopGraceSeconds, say: { printError($0) })
        defer { stop.endWork() }
        let report = try run.perform(o)
        onPass(report)
        return report
    }

    /// Seconds until today's reconciliation is due (≤ 0: now), nil when it is done for today.
    private func untilReconcile(_ at: TimeOfDay, done: CalendarDate?, retryAt: Date?, now: Date) -> Double? {
        let today = CalendarDate.today(now)
        guard done != today else { return nil }
        let c = Calendar.current.dateComponents([.hour, .minute, .second, .nanosecond], from: now)
        let secondsNow = Double(c.hour! * 3600 + c.minute! * 60 + c.second!) + Double(c.nanosecond!) / 1e9
        var d = Double(at.secondsOfDay) - secondsNow
        if let r = retryAt { d = max(d, r.timeIntervalSince(now)) }
        return d
    }

    private func lastScheduledDate() throws -> CalendarDate? {
        let today = CalendarDate.today()
        let runs = try DailyRunStore.list(try makeRun().db, limit: 200)
        return runs.contains { $0.kind == "scheduled" && $0.date == today && ["ok", "nothing_new", "rejected"].contains($0.status) } ? today : nil
    }
}

/// SIGTERM / SIGINT for `watch`: the handler only sets a flag and writes a byte to a pipe (both
/// async-signal-safe); the loop polls the pipe. While a pass runs, a watchdog gives it
/// `stop_grace_s` to finish its current file, then ends the process (nothing uncommitted is kept).
final class StopSignal: @unchecked Sendable {
    nonisolated(unsafe) private static var writeFD: Int32 = -1
    nonisolated(unsafe) private static var caught: Int32 = 0
    let readFD: Int32
    private let state = NSLock()
    private var working = false
    private var watchdog: Thread?

    private init(readFD: Int32) { self.readFD = readFD }

    static func install() -> StopSignal {
        var fds: [Int32] = [0, 0]
        _ = pipe(&fds)
        for fd in fds { _ = fcntl(fd, F_SETFD, FD_CLOEXEC); _ = fcntl(fd, F_SETFL, fcntl(fd, F_GETFL) | O_NONBLOCK) }
        writeFD = fds[1]
        let handler: @convention(c) (Int32) -> Void = { sig in
            StopSignal.caught = sig
            var b: UInt8 = 1
            _ = write(StopSignal.writeFD, &b, 1)
        }
        signal(SIGTERM, handler)
        signal(SIGINT, handler)
        return StopSignal(readFD: fds[0])
    }

    var requested: Bool { StopSignal.caught != 0 }
    var signalName: String { StopSignal.caught == SIGINT ? "SIGINT" : StopSignal.caught == SIGTERM ? "SIGTERM" : "stop" }

    func beginWork(grace: Double, say: @escaping @Sendable (String) -> Void) {
        state.lock(); working = true; state.unlock()
        let t = Thread { [self] in
            while self.isWorking {
                if self.requested {
                    say("watch: \(self.signalName): finishing the current file (at most \(EbsClient.format(grace)) s)")
                    let deadline = Date().addingTimeInterval(grace)
                    while self.isWorking && Date() < deadline { usleep(50_000) }
                    if self.isWorking {
                        say("watch: stopped before the current file was finished; what it had not committed is read again at the next start")
                        _exit(0)
                    }
                    return
                }
                usleep(50_000)
            }
        }
        t.name = "watch-stop"
        t.start()
        watchdog = t
    }

    func endWork() { state.lock(); working = false; state.unlock() }
    private var isWorking: Bool { state.lock(); defer { state.unlock() }; return working }
}
