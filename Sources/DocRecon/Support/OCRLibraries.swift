import COCRLibs
import Foundation

/// The OCR libraries are loaded at the first call of one of their functions (Sources/COCRLibs),
/// so that commands which never OCR start without them. This reports what a process has loaded.
public enum OCRLibraries {
    /// Whether this build loads them at first use (false: linked, loaded at start-up).
    public static var loadedAtFirstUse: Bool { docrecon_ocr_libs_lazy() != 0 }

    /// Whether they are loaded now.
    public static var loaded: Bool { docrecon_ocr_libs_loaded() != 0 }

    /// Lines of the "cannot load" error go to `fd` (the user's stderr when fd 2 is gated).
    public static func reportErrors(to fd: Int32) { docrecon_ocr_libs_set_error_fd(fd) }

    /// The OCR-related shared objects mapped into this process now (file names, sorted), from
    /// /proc/self/maps: libtesseract, liblept, libpoppler-glib, libcairo, libglib, libgobject, libgomp.
    public static func mapped() -> [String] {
        // Read to the end by hand: the file reports size 0, and a read sized by it stops short.
        let fd = open("/proc/self/maps", O_RDONLY | O_CLOEXEC)
        guard fd >= 0 else { return [] }
        defer { close(fd) }
        var bytes: [UInt8] = [], chunk = [UInt8](repeating: 0, count: 65536)
        while true {
            let n = read(fd, &chunk, chunk.count)
            if n < 0, errno == EINTR { continue }
            if n <= 0 { break }
            bytes += chunk[0..<n]
        }
        let maps = String(decoding: bytes, as: UTF8.self)
        let prefixes = ["libtesseract.", "liblept.", "libpoppler-glib.", "libpoppler.", "libcairo.", "libglib-2.0.",
                        "libgobject-2.0.", "libgomp."]
        var names = Set<String>()
        for line in maps.split(separator: "\n") {
            guard let slash = line.lastIndex(of: "/") else { continue }
            let name = String(line[line.index(after: slash)...])
            if prefixes.contains(where: name.hasPrefix) { names.insert(name) }
        }
        return names.sorted()
    }

    /// libgomp's thread limit (omp_get_thread_limit) when libgomp is loaded, else nil.
    public static func openMPThreadLimit() -> Int? {
        guard let gomp = dlopen("libgomp.so.1", RTLD_LAZY | RTLD_NOLOAD) else { return nil }
        defer { dlclose(gomp) }
        guard let f = dlsym(gomp, "omp_get_thread_limit") else { return nil }
        return Int(unsafeBitCast(f, to: (@convention(c) () -> Int32).self)())
    }

    /// Whether libgomp (OpenMP, which reads OMP_THREAD_LIMIT once, when it loads) is loaded.
    public static var openMPLoaded: Bool {
        guard let gomp = dlopen("libgomp.so.1", RTLD_LAZY | RTLD_NOLOAD) else { return false }
        dlclose(gomp)
        return true
    }

    /// With `DOCRECON_REPORT_LIBRARIES=1`: one line on stderr saying what the process has mapped
    /// (for tests and benchmarks; no values).
    public static func reportIfAsked(limitAtStart: String?) {
        guard ProcessInfo.processInfo.environment["DOCRECON_REPORT_LIBRARIES"] == "1" else { return }
        let names = mapped()
        let limit = openMPThreadLimit().map(String.init) ?? "-"
        StderrGate.write("libraries: mapped=\(names.isEmpty ? "none" : names.joined(separator: ","))"
                         + " omp_thread_limit=\(limit) omp_thread_limit_at_start=\(limitAtStart ?? "unset")\n")
    }
}
