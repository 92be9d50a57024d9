import Foundation
import Logging

/// Logging through swift-log. At the default level nothing with patient values is logged:
/// log lines name files, pages, counts and timings only. `--verbose` enables `.debug`.
public enum Log {
    nonisolated(unsafe) private static var configured = false
    nonisolated(unsafe) private static var verboseFlag = false
    private static let lock = NSLock()

    /// `--verbose` was given: messages may then carry the values they are about.
    public static var isVerbose: Bool { lock.lock(); defer { lock.unlock() }; return verboseFlag }

    public static func configure(verbose: Bool) {
        lock.lock(); defer { lock.unlock() }
        guard !configured else { return }
        configured = true
        verboseFlag = verbose
        if !verbose { StderrGate.install() }
        LoggingSystem.bootstrap { label in
            var h = StreamLogHandler.standardError(label: label)
            h.logLevel = verbose ? .debug : .warning
            return h
        }
    }

    public static func logger(_ label: String) -> Logger { Logger(label: "docrecon.\(label)") }
}
