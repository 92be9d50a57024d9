import Foundation
@testable import DocRecon

/// Shared helpers for tests: temp folders, fixtures, and running the built `docrecon` binary.
enum TestSupport {
    /// The checkout root (the folder holding Package.swift), found from this source file.
    static let repoRoot: URL = {
        var u = URL(fileURLWithPath: #filePath)
        while u.path != "/" {
            u = u.deletingLastPathComponent()
            if FileManager.default.fileExists(atPath: u.appendingPathComponent("Package.swift").path) { return u }
        }
        fatalError("no Package.swift above \(#filePath)")
    }()

    static var fixtures: URL { repoRoot.appendingPathComponent("Tests/DocReconTests/Fixtures") }
    static func fixture(_ name: String) -> URL { fixtures.appendingPathComponent(name) }

    /// A fresh empty folder, removed by the caller when it wants (tests leave them in /tmp).
    static func tempDir(_ tag: String = "t") throws -> URL {
        let u = FileManager.default.temporaryDirectory
            .appendingPathComponent("docrecon-\(tag)-\(UUID().uuidString.prefix(8))")
        try FileManager.default.createDirectory(at: u, withIntermediateDirectories: true)
        return u
    }

    /// The built binary: $DOCRECON_BIN (set by `make test`), else `.build/debug/docrecon`.
    static var binary: URL {
        if let p = ProcessInfo.processInfo.environment["DOCRECON_BIN"], !p.isEmpty { return URL(fileURLWithPath: p) }
        return repoRoot.appendingPathComponent(".build/debug/docrecon")
    }

    /// The developer tools' binary (generate-*, render-pages, bench-match), beside `binary`.
    static var devBinary: URL { binary.deletingLastPathComponent().appendingPathComponent("docrecon-dev") }

    /// Runs `docrecon-dev args...` as `run` does.
    @discardableResult
    static func runDev(_ args: [String], cwd: URL? = nil, timeout: Double? = nil) throws -> Run {
        try runTool(devBinary.path, args, cwd: cwd, timeout: timeout)
    }

    struct Run {
        var status: Int32
        var stdout: String
        var stderr: String
        /// The program was still running after the timeout and was killed (status is then 9).
        var timedOut = false
    }

    /// Runs `docrecon args...` to completion (stdin closed), capturing both streams; with
    /// `timeout`, a run that is not over after that many seconds is killed (`timedOut`).
    @discardableResult
    static func run(_ args: [String], cwd: URL? = nil, env: [String: String] = [:], timeout: Double? = nil) throws -> Run {
        try runTool(binary.path, args, cwd: cwd, env: env, timeout: timeout)
    }

    /// Runs any program to completion (stdin closed), capturing both streams.
    @discardableResult
    static func runTool(_ path: String, _ args: [String], cwd: URL? = nil, env: [String: String] = [:],
                        timeout: Double? = nil) throws -> Run {
        let p = Process()
        p.executableURL = URL(fileURLWithPath: path)
        p.arguments = args
        if let cwd { p.currentDirectoryURL = cwd }
        var environment = ProcessInfo.processInfo.environment
        for (k, v) in env { environment[k] = v }
        p.environment = environment
        let out = Pipe(), err = Pipe()
        p.standardOutput = out
        p.standardError = err
        p.standardInput = FileHandle.nullDevice
        try p.run()
        let killed = Flag()
        if let timeout {
            let pid = p.processIdentifier
            DispatchQueue.global().asyncAfter(deadline: .now() + timeout) {
                if p.isRunning { killed.set(); kill(pid, SIGKILL) }
            }
        }
        // Drain both pipes concurrently so a chatty child never blocks on a full pipe.
        let errData = LockedData()
        let t = Thread { var d = Data(); PipeDrain.read(err) { d.append($0) }; errData.set(d) }
        t.start()
        var outData = Data()
        PipeDrain.read(out) { outData.append($0) }
        p.waitUntilExit()
        while !errData.done { usleep(1000) }
        let run = Run(status: p.terminationStatus, stdout: String(decoding: outData, as: UTF8.self),
                      stderr: String(decoding: errData.value, as: UTF8.self), timedOut: killed.isSet)
        PHIScan.check(path: path, args: args, stderr: run.stderr)
        return run
    }

    final class Flag: @unchecked Sendable {
        private let lock = NSLock()
        private var value = false
        func set() { lock.lock(); value = true; lock.unlock() }
        var isSet: Bool { lock.lock(); defer { lock.unlock() }; return value }
    }

    final class LockedData: @unchecked Sendable {
        private let lock = NSLock()
        private var data = Data()
        private var finished = false
        func set(_ d: Data) { lock.lock(); data = d; finished = true; lock.unlock() }
        var done: Bool { lock.lock(); defer { lock.unlock() }; return finished }
        var value: Data { lock.lock(); defer { lock.unlock() }; return data }
    }
}
