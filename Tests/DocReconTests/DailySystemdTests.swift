import Foundation
import Testing
@testable import DocRecon

/// contrib/systemd: the units load in systemd's own checker (`systemd-analyze verify`, Debian's
/// systemd package), with the dedicated user, UMask=0077, ProtectSystem=strict and the paths they
/// may write.
@Suite struct DailySystemdTests {
    static let analyze = ["/usr/bin/systemd-analyze", "/bin/systemd-analyze"].first { FileManager.default.isExecutableFile(atPath: $0) }
    static let noAnalyze: Comment = "systemd-analyze is not installed (Debian package systemd; make deps installs it): unit check skipped"
    static let units = TestSupport.repoRoot.appendingPathComponent("contrib/systemd")

    /// The units as installed (the template as an instance), ExecStart pointing at the built
    /// binary (verify checks that the program exists).
    static func installed(_ dir: URL, edit: (String) -> String = { $0 }) throws -> [URL] {
        var out: [URL] = []
        for (src, dst) in [("docrecon-watch.service", "docrecon-watch.service"), ("docrecon-run@.service", "docrecon-run@daily.service"),
                           ("docrecon-run@.timer", "docrecon-run@daily.timer")] {
            var text = try String(contentsOf: units.appendingPathComponent(src), encoding: .utf8)
            text = edit(text.replacingOccurrences(of: "/usr/local/bin/docrecon", with: TestSupport.binary.path))
            let u = dir.appendingPathComponent(dst)
            try text.write(to: u, atomically: true, encoding: .utf8)
            out.append(u)
        }
        return out
    }

    @Test(.enabled(if: analyze != nil, noAnalyze)) func unitsPassSystemdAnalyzeVerify() throws {
        let dir = try TestSupport.tempDir("systemd")
        let files = try Self.installed(dir)
        let r = try Daily.runTool(Self.analyze!, ["verify", "--man=no"] + files.map(\.path))
        // verify exits 0 on a setting it ignores: every line naming one of ours is a finding.
        let findings = r.stderr.split(separator: "\n").filter { $0.contains(dir.path) }
        #expect(r.status == 0 && findings.isEmpty, "\(r.stderr)")

        // The checker does see a broken setting (so the empty result above means something).
        let bad = try TestSupport.tempDir("systemd-bad")
        let broken = try Self.installed(bad) { $0.replacingOccurrences(of: "UMask=0077", with: "UMask=rw-only") }
        let b = try Daily.runTool(Self.analyze!, ["verify", "--man=no"] + broken.map(\.path))
        #expect(b.stderr.contains("UMask") || b.stderr.contains("mode value"), "\(b.stderr)")
    }

    @Test func unitsRunAsADedicatedUserInAReadOnlySystem() throws {
        for name in ["docrecon-watch.service", "docrecon-run@.service"] {
            let text = try String(contentsOf: Self.units.appendingPathComponent(name), encoding: .utf8)
            for line in ["User=docrecon", "UMask=0077", "ProtectSystem=strict", "ReadWritePaths=/var/lib/docrecon /srv/billing", "NoNewPrivileges=yes"] {
                #expect(text.contains("\n" + line + "\n"), "\(name): \(line)")
            }
        }
        let timer = try String(contentsOf: Self.units.appendingPathComponent("docrecon-run@.timer"), encoding: .utf8)
        #expect(timer.contains("OnCalendar=") && timer.contains("Persistent=true"))
    }
}
