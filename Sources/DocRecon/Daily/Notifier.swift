import Foundation

/// The one message at the end of a run: the run's report as JSON to a webhook (HTTP POST) and/or
/// an e-mail through SMTP (both libcurl). The report names files, counts and reasons only: no
/// patient value is in either.
public enum DailyNotifier {
    public static func send(_ report: DailyReport, config: DailyConfig) -> [DailyReport.Notification] {
        var out: [DailyReport.Notification] = []
        guard config.webhook != nil || config.email != nil else { return out }
        let session: CurlSession
        do { session = try CurlSession() } catch {
            return [.init(channel: "notify", to: "", status: "failed", error: "\(error)")]
        }
        if let w = config.webhook {
            let shown = shownURL(w.url)
            do {
                var headers = ["Content-Type: application/json"]
                if let t = w.token { headers.append("Authorization: Bearer \(try t.read())") }
                let body = try JSON.encoder(pretty: false).encode(report)
                let r = try session.http(method: "POST", url: w.url, headers: headers, body: body, timeout: w.timeout)
                if (200...299).contains(r.status) {
                    out.append(.init(channel: "webhook", to: shown, status: "sent", error: nil))
                } else {
                    out.append(.init(channel: "webhook", to: shown, status: "failed", error: "the webhook answered HTTP \(r.status)"))
                }
            } catch let f as TransferFailure {
                out.append(.init(channel: "webhook", to: shown, status: "failed", error: f.kind == .timeout
                                 ? "the webhook did not answer within \(EbsClient.format(w.timeout)) s" : "the webhook cannot be reached (\(f.detail))"))
            } catch {
                out.append(.init(channel: "webhook", to: shown, status: "failed", error: "\(error)"))
            }
        }
        if let e = config.email {
            do {
                let message = email(report, from: e.from, to: e.to)
                try session.smtpSend(url: e.server, from: e.from, to: e.to, message: message, username: e.username,
                                     password: try e.password?.read(), tls: CurlSession.SMTPTLS(rawValue: e.tls) ?? .required,
                                     timeout: e.timeout)
                out.append(.init(channel: "email", to: e.to.joined(separator: ", "), status: "sent", error: nil))
            } catch let f as TransferFailure {
                let why: String
                switch f.kind {
                case .login: why = "the mail server refused the login of '\(e.username ?? "")'"
                case .timeout: why = "the mail server did not answer within \(EbsClient.format(e.timeout)) s"
                case .connection: why = "the mail server cannot be reached (\(f.detail))"
                case .tls: why = "the mail server offers no usable TLS (\(f.detail)); set tls: try or none only on a trusted network"
                default: why = "the mail server refused the message (\(f.detail))"
                }
                out.append(.init(channel: "email", to: e.to.joined(separator: ", "), status: "failed", error: why))
            } catch {
                out.append(.init(channel: "email", to: e.to.joined(separator: ", "), status: "failed", error: "\(error)"))
            }
        }
        return out
    }

    /// An address without its query (which might carry a key) for messages.
    static func shownURL(_ url: String) -> String {
        guard var c = URLComponents(string: url) else { return "the webhook" }
        c.query = nil; c.user = nil; c.password = nil
        return c.string ?? "the webhook"
    }

    /// Subject and the lines of the summary a clerk reads (RFC 5322, CRLF line ends).
    static func email(_ r: DailyReport, from: String, to: [String]) -> Data {
        let subject = "DocRecon daily run \(r.date.iso): " + headline(r)
        var lines: [String] = []
        lines.append("Run \(r.runId) (\(r.kind)) for \(r.date.iso): \(headline(r)).")
        lines.append("")
        let added = r.scans.filter { $0.outcome == "added" || $0.outcome == "partial" }.count
        lines.append("Scans: \(r.scans.count) taken in (\(added) new, \(r.pages) pages read).")
        let rows = r.ice.reduce(0) { $0 + ($1.rows ?? 0) }, refusedRows = r.ice.reduce(0) { $0 + ($1.rejectedRows ?? 0) }
        lines.append("ICE exports: \(r.ice.count) taken in (\(rows) rows imported, \(refusedRows) rows refused).")
        if let e = r.ebs {
            lines.append("EBS: " + (e.error.map { "not reached: \($0)" } ?? "\(e.charges ?? 0) posted charges (\(e.source))"))
        }
        if let c = r.reconcile {
            lines.append("Reconciled: \(c.charges) charges, \(c.billed) billed, \(c.notBilled) not billed; ledger +\(c.ledgerAdded) new, "
                         + "\(c.ledgerUpdated) updated, \(c.ledgerResolved) resolved, \(c.openAfter) open.")
        } else if let why = r.reconcileSkipped {
            lines.append("Not reconciled: \(why).")
        }
        if !r.rejected.isEmpty {
            lines.append("")
            lines.append("Refused inputs (moved to the archive's rejected/ folder, each with its reason):")
            for x in r.rejected { lines.append("  \(x.file): \(x.reason)") }
        }
        for i in r.scans + r.ice { for p in i.problems ?? [] { lines.append("  \(i.file): \(p)") } }
        if !r.deliveries.isEmpty {
            lines.append("")
            lines.append("Deliveries:")
            for d in r.deliveries { lines.append("  \(d.file) -> \(d.to): \(d.status)\(d.error.map { " (\($0))" } ?? "")") }
        }
        if r.pendingAfter > 0 { lines.append("\(r.pendingAfter) workbook(s) wait for the next run.") }
        if !r.failures.isEmpty {
            lines.append("")
            lines.append("Problems:")
            for f in r.failures { lines.append("  \(f)") }
        }
        let date = DateFormatter()
        date.locale = Locale(identifier: "en_US_POSIX")
        date.dateFormat = "EEE, dd MMM yyyy HH:mm:ss Z"
        let headers = ["From: DocRecon <\(from)>", "To: \(to.map { "<\($0)>" }.joined(separator: ", "))", "Subject: \(subject)",
                       "Date: \(date.string(from: Date()))", "Message-ID: <docrecon-run-\(r.runId)-\(Int(r.startedAt.timeIntervalSince1970))@\(from.split(separator: "@").last ?? "localhost")>",
                       "MIME-Version: 1.0", "Content-Type: text/plain; charset=utf-8", "Content-Transfer-Encoding: 8bit"]
        // A line that is only "." would end the SMTP message early: libcurl escapes it (dot-stuffing).
        return Data((headers.joined(separator: "\r\n") + "\r\n\r\n" + lines.joined(separator: "\r\n") + "\r\n").utf8)
    }

    static func headline(_ r: DailyReport) -> String {
        switch r.status {
        case "ok": return "done"
        case "nothing_new": return "nothing new"
        case "rejected":
            let partly = (r.scans + r.ice).filter { !($0.problems ?? []).isEmpty }.count
            return "done, \(r.rejected.count) input(s) refused" + (partly > 0 ? ", \(partly) in part" : "")
        case "failed": return "\(r.failures.count) problem(s)"
        default: return r.status
        }
    }
}
