import Foundation
#if canImport(Glibc)
import Glibc
#endif

/// Real servers the daily-run tests talk to, started on loopback (127.0.0.1) on a free port and
/// stopped at the end (SIGTERM, then SIGKILL): an HTTP peer standing in for EBS and the webhook
/// (Fixtures/daily/http_peer.py), OpenSSH's sshd with a throwaway host key and user key, and an
/// SMTP sink (aiosmtpd, Debian's python3-aiosmtpd). Every wait is bounded.
final class PeerProcess: @unchecked Sendable {
    let process = Process()
    let name: String
    private let out = Pipe(), err = Pipe()
    private let lock = NSLock()
    private var stdoutText = "", stderrText = ""

    init(_ name: String, _ path: String, _ args: [String], env: [String: String] = [:]) throws {
        self.name = name
        process.executableURL = URL(fileURLWithPath: path)
        process.arguments = args
        var e = ProcessInfo.processInfo.environment
        for (k, v) in env { e[k] = v }
        process.environment = e
        process.standardOutput = out
        process.standardError = err
        process.standardInput = FileHandle.nullDevice
        try process.run()
        for (pipe, isOut) in [(out, true), (err, false)] {
            let t = Thread { [weak self] in
                PipeDrain.read(pipe) { d in
                    guard let self else { return }
                    self.lock.lock()
                    if isOut { self.stdoutText += String(decoding: d, as: UTF8.self) } else { self.stderrText += String(decoding: d, as: UTF8.self) }
                    self.lock.unlock()
                }
            }
            t.start()
        }
    }

    var stdout: String { lock.lock(); defer { lock.unlock() }; return stdoutText }
    var stderr: String { lock.lock(); defer { lock.unlock() }; return stderrText }

    /// The first line the server printed (its port), waiting at most `timeout` seconds.
    func firstLine(timeout: Double) throws -> String {
        let deadline = Date().addingTimeInterval(timeout)
        while Date() < deadline {
            if let nl = stdout.firstIndex(of: "\n") { return String(stdout[..<nl]) }
            if !process.isRunning { break }
            usleep(20_000)
        }
        throw PeerError("\(name) printed no port within \(timeout) s: \(stderr)")
    }

    func stop() {
        guard process.isRunning else { return }
        kill(process.processIdentifier, SIGTERM)
        let deadline = Date().addingTimeInterval(5)
        while process.isRunning && Date() < deadline { usleep(20_000) }
        if process.isRunning { kill(process.processIdentifier, SIGKILL); process.waitUntilExit() }
    }

    deinit { stop() }
}

struct PeerError: Error, CustomStringConvertible {
    var description: String
    init(_ d: String) { description = d }
}

enum Peers {
    static let python = "/usr/bin/python3"

    /// A port nothing listens on now (bound and released; the server binds it right after).
    static func freePort() throws -> Int {
        let fd = socket(AF_INET, Int32(SOCK_STREAM.rawValue), 0)
        guard fd >= 0 else { throw PeerError("no socket") }
        defer { close(fd) }
        var addr = sockaddr_in()
        addr.sin_family = sa_family_t(AF_INET)
        addr.sin_port = 0
        addr.sin_addr.s_addr = inet_addr("127.0.0.1")
        var len = socklen_t(MemoryLayout<sockaddr_in>.size)
        let ok = withUnsafeMutablePointer(to: &addr) { p in
            p.withMemoryRebound(to: sockaddr.self, capacity: 1) { bind(fd, $0, len) == 0 && getsockname(fd, $0, &len) == 0 }
        }
        guard ok else { throw PeerError("cannot bind a loopback port") }
        return Int(UInt16(bigEndian: addr.sin_port))
    }

    /// Waits until something accepts connections on 127.0.0.1:port.
    static func waitForPort(_ port: Int, timeout: Double) -> Bool {
        let deadline = Date().addingTimeInterval(timeout)
        while Date() < deadline {
            let fd = socket(AF_INET, Int32(SOCK_STREAM.rawValue), 0)
            var addr = sockaddr_in()
            addr.sin_family = sa_family_t(AF_INET)
            addr.sin_port = UInt16(port).bigEndian
            addr.sin_addr.s_addr = inet_addr("127.0.0.1")
            let ok = withUnsafePointer(to: &addr) { p in
                p.withMemoryRebound(to: sockaddr.self, capacity: 1) { connect(fd, $0, socklen_t(MemoryLayout<sockaddr_in>.size)) == 0 }
            }
            close(fd)
            if ok { return true }
            usleep(50_000)
        }
        return false
    }

    // MARK: HTTP (EBS and the webhook)

    final class HTTPPeer {
        let process: PeerProcess
        let port: Int
        let log: URL
        var base: String { "http://127.0.0.1:\(port)" }
        init(process: PeerProcess, port: Int, log: URL) { self.process = process; self.port = port; self.log = log }

        struct Request: Decodable {
            var method: String
            var path: String
            var query: String
            var authorization: String?
            var contentType: String?
            var body: String
        }

        /// Every request the peer received so far.
        func requests() -> [Request] {
            guard let text = try? String(contentsOf: log, encoding: .utf8) else { return [] }
            let d = JSONDecoder()
            d.keyDecodingStrategy = .convertFromSnakeCase
            return text.split(separator: "\n").compactMap { try? d.decode(Request.self, from: Data($0.utf8)) }
        }
        func requests(_ path: String) -> [Request] { requests().filter { $0.path == path } }
        func stop() { process.stop() }
    }

    static func httpPeer(dir: URL, slowSeconds: Double = 5) throws -> HTTPPeer {
        let log = dir.appendingPathComponent("http-requests.jsonl")
        let p = try PeerProcess("http peer", python, [TestSupport.fixture("daily/http_peer.py").path, "--log", log.path,
                                                       "--answer", TestSupport.fixture("daily/ebs-answer.json").path,
                                                       "--slow-s", String(slowSeconds), "--max-s", "600"])
        guard let port = Int(try p.firstLine(timeout: 15)) else { throw PeerError("http peer: no port") }
        return HTTPPeer(process: p, port: port, log: log)
    }

    // MARK: SFTP (OpenSSH)

    static let sshd = "/usr/sbin/sshd"
    static var hasSSH: Bool {
        FileManager.default.isExecutableFile(atPath: sshd) && FileManager.default.isExecutableFile(atPath: "/usr/bin/ssh-keygen")
    }

    final class SSHServer {
        /// The daemon's pid (sshd forks into the background: it is not a child of the test
        /// process, whose Process bookkeeping does not cope with sshd as a child).
        let pid: pid_t
        let port: Int
        let user: String
        let userKey: URL
        let otherKey: URL
        let knownHosts: URL
        let drop: URL
        let log: URL
        init(pid: pid_t, port: Int, user: String, userKey: URL, otherKey: URL, knownHosts: URL, drop: URL, log: URL) {
            self.pid = pid; self.port = port; self.user = user; self.userKey = userKey; self.otherKey = otherKey
            self.knownHosts = knownHosts; self.drop = drop; self.log = log
        }
        var url: String { "sftp://\(user)@127.0.0.1:\(port)\(drop.path)/" }
        private var stopped = false
        func stop() {
            guard !stopped else { return }
            stopped = true
            kill(pid, SIGTERM)
            let deadline = Date().addingTimeInterval(5)
            while kill(pid, 0) == 0 && Date() < deadline { usleep(20_000) }
            if kill(pid, 0) == 0 { kill(pid, SIGKILL) }
        }
        deinit { stop() }
    }

    /// sshd as the current user, on a free loopback port, with a throwaway host key; `userKey` may
    /// log in (`otherKey` may not). Root (the CI machine) needs /run/sshd for privilege separation.
    static func startSSH(dir: URL) throws -> SSHServer {
        let fm = FileManager.default
        let keys = dir.appendingPathComponent("ssh")
        try fm.createDirectory(at: keys, withIntermediateDirectories: true)
        for k in ["host_ed25519", "user_ed25519", "other_ed25519"] {
            let r = try Daily.runTool("/usr/bin/ssh-keygen", ["-q", "-t", "ed25519", "-N", "", "-C", "docrecon-test", "-f", keys.appendingPathComponent(k).path])
            guard r.status == 0 else { throw PeerError("ssh-keygen: \(r.stderr)") }
        }
        try fm.copyItem(at: keys.appendingPathComponent("user_ed25519.pub"), to: keys.appendingPathComponent("authorized_keys"))
        if getuid() == 0 && !fm.fileExists(atPath: "/run/sshd") {
            try fm.createDirectory(atPath: "/run/sshd", withIntermediateDirectories: true, attributes: [.posixPermissions: 0o755])
        }
        let drop = dir.appendingPathComponent("drop")
        try fm.createDirectory(at: drop, withIntermediateDirectories: true)
        let user = String(cString: getpwuid(getuid())!.pointee.pw_name)
        for attempt in 0..<3 {
            let port = try freePort()
            let config = keys.appendingPathComponent("sshd_config")
            try """
                Port \(port)
                ListenAddress 127.0.0.1
                HostKey \(keys.path)/host_ed25519
                PidFile \(keys.path)/sshd.pid
                AuthorizedKeysFile \(keys.path)/authorized_keys
                StrictModes no
                UsePAM no
                PasswordAuthentication no
                KbdInteractiveAuthentication no
                PubkeyAuthentication yes
                PermitRootLogin prohibit-password
                Subsystem sftp internal-sftp
                LogLevel ERROR

                """.write(to: config, atomically: true, encoding: .utf8)
            let log = keys.appendingPathComponent("sshd.log")
            let pidFile = keys.appendingPathComponent("sshd.pid")
            try? FileManager.default.removeItem(at: pidFile)
            let started = try Daily.runTool(sshd, ["-f", config.path, "-E", log.path], timeout: 20)
            var pid: pid_t = 0
            if started.status == 0 && waitForPort(port, timeout: 10) {
                let deadline = Date().addingTimeInterval(5)
                while pid == 0 && Date() < deadline {
                    pid = pid_t((try? String(contentsOf: pidFile, encoding: .utf8))?.trimmingCharacters(in: .whitespacesAndNewlines) ?? "") ?? 0
                    if pid == 0 { usleep(20_000) }
                }
            }
            if pid > 0 {
                let hostKey = try String(contentsOf: keys.appendingPathComponent("host_ed25519.pub"), encoding: .utf8)
                    .split(separator: " ").prefix(2).joined(separator: " ")
                let kh = keys.appendingPathComponent("known_hosts")
                try "[127.0.0.1]:\(port) \(hostKey)\n".write(to: kh, atomically: true, encoding: .utf8)
                return SSHServer(pid: pid, port: port, user: user, userKey: keys.appendingPathComponent("user_ed25519"),
                                 otherKey: keys.appendingPathComponent("other_ed25519"), knownHosts: kh, drop: drop, log: log)
            }
            if attempt == 2 {
                throw PeerError("sshd did not start: \(started.stderr) \((try? String(contentsOf: log, encoding: .utf8)) ?? "")")
            }
        }
        throw PeerError("sshd did not start")
    }

    // MARK: SMTP (aiosmtpd)

    static var hasAiosmtpd: Bool {
        (try? Daily.runTool(python, ["-c", "import aiosmtpd"]).status) == 0
    }

    final class SMTPSink {
        let process: PeerProcess
        let port: Int
        let maildir: URL
        init(process: PeerProcess, port: Int, maildir: URL) { self.process = process; self.port = port; self.maildir = maildir }
        /// The messages received (Maildir `new/`), waiting up to `timeout` for at least `count`.
        func messages(atLeast count: Int = 1, timeout: Double = 10) -> [String] {
            let deadline = Date().addingTimeInterval(timeout)
            var found: [String] = []
            repeat {
                let new = maildir.appendingPathComponent("new")
                found = ((try? FileManager.default.contentsOfDirectory(atPath: new.path)) ?? []).sorted().compactMap {
                    try? String(contentsOf: new.appendingPathComponent($0), encoding: .utf8)
                }
                if found.count >= count { break }
                usleep(50_000)
            } while Date() < deadline
            return found
        }
        func stop() { process.stop() }
    }

    static func startSMTP(dir: URL) throws -> SMTPSink {
        let maildir = dir.appendingPathComponent("maildir")
        for attempt in 0..<3 {
            let port = try freePort()
            let p = try PeerProcess("aiosmtpd", python, ["-m", "aiosmtpd", "-n", "-l", "127.0.0.1:\(port)",
                                                          "-c", "aiosmtpd.handlers.Mailbox", maildir.path])
            if waitForPort(port, timeout: 15) { return SMTPSink(process: p, port: port, maildir: maildir) }
            p.stop()
            if attempt == 2 { throw PeerError("aiosmtpd did not start: \(p.stderr)") }
        }
        throw PeerError("aiosmtpd did not start")
    }
}

/// Runs a program to its end, as TestSupport.run does, but never waits on its pipes past its exit:
/// a server started by a concurrent test (sshd) can inherit the write end of a pipe created at the
/// same moment, and reading to end-of-file would then wait for that server. Bounded by `timeout`.
enum Daily {
    @discardableResult
    static func run(_ args: [String], env: [String: String] = [:], timeout: Double = 300) throws -> TestSupport.Run {
        try runTool(TestSupport.binary.path, args, env: env, timeout: timeout)
    }

    @discardableResult
    static func runTool(_ path: String, _ args: [String], env: [String: String] = [:], timeout: Double = 300) throws -> TestSupport.Run {
        let p = Process()
        p.executableURL = URL(fileURLWithPath: path)
        p.arguments = args
        var environment = ProcessInfo.processInfo.environment
        for (k, v) in env { environment[k] = v }
        p.environment = environment
        let out = Pipe(), err = Pipe()
        p.standardOutput = out
        p.standardError = err
        p.standardInput = FileHandle.nullDevice
        let outText = Collected(), errText = Collected()
        try p.run()
        for (pipe, sink) in [(out, outText), (err, errText)] {
            Thread {
                PipeDrain.read(pipe) { sink.append($0) }
                sink.finish()
            }.start()
        }
        let deadline = Date().addingTimeInterval(timeout)
        while p.isRunning && Date() < deadline { usleep(10_000) }
        if p.isRunning { kill(p.processIdentifier, SIGKILL) }
        p.waitUntilExit()
        // The process is gone: what it wrote is in the pipes; a little while for the readers.
        let grace = Date().addingTimeInterval(2)
        while (!outText.done || !errText.done) && Date() < grace { usleep(5_000) }
        let run = TestSupport.Run(status: p.terminationStatus, stdout: outText.text, stderr: errText.text)
        PHIScan.check(path: path, args: args, stderr: run.stderr)
        return run
    }

    final class Collected: @unchecked Sendable {
        private let lock = NSLock()
        private var data = Data()
        private var finished = false
        func append(_ d: Data) { lock.lock(); data.append(d); lock.unlock() }
        func finish() { lock.lock(); finished = true; lock.unlock() }
        var done: Bool { lock.lock(); defer { lock.unlock() }; return finished }
        var text: String { lock.lock(); defer { lock.unlock() }; return String(decoding: data, as: UTF8.self) }
    }
}

/// Reads a pipe to its end with read(2), retrying an interrupted read: Foundation's
/// `availableData` traps on EINTR (a child's SIGCHLD arriving mid-read crashed the test process).
enum PipeDrain {
    static func read(_ pipe: Pipe, _ chunk: (Data) -> Void) {
        let fd = pipe.fileHandleForReading.fileDescriptor
        var buf = [UInt8](repeating: 0, count: 65_536)
        while true {
            let n = buf.withUnsafeMutableBytes { Glibc.read(fd, $0.baseAddress, $0.count) }
            if n < 0 && errno == EINTR { continue }
            if n <= 0 { break }
            chunk(Data(buf[0..<n]))
        }
    }
}
