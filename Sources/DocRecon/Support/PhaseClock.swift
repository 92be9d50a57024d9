import Foundation

/// Phase clocks for benchmarks: with `DOCRECON_PHASES=1` in the environment, `mark` writes
/// "phase <name> <ms since the first mark>" to stderr (timings only, never values). Off: one load
/// of a flag.
public enum PhaseClock {
    public static let enabled = ProcessInfo.processInfo.environment["DOCRECON_PHASES"] != nil
    nonisolated(unsafe) private static var first: UInt64 = 0
    private static let lock = NSLock()

    @inline(__always) public static func mark(_ name: @autoclosure () -> String) {
        guard enabled else { return }
        var ts = timespec()
        clock_gettime(CLOCK_MONOTONIC, &ts)
        let now = UInt64(ts.tv_sec) * 1_000_000_000 + UInt64(ts.tv_nsec)
        lock.lock()
        if first == 0 { first = now }
        let ms = Double(now - first) / 1e6
        lock.unlock()
        StderrGate.write("phase \(name()) \(String(format: "%.1f", ms)) ms\n")
    }
}
