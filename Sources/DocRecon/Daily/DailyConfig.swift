import Foundation
import Yams

/// A problem in the daily run's config file: the file, the line and what is wrong with it.
public struct DailyConfigError: Error, CustomStringConvertible, Equatable {
    public var file: String
    public var line: Int?
    public var message: String
    public var description: String { line.map { "\(file) line \($0): \(message)" } ?? "\(file): \(message)" }
}

/// A credential the config points at (a file or an environment variable), never the value itself.
public enum Secret: Sendable, Equatable {
    case file(String)
    case environment(String)

    /// The value (a file's content without its trailing newline). Never printed or logged.
    public func read() throws -> String {
        switch self {
        case .file(let path):
            guard let data = FileManager.default.contents(atPath: path) else {
                throw DailyFailure("the credential file \(path) cannot be read")
            }
            let s = String(decoding: data, as: UTF8.self).trimmingCharacters(in: .whitespacesAndNewlines)
            guard !s.isEmpty else { throw DailyFailure("the credential file \(path) is empty") }
            return s
        case .environment(let name):
            guard let v = ProcessInfo.processInfo.environment[name], !v.isEmpty else {
                throw DailyFailure("the environment variable \(name) (a credential) is not set")
            }
            return v
        }
    }

    public var source: String {
        switch self { case .file(let p): return p; case .environment(let n): return "$\(n)" }
    }
}

/// A time of day (local time), for `reconcile_at`.
public struct TimeOfDay: Sendable, Equatable, Comparable, CustomStringConvertible {
    public var hour: Int, minute: Int, second: Int
    public init?(_ text: String) {
        let p = text.split(separator: ":", omittingEmptySubsequences: false)
        guard (2...3).contains(p.count), p.allSatisfy({ $0.count == 2 && $0.allSatisfy(\.isNumber) }),
              let h = Int(p[0]), let m = Int(p[1]), let s = p.count == 3 ? Int(p[2]) : 0,
              (0...23).contains(h), (0...59).contains(m), (0...59).contains(s) else { return nil }
        hour = h; minute = m; second = s
    }
    public var secondsOfDay: Int { hour * 3600 + minute * 60 + second }
    public var description: String { String(format: second == 0 ? "%02d:%02d" : "%02d:%02d:%02d", hour, minute, second) }
    public static func < (a: TimeOfDay, b: TimeOfDay) -> Bool { a.secondsOfDay < b.secondsOfDay }
}

/// `docrecon run` / `watch` settings (a YAML file; see README "The daily run"). Relative paths
/// are relative to the config file's folder. Credentials are named by file or environment
/// variable only: a `token:` or `password:` in the file is refused.
public struct DailyConfig: Sendable {
    public struct EbsHTTP: Sendable, Equatable {
        public var url: String
        public var token: Secret?
        public var timeout: Double = 20
        public var retries: Int = 5
        /// The first retry's delay; each further one doubles it (with jitter), at most `maxBackoff`.
        public var backoff: Double = 1
        public var maxBackoff: Double = 60
    }
    public enum Ebs: Sendable, Equatable {
        /// An export file (read every time) or a folder of daily exports (the one for the run date).
        case files(String)
        case http(EbsHTTP)
    }
    public struct SFTP: Sendable, Equatable {
        public var url: String
        public var user: String
        public var host: String
        public var port: Int
        /// The remote folder (absolute, or relative to the login folder), ending in `/`.
        public var folder: String
        public var keyFile: String
        public var publicKeyFile: String?
        public var passphrase: Secret?
        public var knownHosts: String
        public var timeout: Double = 120
        public var maxBytesPerSecond: Int64 = 0
        /// The URL without the user, for messages.
        public var shown: String { "sftp://\(host)\(port == 22 ? "" : ":\(port)")/\(folder.hasPrefix("/") ? String(folder.dropFirst()) : folder)" }
    }
    public enum Outbox: Sendable, Equatable {
        case folder(String)
        case sftp(SFTP)
        public var shown: String {
            switch self { case .folder(let p): return p; case .sftp(let s): return s.shown }
        }
    }
    public struct Webhook: Sendable, Equatable {
        public var url: String
        public var token: Secret?
        public var timeout: Double = 20
    }
    public struct Email: Sendable, Equatable {
        public var server: String
        public var from: String
        public var to: [String]
        public var username: String?
        public var password: Secret?
        public var tls: String = "required"
        public var timeout: Double = 30
    }

    public var file: String
    public var inbox: String
    public var iceInbox: String
    public var archive: String
    public var outbox: Outbox
    /// Workbooks wait here until delivered (default: `<outbox>/pending`, or for SFTP
    /// `<archive>/outbox-pending`).
    public var pending: String
    public var ebs: Ebs?
    public var webhook: Webhook?
    public var email: Email?
    public var database: String?
    public var rules: String?
    public var tessdata: String?
    public var jobs: Int?
    /// A file modified less than this long ago is still being written: it is left for later.
    public var settleSeconds: Double = 10
    /// `page_timeout_s`: the page deadline of the scans' ingest (nil: the ingest's default).
    public var pageSeconds: Double?
    public var reconcileAt: TimeOfDay?
    public var rescanSeconds: Double = 60
    public var stopGraceSeconds: Double = 20

    public static func load(path: String) throws -> DailyConfig {
        guard let data = FileManager.default.contents(atPath: path) else {
            throw DailyConfigError(file: path, line: nil, message: "cannot read the file")
        }
        let base = (URL(fileURLWithPath: path).standardizedFileURL.deletingLastPathComponent().path)
        return try parse(String(decoding: data, as: UTF8.self), file: path, baseFolder: base)
    }

    /// Parses and checks the text; every problem names the file and the line.
    public static func parse(_ text: String, file: String, baseFolder: String,
                             environment: [String: String] = ProcessInfo.processInfo.environment) throws -> DailyConfig {
        let p = ConfigParser(file: file, base: baseFolder, environment: environment)
        let root: Node
        do {
            guard let n = try Yams.compose(yaml: text) else { throw p.error(nil, "the file is empty") }
            root = n
        } catch let e as YamlError {
            switch e {
            case .scanner(_, let problem, let m, _), .parser(_, let problem, let m, _), .composer(_, let problem, let m, _):
                throw DailyConfigError(file: file, line: m.line, message: "not valid YAML: \(problem)")
            case .duplicatedKeysInMapping(let keys, let context):
                // The line of the second time the key is written (Yams names the mapping's).
                let key = keys.first ?? ""
                let lines = text.components(separatedBy: "\n").enumerated().filter {
                    $0.element.trimmingCharacters(in: .whitespaces).hasPrefix(key + ":")
                }
                throw DailyConfigError(file: file, line: lines.count > 1 ? lines[1].offset + 1 : context.mark.line,
                                       message: "'\(key)' is given twice")
            default:
                throw DailyConfigError(file: file, line: nil, message: "not valid YAML: \(e)")
            }
        }
        return try p.config(root)
    }
}

/// A daily-run step that could not be done, in one clerk-readable line.
public struct DailyFailure: Error, CustomStringConvertible, Sendable {
    public var message: String
    public init(_ m: String) { message = m }
    public var description: String { message }
}

private struct ConfigParser {
    let file: String
    let base: String
    let environment: [String: String]

    func error(_ node: Node?, _ message: String) -> DailyConfigError {
        DailyConfigError(file: file, line: node?.mark?.line, message: message)
    }

    func mapping(_ node: Node, _ what: String, keys allowed: [String]) throws -> [String: (key: Node, value: Node)] {
        guard let m = node.mapping else { throw error(node, "\(what) must be a mapping (key: value)") }
        var out: [String: (key: Node, value: Node)] = [:]
        for (k, v) in m {
            guard let ks = k.string else { throw error(k, "keys of \(what) must be text") }
            if ["token", "password", "passphrase", "secret", "api_key"].contains(ks) {
                throw error(k, "'\(ks)' does not belong in the config: name a file (\(ks)_file) or an environment variable (\(ks)_env) that holds it")
            }
            guard allowed.contains(ks) else {
                throw error(k, "unknown key '\(ks)' in \(what) (expected \(allowed.joined(separator: ", ")))")
            }
            guard out[ks] == nil else { throw error(k, "'\(ks)' is given twice in \(what)") }
            out[ks] = (k, v)
        }
        return out
    }

    func string(_ node: Node, _ what: String) throws -> String {
        guard node.scalar != nil, let s = node.string?.trimmingCharacters(in: .whitespaces), !s.isEmpty else {
            throw error(node, "\(what) must be a text value")
        }
        return s
    }

    func number(_ node: Node, _ what: String, in range: ClosedRange<Double>) throws -> Double {
        guard let s = node.scalar?.string, let d = Double(s), d.isFinite else {
            throw error(node, "\(what) must be a number, not '\(node.scalar?.string ?? "…")'")
        }
        guard range.contains(d) else { throw error(node, "\(what) must be between \(clean(range.lowerBound)) and \(clean(range.upperBound)), not \(s)") }
        return d
    }

    func integer(_ node: Node, _ what: String, in range: ClosedRange<Int>) throws -> Int {
        guard let s = node.scalar?.string, let i = Int(s) else {
            throw error(node, "\(what) must be a whole number, not '\(node.scalar?.string ?? "…")'")
        }
        guard range.contains(i) else { throw error(node, "\(what) must be between \(range.lowerBound) and \(range.upperBound), not \(i)") }
        return i
    }

    private func clean(_ d: Double) -> String { d == d.rounded() ? String(Int(d)) : String(d) }

    /// A path, relative to the config's folder unless absolute.
    func path(_ node: Node, _ what: String) throws -> String {
        var s = try string(node, what)
        if s.hasPrefix("~/"), let home = environment["HOME"] { s = home + s.dropFirst(1) }
        let full = s.hasPrefix("/") ? s : base + "/" + s
        return URL(fileURLWithPath: full).standardizedFileURL.path
    }

    func existingFolder(_ node: Node, _ what: String) throws -> String {
        let p = try path(node, what)
        var isDir: ObjCBool = false
        guard FileManager.default.fileExists(atPath: p, isDirectory: &isDir) else { throw error(node, "\(what): the folder \(p) does not exist") }
        guard isDir.boolValue else { throw error(node, "\(what): \(p) is a file, not a folder") }
        return p
    }

    func readableFile(_ node: Node, _ what: String) throws -> String {
        let p = try path(node, what)
        var isDir: ObjCBool = false
        guard FileManager.default.fileExists(atPath: p, isDirectory: &isDir), !isDir.boolValue else {
            throw error(node, "\(what): the file \(p) does not exist")
        }
        guard access(p, R_OK) == 0 else { throw error(node, "\(what): the file \(p) cannot be read (permission denied)") }
        return p
    }

    /// `<name>_file` or `<name>_env`, never both; nil when neither.
    func secret(_ kv: [String: (key: Node, value: Node)], _ name: String, in what: String) throws -> Secret? {
        let f = kv["\(name)_file"], e = kv["\(name)_env"]
        if let f, e != nil { throw error(f.key, "\(what): give \(name)_file or \(name)_env, not both") }
        if let f { return .file(try readableFile(f.value, "\(what) \(name)_file")) }
        if let e {
            let n = try string(e.value, "\(what) \(name)_env")
            guard n.allSatisfy({ $0.isLetter || $0.isNumber || $0 == "_" }) else {
                throw error(e.value, "\(what) \(name)_env must be the name of an environment variable, not '\(n)'")
            }
            return .environment(n)
        }
        return nil
    }

    func httpURL(_ node: Node, _ what: String) throws -> String {
        let s = try string(node, what)
        guard let u = URLComponents(string: s), let scheme = u.scheme?.lowercased(), ["http", "https"].contains(scheme),
              let host = u.host, !host.isEmpty else {
            throw error(node, "\(what) must be an http:// or https:// address, not '\(s)'")
        }
        guard u.user == nil, u.password == nil else {
            throw error(node, "\(what): no user or password in the address (use token_file or token_env)")
        }
        return s
    }

    func config(_ root: Node) throws -> DailyConfig {
        let top = try mapping(root, "the config", keys: ["inbox", "ice_inbox", "archive", "outbox", "ebs", "notify", "database",
                                                          "rules", "tessdata", "jobs", "settle_s", "page_timeout_s", "reconcile_at", "watch"])
        func required(_ k: String, _ hint: String) throws -> Node {
            guard let v = top[k]?.value else { throw error(root, "'\(k)' is missing (\(hint))") }
            return v
        }
        let inbox = try existingFolder(try required("inbox", "the folder of scanned PDFs and images"), "inbox")
        let iceInbox = try existingFolder(try required("ice_inbox", "the folder of ICE exports"), "ice_inbox")
        let archiveNode = try required("archive", "where processed inputs are moved, by date")
        let archive = try path(archiveNode, "archive")
        for (name, folder) in [("inbox", inbox), ("ice_inbox", iceInbox)] {
            if archive == folder || archive.hasPrefix(folder + "/") {
                throw error(archiveNode, "archive must not be inside \(name) (\(folder)): archived files would be taken in again")
            }
            if folder.hasPrefix(archive + "/") { throw error(archiveNode, "\(name) must not be inside archive") }
        }
        if inbox == iceInbox { throw error(top["ice_inbox"]?.value, "ice_inbox must be another folder than inbox") }
        let outboxNode = try required("outbox", "a folder, or sftp://user@host:port/path")
        let (outbox, pendingNode) = try outbox(outboxNode)
        if case .folder(let o) = outbox {
            for (name, folder) in [("inbox", inbox), ("ice_inbox", iceInbox)] where o == folder || o.hasPrefix(folder + "/") {
                throw error(outboxNode, "outbox must not be inside \(name) (\(folder))")
            }
        }
        let pending: String
        if let pendingNode { pending = try path(pendingNode, "outbox pending") } else {
            switch outbox {
            case .folder(let o): pending = o + "/pending"
            case .sftp: pending = archive + "/outbox-pending"
            }
        }
        var c = DailyConfig(file: file, inbox: inbox, iceInbox: iceInbox, archive: archive, outbox: outbox, pending: pending)
        if let n = top["ebs"]?.value { c.ebs = try ebs(n) }
        if let n = top["notify"]?.value { (c.webhook, c.email) = try notify(n) }
        if let n = top["database"]?.value { c.database = try path(n, "database") }
        if let n = top["rules"]?.value { c.rules = try existingFolder(n, "rules") }
        if let n = top["tessdata"]?.value { c.tessdata = try existingFolder(n, "tessdata") }
        if let n = top["jobs"]?.value { c.jobs = try integer(n, "jobs", in: 1...64) }
        if let n = top["settle_s"]?.value { c.settleSeconds = try number(n, "settle_s", in: 0...3600) }
        if let n = top["page_timeout_s"]?.value { c.pageSeconds = try number(n, "page_timeout_s", in: 1...86400) }
        if let n = top["reconcile_at"]?.value {
            let s = try string(n, "reconcile_at")
            guard let t = TimeOfDay(s) else { throw error(n, "reconcile_at must be a time of day HH:mm (24-hour, e.g. \"18:00\"), not '\(s)'") }
            c.reconcileAt = t
        }
        if let n = top["watch"]?.value {
            let w = try mapping(n, "watch", keys: ["rescan_s", "stop_grace_s"])
            if let v = w["rescan_s"]?.value { c.rescanSeconds = try number(v, "watch rescan_s", in: 0.2...86400) }
            if let v = w["stop_grace_s"]?.value { c.stopGraceSeconds = try number(v, "watch stop_grace_s", in: 0...3600) }
        }
        return c
    }

    func outbox(_ node: Node) throws -> (DailyConfig.Outbox, Node?) {
        if node.scalar != nil {
            let s = try string(node, "outbox")
            if s.lowercased().hasPrefix("sftp://") {
                throw error(node, "an sftp:// outbox needs its key: write outbox: {url: \(s), key_file: …, known_hosts: …}")
            }
            return (.folder(try path(node, "outbox")), nil)
        }
        let kv = try mapping(node, "outbox", keys: ["url", "folder", "key_file", "public_key_file", "passphrase_file", "passphrase_env",
                                                    "known_hosts", "pending", "timeout_s", "max_bytes_per_s"])
        if let f = kv["folder"] {
            if let u = kv["url"] { throw error(u.key, "outbox: give url (sftp://…) or folder, not both") }
            return (.folder(try path(f.value, "outbox folder")), kv["pending"]?.value)
        }
        guard let u = kv["url"] else { throw error(node, "outbox needs url: sftp://user@host:port/path (or folder: PATH)") }
        let s = try string(u.value, "outbox url")
        guard let comps = URLComponents(string: s), comps.scheme?.lowercased() == "sftp", let host = comps.host, !host.isEmpty else {
            throw error(u.value, "outbox url must be sftp://user@host:port/path, not '\(s)'")
        }
        guard let user = comps.user, !user.isEmpty else { throw error(u.value, "outbox url needs the user: sftp://USER@\(host)/…") }
        if comps.password != nil { throw error(u.value, "outbox url: no password in the address (the login is by key_file)") }
        guard let keyNode = kv["key_file"] else { throw error(node, "an sftp outbox needs key_file (the private key of the login)") }
        guard let khNode = kv["known_hosts"] else {
            throw error(node, "an sftp outbox needs known_hosts (a file with the server's host key; ssh-keyscan -p PORT HOST makes one)")
        }
        var folder = comps.path.isEmpty ? "/" : comps.path
        if !folder.hasSuffix("/") { folder += "/" }
        var sftp = DailyConfig.SFTP(url: s, user: user, host: host, port: comps.port ?? 22, folder: folder,
                                    keyFile: try readableFile(keyNode.value, "outbox key_file"), publicKeyFile: nil,
                                    passphrase: try secret(kv, "passphrase", in: "outbox"),
                                    knownHosts: try readableFile(khNode.value, "outbox known_hosts"))
        if let n = kv["public_key_file"]?.value { sftp.publicKeyFile = try readableFile(n, "outbox public_key_file") }
        if let n = kv["timeout_s"]?.value { sftp.timeout = try number(n, "outbox timeout_s", in: 1...86400) }
        if let n = kv["max_bytes_per_s"]?.value { sftp.maxBytesPerSecond = Int64(try integer(n, "outbox max_bytes_per_s", in: 0...Int(Int32.max))) }
        return (.sftp(sftp), kv["pending"]?.value)
    }

    func ebs(_ node: Node) throws -> DailyConfig.Ebs {
        let kv = try mapping(node, "ebs", keys: ["file", "url", "token_file", "token_env", "timeout_s", "retries", "backoff_s", "max_backoff_s"])
        if let f = kv["file"] {
            if let u = kv["url"] { throw error(u.key, "ebs: give file (exports) or url (EBS over HTTP), not both") }
            let p = try path(f.value, "ebs file")
            guard FileManager.default.fileExists(atPath: p) else { throw error(f.value, "ebs file: \(p) does not exist") }
            return .files(p)
        }
        guard let u = kv["url"] else { throw error(node, "ebs needs file: PATH (exports) or url: https://… (EBS over HTTP)") }
        var h = DailyConfig.EbsHTTP(url: try httpURL(u.value, "ebs url"), token: try secret(kv, "token", in: "ebs"))
        if let n = kv["timeout_s"]?.value { h.timeout = try number(n, "ebs timeout_s", in: 0.1...3600) }
        if let n = kv["retries"]?.value { h.retries = try integer(n, "ebs retries", in: 0...20) }
        if let n = kv["backoff_s"]?.value { h.backoff = try number(n, "ebs backoff_s", in: 0...600) }
        if let n = kv["max_backoff_s"]?.value { h.maxBackoff = try number(n, "ebs max_backoff_s", in: 0...3600) }
        return .http(h)
    }

    func notify(_ node: Node) throws -> (DailyConfig.Webhook?, DailyConfig.Email?) {
        let kv = try mapping(node, "notify", keys: ["webhook", "email"])
        var webhook: DailyConfig.Webhook?, email: DailyConfig.Email?
        if let w = kv["webhook"]?.value {
            if w.scalar != nil {
                webhook = .init(url: try httpURL(w, "notify webhook"))
            } else {
                let wk = try mapping(w, "notify webhook", keys: ["url", "token_file", "token_env", "timeout_s"])
                guard let u = wk["url"] else { throw error(w, "notify webhook needs url: https://…") }
                webhook = .init(url: try httpURL(u.value, "notify webhook url"), token: try secret(wk, "token", in: "notify webhook"))
                if let n = wk["timeout_s"]?.value { webhook!.timeout = try number(n, "notify webhook timeout_s", in: 0.1...600) }
            }
        }
        if let e = kv["email"]?.value {
            let ek = try mapping(e, "notify email", keys: ["smtp", "from", "to", "username", "password_file", "password_env", "tls", "timeout_s"])
            guard let s = ek["smtp"] else { throw error(e, "notify email needs smtp: smtp://host:port (or smtps://)") }
            let server = try string(s.value, "notify email smtp")
            guard let comps = URLComponents(string: server), ["smtp", "smtps"].contains(comps.scheme?.lowercased() ?? ""),
                  let host = comps.host, !host.isEmpty, comps.password == nil else {
                throw error(s.value, "notify email smtp must be smtp://host:port or smtps://host:port (no password in it), not '\(server)'")
            }
            guard let f = ek["from"] else { throw error(e, "notify email needs from: an address") }
            let from = try address(f.value, "notify email from")
            guard let t = ek["to"] else { throw error(e, "notify email needs to: an address or a list of them") }
            let to: [String]
            if let seq = t.value.sequence { to = try seq.map { try address($0, "notify email to") } } else { to = [try address(t.value, "notify email to")] }
            guard !to.isEmpty else { throw error(t.value, "notify email to: the list is empty") }
            var m = DailyConfig.Email(server: server, from: from, to: to)
            if let u = ek["username"]?.value { m.username = try string(u, "notify email username") }
            m.password = try secret(ek, "password", in: "notify email")
            if m.password != nil, m.username == nil { throw error(e, "notify email: a password needs a username") }
            if let n = ek["tls"]?.value {
                let v = try string(n, "notify email tls")
                guard ["required", "try", "none"].contains(v) else { throw error(n, "notify email tls must be required, try or none, not '\(v)'") }
                m.tls = v
            }
            if let n = ek["timeout_s"]?.value { m.timeout = try number(n, "notify email timeout_s", in: 0.1...600) }
            email = m
        }
        if webhook == nil && email == nil { throw error(node, "notify needs webhook: or email: (or leave notify out)") }
        return (webhook, email)
    }

    func address(_ node: Node, _ what: String) throws -> String {
        let s = try string(node, what)
        let parts = s.split(separator: "@", omittingEmptySubsequences: false)
        guard parts.count == 2, !parts[0].isEmpty, !parts[1].isEmpty,
              !s.contains(where: { $0 == "<" || $0 == ">" || $0 == "," || $0 == "\r" || $0 == "\n" || $0 == " " }) else {
            throw error(node, "\(what) must be an e-mail address like billing@example.org, not '\(s)'")
        }
        return s
    }
}
