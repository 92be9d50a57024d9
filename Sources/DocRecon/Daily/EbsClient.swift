import Foundation
import Yams

/// What EBS' HTTP answers mean to a clerk: `http:` in Rules/sources/ebs.yaml. `errors` maps the
/// code of an error answer (`{"error": {"code": "TOKEN_EXPIRED", "message": "…"}}`) to a reason;
/// `statuses` maps an HTTP status that came without a known code; `other` is the rest
/// (`{status}` is replaced by the status).
public struct EbsHTTPRules: Sendable, Equatable {
    public var errors: [String: String] = [:]
    public var statuses: [Int: String] = [:]
    public var other = "EBS answered with an error (HTTP {status})"

    public init() {}

    public static func load(rulesDir: String?) throws -> EbsHTTPRules {
        guard let dir = rulesDir ?? ProjectPaths.rules else {
            throw DailyConfigError(file: "Rules/sources/ebs.yaml", line: nil, message: "cannot find the Rules/ folder")
        }
        let path = "\(dir)/sources/ebs.yaml"
        guard let data = FileManager.default.contents(atPath: path) else {
            throw DailyConfigError(file: "sources/ebs.yaml", line: nil, message: "cannot be read in \(dir)")
        }
        return try parse(String(decoding: data, as: UTF8.self), file: "sources/ebs.yaml")
    }

    /// The `http:` section of ebs.yaml (the rest of the file is the export's column map).
    public static func parse(_ text: String, file: String) throws -> EbsHTTPRules {
        func fail(_ n: Node?, _ m: String) -> DailyConfigError { DailyConfigError(file: file, line: n?.mark?.line, message: m) }
        let root: Node?
        do { root = try Yams.compose(yaml: text) } catch { throw fail(nil, "not valid YAML: \(error)") }
        var rules = EbsHTTPRules()
        guard let http = root?.mapping?["http"] else { return rules }
        guard let m = http.mapping else { throw fail(http, "http must be a mapping (errors, statuses, other)") }
        for (k, v) in m {
            switch k.string {
            case "errors":
                guard let em = v.mapping else { throw fail(v, "http errors must map EBS error codes to reasons") }
                for (code, reason) in em {
                    guard let c = code.string, !c.isEmpty, let r = reason.string, !r.isEmpty else {
                        throw fail(code, "http errors: each EBS code needs a reason as text")
                    }
                    rules.errors[c] = r
                }
            case "statuses":
                guard let sm = v.mapping else { throw fail(v, "http statuses must map HTTP statuses to reasons") }
                for (code, reason) in sm {
                    guard let s = code.string.flatMap(Int.init), (400...599).contains(s) else {
                        throw fail(code, "http statuses: '\(code.string ?? "")' is not an HTTP error status (400-599)")
                    }
                    guard let r = reason.string, !r.isEmpty else { throw fail(reason, "http statuses \(s): the reason must be text") }
                    rules.statuses[s] = r
                }
            case "other":
                guard let r = v.string, !r.isEmpty else { throw fail(v, "http other must be a reason as text") }
                rules.other = r
            default:
                throw fail(k, "unknown key '\(k.string ?? "")' in http (expected errors, statuses, other)")
            }
        }
        return rules
    }

    /// The clerk's reason for an error answer.
    public func reason(status: Int, body: Data) -> String {
        if let code = EbsHTTPRules.errorCode(body), let r = errors[code] { return r }
        if let r = statuses[status] { return r }
        return other.replacingOccurrences(of: "{status}", with: String(status))
    }

    static func errorCode(_ body: Data) -> String? {
        guard let obj = try? JSONSerialization.jsonObject(with: body) as? [String: Any] else { return nil }
        if let e = obj["error"] as? [String: Any], let c = e["code"] as? String { return c }
        if let c = obj["code"] as? String { return c }
        return nil
    }
}

/// The EBS answer for one date, as received (stored with the run; parsed into an `EbsExport`).
public struct EbsAnswer: Sendable {
    public var body: Data
    public var attempts: Int
}

/// Why EBS could not be asked, after how many attempts.
public struct EbsFetchFailure: Error, CustomStringConvertible, Sendable {
    public var reason: String
    public var attempts: Int
    public var status: Int?
    public var description: String { "EBS: \(reason) (\(attempts) attempt\(attempts == 1 ? "" : "s"))" }
}

/// EBS over HTTP (DESIGN: libcurl). `GET <url>?date=yyyy-MM-dd` with `Authorization: Bearer
/// <token>` and `Accept: application/json`; the answer is the posted-charges list (README "EBS
/// over HTTP"). Connection failures, timeouts and 5xx answers are retried with exponential
/// backoff and jitter; a 4xx answer is final (asking again would get the same answer).
public enum EbsClient {
    public static func fetch(_ settings: DailyConfig.EbsHTTP, date: CalendarDate, rules: EbsHTTPRules,
                             sleep: (Double) -> Void = { Thread.sleep(forTimeInterval: $0) }) -> Result<EbsAnswer, EbsFetchFailure> {
        let url = settings.url + (settings.url.contains("?") ? "&" : "?") + "date=\(date.iso)"
        var headers = ["Accept: application/json"]
        if let token = settings.token {
            do { headers.append("Authorization: Bearer \(try token.read())") } catch {
                return .failure(EbsFetchFailure(reason: "\(error)", attempts: 0, status: nil))
            }
        }
        let session: CurlSession
        do { session = try CurlSession() } catch { return .failure(EbsFetchFailure(reason: "\(error)", attempts: 0, status: nil)) }
        let maxAttempts = 1 + settings.retries
        var attempt = 0
        var lastReason = ""
        var lastStatus: Int?
        while attempt < maxAttempts {
            if attempt > 0 { sleep(delay(retry: attempt, settings: settings)) }
            attempt += 1
            do {
                let r = try session.http(method: "GET", url: url, headers: headers, timeout: settings.timeout)
                if (200...299).contains(r.status) { return .success(EbsAnswer(body: r.body, attempts: attempt)) }
                lastStatus = r.status
                lastReason = rules.reason(status: r.status, body: r.body)
                Log.logger("ebs").warning("EBS answered HTTP \(r.status) (attempt \(attempt) of \(maxAttempts))")
                if r.status < 500 { break }
            } catch let f as TransferFailure {
                lastStatus = nil
                switch f.kind {
                case .timeout: lastReason = "EBS did not answer within \(format(settings.timeout)) s"
                case .connection: lastReason = "EBS cannot be reached (\(f.detail))"
                case .tls: lastReason = "the secure connection to EBS failed (\(f.detail))"
                default: lastReason = "the request to EBS failed (\(f.detail))"
                }
                Log.logger("ebs").warning("\(lastReason) (attempt \(attempt) of \(maxAttempts))")
                if f.kind != .timeout && f.kind != .connection { break }
            } catch {
                lastReason = "\(error)"
                break
            }
        }
        return .failure(EbsFetchFailure(reason: lastReason, attempts: attempt, status: lastStatus))
    }

    /// The pause before retry `n` (1-based): backoff × 2^(n-1), capped, half of it random.
    static func delay(retry n: Int, settings: DailyConfig.EbsHTTP) -> Double {
        let full = min(settings.maxBackoff, settings.backoff * pow(2, Double(n - 1)))
        return full / 2 + Double.random(in: 0...(full / 2))
    }

    static func format(_ s: Double) -> String { s == s.rounded() ? String(Int(s)) : String(s) }
}

extension EbsExport {
    /// The posted-charges list EBS answers over HTTP: `{"date": "yyyy-MM-dd", "charges": [...]}` or
    /// the bare list; each charge has the fields of an EBS export row (`patient_name`,
    /// `patient_dob`, `date_of_service`, `facility`, `cpt`, `status`, `rejection_reason`), dates as
    /// text in any form the export files use. A charge with a rejection reason, or a status listed
    /// under `rejected_statuses`, is a rejection, as in a file.
    public static func fromJSON(_ body: Data, name: String, rules: ReconRules) throws -> EbsExport {
        let object: Any
        do { object = try JSONSerialization.jsonObject(with: body) } catch {
            throw DailyFailure("EBS answered with something that is not JSON")
        }
        let list: [Any]
        if let l = object as? [Any] { list = l } else if let o = object as? [String: Any], let l = o["charges"] as? [Any] { list = l } else {
            throw DailyFailure("EBS answered JSON without a list of posted charges (\"charges\": [...])")
        }
        let rejectedStatuses = Set(rules.ebs.rejectedStatuses.map(Normalize.name))
        var statuses: [EncounterKey: EbsStatus] = [:]
        var bad: [RowRejection] = []
        let header = Dictionary(rules.ebs.columns.map { ($0.field, $0.header) }, uniquingKeysWith: { a, _ in a })
        for (i, item) in list.enumerated() {
            let row = i + 1
            guard let c = item as? [String: Any] else { bad.append(RowRejection(row: row, reason: "the charge is not an object")); continue }
            func text(_ f: String) -> String {
                switch c[f] {
                case let s as String: return s.trimmingCharacters(in: .whitespacesAndNewlines)
                case let n as NSNumber: return n.stringValue
                default: return ""
                }
            }
            var dates: [CalendarDate] = []
            for f in ["patient_dob", "date_of_service"] {
                let t = text(f)
                guard let d = DateText.parse(t) else {
                    let h = header[f] ?? f
                    bad.append(RowRejection(row: row, reason: t.isEmpty ? "\(h) is empty" : "\(h) '\(t)' is not a date"))
                    break
                }
                dates.append(d)
            }
            guard dates.count == 2 else { continue }
            let key = EncounterKey.make(patientName: text("patient_name"), dob: dates[0], dateOfService: dates[1],
                                        facility: text("facility"), cpt: text("cpt"))
            let reason = text("rejection_reason")
            if !reason.isEmpty || rejectedStatuses.contains(Normalize.name(text("status"))) {
                if statuses[key] != .posted { statuses[key] = .rejected(reason.isEmpty ? rules.settings.reason("rejected_in_ebs") : reason) }
            } else {
                statuses[key] = .posted
            }
        }
        return EbsExport(file: name, sha256: SHA256.hexDigest(of: body), statuses: statuses, rejectedRows: bad)
    }
}
