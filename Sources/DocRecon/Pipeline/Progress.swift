import Foundation

/// Progress on stderr (files, pages, pages/min, ETA), only when stderr is a terminal.
final class ProgressReporter: @unchecked Sendable {
    private let enabled: Bool
    private var totalPages: Int
    private let totalFiles: Int
    private var pages = 0
    private var files = 0
    private let start = DispatchTime.now()
    private var lastPrint = DispatchTime(uptimeNanoseconds: 0)

    init(enabled: Bool, totalFiles: Int, totalPages: Int) {
        self.enabled = enabled; self.totalFiles = totalFiles; self.totalPages = totalPages
    }

    /// Pages become known as files are admitted.
    func addPages(_ n: Int) { totalPages += n }

    func page() { pages += 1; show(force: pages == totalPages) }
    func file() { files += 1 }

    private func show(force: Bool) {
        guard enabled else { return }
        let now = DispatchTime.now()
        guard force || now.uptimeNanoseconds - lastPrint.uptimeNanoseconds > 250_000_000 else { return }
        lastPrint = now
        let elapsed = max(0.001, seconds(since: start))
        let rate = Double(pages) / elapsed * 60
        let remaining = rate > 0 ? Double(totalPages - pages) / rate * 60 : 0
        let eta = remaining >= 60 ? String(format: "%dm%02ds", Int(remaining) / 60, Int(remaining) % 60) : String(format: "%ds", Int(remaining))
        let line = String(format: "\r\u{1B}[K files %d/%d  pages %d/%d  %.0f pages/min  ETA %@",
                          files, totalFiles, pages, totalPages, rate, eta)
        StderrGate.write(line)
    }

    func finish() {
        guard enabled, totalPages > 0 else { return }
        StderrGate.write("\r\u{1B}[K")
    }
}
