import Foundation
#if canImport(Glibc)
import Glibc
#endif

public enum ProcessEnvironment {
    /// `OMP_THREAD_LIMIT` as the process started (before `ensureOpenMPThreadLimit`).
    public static let openMPThreadLimitAtStart: String? = getenv("OMP_THREAD_LIMIT").map { String(cString: $0) }

    /// Sets `OMP_THREAD_LIMIT=1` unless it is already set (PLATFORM.md: OCR is 6x slower without).
    /// libgomp reads the variable once, when it loads, with libtesseract. The OCR libraries are
    /// loaded at their first use (OCRLibraries), after this: setting the variable is enough. Only
    /// where libgomp is already loaded (a build that links them) is the process re-executed once
    /// with the variable set. Call at the start of `main`, before other threads.
    public static func ensureOpenMPThreadLimit() {
        _ = openMPThreadLimitAtStart
        guard getenv("OMP_THREAD_LIMIT") == nil else { return }
        setenv("OMP_THREAD_LIMIT", "1", 1)
        guard OCRLibraries.openMPLoaded else { return }
        let args = CommandLine.arguments
        var cargs: [UnsafeMutablePointer<CChar>?] = args.map { strdup($0) }
        cargs.append(nil)
        execv("/proc/self/exe", &cargs)
        // exec failed (no /proc): go on slower rather than not at all.
        for p in cargs { free(p) }
    }

    /// OCR allocates and frees several page-sized buffers (8 MB for a 300-dpi letter page) per page.
    /// glibc's defaults hand each one back to the kernel with munmap and fault fresh zeroed pages in
    /// for the next: 1.4 s of system time on 14 pages. Keeping freed memory in the process (no mmap
    /// below 256 MB, trim only above 512 MB) took that to 0.35 s and the batch from 4.6-5.1 s to
    /// 3.9 s (bench/ocr corpus, `--jobs 2`). The price is peak RSS: 372 MB instead of 325 MB with
    /// extraction (`/usr/bin/time -f %M`), flat over the batch because the same buffers are reused.
    public static func keepFreedPageMemory() {
        #if canImport(Glibc)
        // <malloc.h> is not part of Swift's Glibc module: look mallopt up (RTLD_DEFAULT is null).
        typealias Mallopt = @convention(c) (Int32, Int32) -> Int32
        guard let sym = dlsym(nil, "mallopt") else { return }
        let mallopt = unsafeBitCast(sym, to: Mallopt.self)
        let (trimThreshold, mmapThreshold): (Int32, Int32) = (-1, -3)  // M_TRIM_THRESHOLD, M_MMAP_THRESHOLD
        _ = mallopt(mmapThreshold, 256 << 20)
        _ = mallopt(trimThreshold, 512 << 20)
        #endif
    }

    /// Hands memory freed inside the heaps back to the kernel (malloc_trim). With trimming off
    /// (`keepFreedPageMemory`) fragmentation alone made resident memory creep up by 130 MB over
    /// 1,000 pages; the pipeline calls this every few dozen pages to keep it flat.
    public static func returnFreedMemory() {
        #if canImport(Glibc)
        typealias MallocTrim = @convention(c) (Int) -> Int32
        guard let sym = dlsym(nil, "malloc_trim") else { return }
        _ = unsafeBitCast(sym, to: MallocTrim.self)(0)
        #endif
    }

    public static func restrictFileCreationToOwner() {
        umask(0o077)
    }

    public static var cpuCount: Int { ProcessInfo.processInfo.activeProcessorCount }
}

/// Writes one line to the user's stderr (thread-safe). Control characters in it (a file named
/// with a newline, a cell with an escape sequence) are shown escaped: one message is one line,
/// and no input can forge a line of its own or drive the terminal (issue 21).
public func printError(_ line: String) {
    StderrGate.write(Printable.oneLine(line) + "\n")
}

public enum Printable {
    /// `s` with every control character (C0, DEL, C1, line and paragraph separators) written as
    /// an escape: `\n`, `\r`, `\t`, else `\u{1b}`.
    public static func oneLine(_ s: String) -> String {
        guard s.unicodeScalars.contains(where: isControl) else { return s }
        var out = String.UnicodeScalarView()
        for u in s.unicodeScalars {
            guard isControl(u) else { out.append(u); continue }
            let e: String
            switch u {
            case "\n": e = "\\n"
            case "\r": e = "\\r"
            case "\t": e = "\\t"
            default: e = "\\u{\(String(u.value, radix: 16))}"
            }
            out.append(contentsOf: e.unicodeScalars)
        }
        return String(out)
    }

    static func isControl(_ u: Unicode.Scalar) -> Bool {
        u.value < 0x20 || (0x7F...0x9F).contains(u.value) || u.value == 0x2028 || u.value == 0x2029
    }
}

public var stderrIsTerminal: Bool { isatty(StderrGate.userFD) != 0 }

/// libpng, libjpeg, libtiff and Leptonica print their own diagnostics on fd 2 ("Premature end of
/// JPEG file", "libpng error: …"). A clerk must see exactly one line per bad input, so at the
/// default level fd 2 is turned into a pipe whose content is dropped, and our own lines go to the
/// real stderr, kept as `userFD`. `--verbose` leaves fd 2 alone.
public enum StderrGate {
    nonisolated(unsafe) public private(set) static var userFD: Int32 = 2
    private static let lock = NSLock()

    public static func install() {
        lock.lock(); defer { lock.unlock() }
        guard userFD == 2 else { return }
        let saved = dup(2)
        guard saved >= 0 else { return }
        var fds: [Int32] = [0, 0]
        guard pipe(&fds) == 0 else { close(saved); return }
        _ = fcntl(saved, F_SETFD, FD_CLOEXEC)
        OCRLibraries.reportErrors(to: saved)
        dup2(fds[1], 2)
        close(fds[1])
        userFD = saved
        let readFD = fds[0]
        let t = Thread {
            var buf = [UInt8](repeating: 0, count: 4096)
            while read(readFD, &buf, buf.count) > 0 {}
        }
        t.name = "stderr-gate"
        t.start()
    }

    /// Puts the real stderr back on fd 2 (before printing a fatal error through the usual channel).
    public static func restore() {
        lock.lock(); defer { lock.unlock() }
        guard userFD != 2 else { return }
        dup2(userFD, 2)
    }

    public static func write(_ s: String) {
        lock.lock(); defer { lock.unlock() }
        let bytes = Array(s.utf8)
        var off = 0
        while off < bytes.count {
            let n = bytes.withUnsafeBytes { Glibc.write(userFD, $0.baseAddress! + off, bytes.count - off) }
            if n <= 0 { if errno == EINTR { continue }; return }
            off += n
        }
    }
}
