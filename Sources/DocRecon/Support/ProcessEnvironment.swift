import Foundation
#if canImport(Glibc)
import Glibc
#endif

public enum ProcessEnvironment {
    /// Re-executes the current process once with `OMP_THREAD_LIMIT=1` unless it is already set.
    /// libgomp reads the variable when it loads, before `main`, so `setenv` alone is too late.
    public static func ensureOpenMPThreadLimit() {
        guard getenv("OMP_THREAD_LIMIT") == nil else { return }
        setenv("OMP_THREAD_LIMIT", "1", 1)
        let args = CommandLine.arguments
        var cargs: [UnsafeMutablePointer<CChar>?] = args.map { strdup($0) }
        cargs.append(nil)
        execv("/proc/self/exe", &cargs)
        // exec failed (no /proc): go on slower rather than not at all.
        for p in cargs { free(p) }
    }

    public static func restrictFileCreationToOwner() {
        umask(0o077)
    }

    public static var cpuCount: Int { ProcessInfo.processInfo.activeProcessorCount }
}

/// Writes one line to stderr (thread-safe through FileHandle).
public func printError(_ line: String) {
    FileHandle.standardError.write(Data((line + "\n").utf8))
}

public var stderrIsTerminal: Bool { isatty(2) != 0 }
