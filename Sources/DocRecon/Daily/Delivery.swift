import Foundation
#if canImport(Glibc)
import Glibc
#endif

/// Delivery of the workbooks to the outbox: a folder, or an SFTP server (libcurl). A
/// reconciliation writes its workbooks into the local `pending/` folder and queues them
/// (`daily_deliveries`); each run delivers what is queued. A workbook is written under a
/// temporary name (`.<name>.part`) and renamed when complete, so the reader on the other side
/// never sees half a workbook; once delivered it moves to `archive/yyyy-MM-dd/sent/`. A failed
/// delivery stays queued, with its reason, for the next run.
public enum DailyDelivery {
    public struct Outcome: Sendable {
        public var deliveries: [DailyReport.Delivery] = []
        public var failures: [String] = []
        public var pendingAfter = 0
    }

    public static func deliverQueued(db: AppDatabase, config: DailyConfig, runId: Int64, runDate: CalendarDate) -> Outcome {
        var out = Outcome()
        let queued: [DailyRunStore.QueuedWorkbook]
        do { queued = try DailyRunStore.pendingDeliveries(db) } catch {
            out.failures.append("delivery: the queue cannot be read (\(error))")
            return out
        }
        guard !queued.isEmpty else { return out }
        let sentFolder = DailyArchive.folder(archive: config.archive, date: runDate) + "/sent"
        var uploader: Uploader?
        var stopAll: String?
        for (i, w) in queued.enumerated() {
            let local = config.pending + "/" + w.name
            do {
                guard FileManager.default.fileExists(atPath: local) else {
                    // Moved to sent/ after delivery, but the run ended before it was recorded.
                    if (try? SHA256.hexOfFile(sentFolder + "/" + w.name)) == w.sha256 {
                        try DailyRunStore.markDelivered(db, id: w.id, runId: runId, destination: config.outbox.shown)
                        continue
                    }
                    try lost(db, w, "\(w.name) is no longer in \(config.pending); the next run makes it again")
                    out.failures.append("delivery: \(w.name) is no longer in \(config.pending); the next run reconciles \(w.date.iso) again")
                    continue
                }
                guard try SHA256.hexOfFile(local) == w.sha256 else {
                    try lost(db, w, "\(w.name) in pending/ is not the workbook queued; the next run makes it again")
                    out.failures.append("delivery: \(w.name) in \(config.pending) changed after it was queued; the next run reconciles \(w.date.iso) again")
                    continue
                }
            } catch {
                out.failures.append("delivery: \(w.name): \(error)")
                continue
            }
            if let reason = stopAll {
                try? DailyRunStore.markFailed(db, id: w.id, error: reason)
                out.deliveries.append(.init(file: w.name, to: config.outbox.shown, status: "failed", attempts: w.attempts + 1, error: reason))
                continue
            }
            do {
                if uploader == nil { uploader = try Uploader(config.outbox) }
                try uploader!.deliver(localPath: local, name: w.name)
                try DailyArchive.makeFolders(sentFolder)
                guard rename(local, sentFolder + "/" + w.name) == 0 else {
                    throw DailyFailure("cannot move \(local) to \(sentFolder) (\(String(cString: strerror(errno))))")
                }
                DailyArchive.syncFolder(sentFolder)
                try DailyRunStore.markDelivered(db, id: w.id, runId: runId, destination: config.outbox.shown)
                out.deliveries.append(.init(file: w.name, to: config.outbox.shown, status: "delivered", attempts: w.attempts + 1, error: nil))
            } catch {
                let reason = describe(error, config.outbox)
                try? DailyRunStore.markFailed(db, id: w.id, error: reason)
                out.deliveries.append(.init(file: w.name, to: config.outbox.shown, status: "failed", attempts: w.attempts + 1, error: reason))
                if let f = error as? TransferFailure, f.kind != .refused {
                    // The server is not reachable this way: one line for all the workbooks.
                    stopAll = reason
                    let waiting = queued.count - i
                    out.failures.append("outbox \(config.outbox.shown): \(reason); \(waiting) workbook\(waiting == 1 ? "" : "s") "
                                        + "wait in \(config.pending) for the next run")
                } else {
                    out.failures.append("outbox \(config.outbox.shown): \(w.name): \(reason); it waits in \(config.pending) for the next run")
                }
            }
        }
        out.pendingAfter = (try? DailyRunStore.pendingDeliveries(db).count) ?? 0
        return out
    }

    private static func lost(_ db: AppDatabase, _ w: DailyRunStore.QueuedWorkbook, _ reason: String) throws {
        try DailyRunStore.markLost(db, id: w.id, reason: reason)
        // The date's reconciliation is no longer delivered as made: the next run makes it again.
        try db.write { try $0.execute(sql: "DELETE FROM daily_reconciles WHERE run_date = ?", arguments: [w.date]) }
    }

    static func describe(_ error: Error, _ outbox: DailyConfig.Outbox) -> String {
        guard let f = error as? TransferFailure, case .sftp(let s) = outbox else { return "\(error)" }
        switch f.kind {
        case .login: return "the server refused the login of '\(s.user)' with the key \(s.keyFile)"
        case .hostKey: return "the server's host key is not the one in \(s.knownHosts) (or is not listed there): not sent"
        case .connection: return "cannot connect to \(s.host) port \(s.port) (\(f.detail))"
        case .timeout: return "the transfer did not finish within \(EbsClient.format(s.timeout)) s"
        case .tls: return "the secure connection failed (\(f.detail))"
        case .refused: return "the server refused the upload (\(f.detail))"
        case .other: return "the upload failed (\(f.detail))"
        }
    }

    /// One destination's transfers (one libcurl session for all the workbooks of a run).
    final class Uploader {
        let outbox: DailyConfig.Outbox
        private var session: CurlSession?

        init(_ outbox: DailyConfig.Outbox) throws {
            self.outbox = outbox
            if case .sftp = outbox { session = try CurlSession() }
        }

        func deliver(localPath: String, name: String) throws {
            switch outbox {
            case .folder(let dir):
                try DailyArchive.makeFolders(dir)
                let part = dir + "/." + name + ".part"
                try DailyArchive.copyFile(localPath, to: part)
                guard rename(part, dir + "/" + name) == 0 else {
                    unlink(part)
                    throw DailyFailure("cannot write \(dir)/\(name) (\(String(cString: strerror(errno))))")
                }
                DailyArchive.syncFolder(dir)
            case .sftp(let s):
                // The URL's path is absolute; `/~/…` is below the login's home folder.
                let remote = s.folder.hasPrefix("/~/") ? String(s.folder.dropFirst(3)) : s.folder
                let part = "." + name + ".part"
                let url = "sftp://\(encode(s.user, userInfo: true))@\(s.host.contains(":") ? "[\(s.host)]" : s.host):\(s.port)"
                    + encode(s.folder, userInfo: false) + encode(part, userInfo: false)
                var login = CurlSession.SSHLogin(privateKeyFile: s.keyFile, knownHostsFile: s.knownHosts)
                if let p = s.publicKeyFile { login.publicKeyFile = p }
                if let p = s.passphrase { login.passphrase = try p.read() }
                // SFTP's rename does not replace: the earlier delivery of the same name goes first
                // ('*': its absence is no failure). The final name exists only once complete.
                try session!.sftpUpload(localPath: localPath, url: url, login: login,
                                        postQuote: ["*rm \(quote(remote + name))", "rename \(quote(remote + part)) \(quote(remote + name))"],
                                        createFolders: true, timeout: s.timeout, maxBytesPerSecond: s.maxBytesPerSecond)
            }
        }

        private func encode(_ s: String, userInfo: Bool) -> String {
            let allowed = CharacterSet(charactersIn: "ABCDEFGHIJKLMNOPQRSTUVWXYZabcdefghijklmnopqrstuvwxyz0123456789-._~"
                                       + (userInfo ? "" : "/"))
            return s.addingPercentEncoding(withAllowedCharacters: allowed) ?? s
        }

        /// A path as one argument of libcurl's SFTP quote commands.
        private func quote(_ path: String) -> String {
            "\"" + path.replacingOccurrences(of: "\\", with: "\\\\").replacingOccurrences(of: "\"", with: "\\\"") + "\""
        }
    }
}
