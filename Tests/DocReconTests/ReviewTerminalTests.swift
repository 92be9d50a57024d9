import Foundation
import GRDB
import Testing
@testable import DocRecon

/// `docrecon review` driven through a pseudo-terminal, one key line at a time, like a person.
@Suite struct ReviewTerminalTests {
    @Test func enterAcceptsAndATypedValueCorrects() throws {
        let (path, db) = try ReviewFixture.database("tty-accept")
        let r = try ReviewFixture.review(path, keys: ["", "ABERNATHY, MARGRET", "q"], args: ["--reviewer", "ann"])
        #expect(r.status == 0, "\(r.stdout)")
        #expect(r.stdout.contains("3 value(s) to review"))
        // Each item shows where it is, its value, raw text, confidence, why, the words around it and a crop.
        #expect(r.stdout.contains("[1/3] encounter-form.pdf (document 1) · page 1 · record 1 · provider_npi"))
        #expect(r.stdout.contains("confidence: 0.15") && r.stdout.contains("why:        NPI check digit fails"))
        #expect(r.stdout.contains("around:") && r.stdout.contains("[1887761504]"))
        #expect(r.stdout.range(of: #"crop: +/.*/doc1-p1-r1-provider_npi\.png"#, options: .regularExpression) != nil)
        #expect(r.stdout.contains("[2/3]") && r.stdout.contains("[3/3]") && r.stdout.contains("record 1 line 1 · charge"))
        let npi = try ReviewFixture.field(db, "provider_npi")
        #expect(npi.status == .corrected && npi.value == .string("1887761504"))
        let name = try ReviewFixture.field(db, "patient_name")
        #expect(name.status == .corrected && name.value == .string("ABERNATHY, MARGRET") && name.extractedValue == "ABERNATHY, MARGARET")
        let audit = try AuditTrail.entries(db)
        #expect(audit.map(\.action) == [.accept, .correct] && audit.allSatisfy { $0.reviewer == "ann" })
        #expect(audit[1].old == "ABERNATHY, MARGARET" && audit[1].new == "ABERNATHY, MARGRET")
        #expect(try db.read { try Charge.filter(Column("document_id") == 1).fetchAll($0) }.allSatisfy { $0.patientName == "ABERNATHY, MARGRET" })
        #expect(r.stdout.contains("Accepted 1, corrected 1, skipped 0; 1 left in the queue"))
    }

    @Test func quitKeepsTheRestAndTheNextSessionResumes() throws {
        let (path, db) = try ReviewFixture.database("tty-resume")
        let first = try ReviewFixture.review(path, keys: ["", "q"], env: ["DOCRECON_REVIEWER": "dan"])
        #expect(first.status == 0)
        #expect(first.stdout.contains("[2/3]") && !first.stdout.contains("[3/3]"))
        // Ctrl-D (end of input) ends a session like q.
        let second = try ReviewFixture.review(path, keys: ["\u{04}"], env: ["DOCRECON_REVIEWER": "dan"])
        #expect(second.status == 0 && second.stdout.contains("Accepted 0, corrected 0, skipped 0; 2 left in the queue"))
        #expect(second.stdout.contains("2 value(s) to review"))
        #expect(second.stdout.contains("[1/2] encounter-form.pdf (document 1) · page 1 · record 1 · patient_name"))
        #expect(try AuditTrail.entries(db).map(\.reviewer) == ["dan"])
    }

    @Test func skipIsRememberedPerReviewer() throws {
        let (path, db) = try ReviewFixture.database("tty-skip")
        let r = try ReviewFixture.review(path, keys: ["s", "q"], args: ["--reviewer", "ann"])
        #expect(r.stdout.contains("skipped"))
        #expect(try db.read { try Int.fetchOne($0, sql: "SELECT count(*) FROM review_skips WHERE reviewer = 'ann' AND field = 'provider_npi'") } == 1)
        #expect(try ReviewFixture.field(db, "provider_npi").status == .needsReview)
        #expect(try AuditTrail.entries(db).isEmpty)
        let again = try ReviewFixture.review(path, keys: ["q"], args: ["--reviewer", "ann"])
        #expect(again.stdout.contains("[1/2]") && again.stdout.contains("· patient_name") && !again.stdout.contains("· provider_npi"))
        #expect(again.stdout.contains("1 skipped by ann"))
        let other = try ReviewFixture.review(path, keys: ["q"], args: ["--reviewer", "bob"])
        #expect(other.stdout.contains("[1/3]") && other.stdout.contains("· provider_npi"))
        let withSkipped = try ReviewFixture.review(path, keys: ["s", "s", "q"], args: ["--reviewer", "ann", "--skipped"])
        #expect(withSkipped.stdout.contains("[3/3] encounter-form.pdf (document 1) · page 1 · record 1 · provider_npi"))
    }

    @Test func backShowsThePreviousValueAgain() throws {
        let (path, db) = try ReviewFixture.database("tty-back")
        let r = try ReviewFixture.review(path, keys: ["b", "", "b", "1245319599", "q"], args: ["--reviewer", "ann"])
        #expect(r.status == 0)
        #expect(r.stdout.contains("already at the first value"))
        let firstShown = r.stdout.components(separatedBy: "[1/3] encounter-form.pdf (document 1) · page 1 · record 1 · provider_npi").count - 1
        #expect(firstShown == 3) // shown, `b` at the start, Enter, then `b` from the second
        #expect(r.stdout.contains("provider_npi  [accepted in this session]"))
        // Going back and typing a value corrects what was accepted: both are on the trail.
        #expect(try AuditTrail.entries(db).map(\.action) == [.accept, .correct])
        #expect(try ReviewFixture.field(db, "provider_npi").value == .string("1245319599"))
        #expect(r.stdout.contains("Accepted 0, corrected 1"))
    }

    @Test func aValueThatFailsItsCheckIsRefusedUntilForced() throws {
        let (path, db) = try ReviewFixture.database("tty-force")
        let r = try ReviewFixture.review(path, keys: ["1234567890", "!1234567890", "q"], args: ["--reviewer", "ann"])
        #expect(r.stdout.contains("refused: NPI check digit fails for '1234567890' (type !1234567890 to store it anyway)"))
        #expect(r.stdout.contains("→ 1234567890 (forced)"))
        let e = try AuditTrail.entries(db)
        #expect(e.count == 1 && e[0].forced && e[0].new == "1234567890")
    }

    @Test func inlinePictureOnlyWhenTheTerminalSaysSo() throws {
        let (path, _) = try ReviewFixture.database("tty-inline")
        let kitty = try ReviewFixture.review(path, keys: ["q"], env: ["TERM": "xterm-kitty"])
        #expect(kitty.stdout.contains("\u{1B}_Ga=T,f=100"))
        let plain = try ReviewFixture.review(path, keys: ["q"])
        #expect(!plain.stdout.contains("\u{1B}_G") && !plain.stdout.contains("\u{1B}]1337"))
        let tmux = try ReviewFixture.review(path, keys: ["q"], env: ["TERM_PROGRAM": "iTerm.app", "TMUX": "/tmp/tmux-1/default,1,0"])
        #expect(!tmux.stdout.contains("\u{1B}]1337") && tmux.stdout.contains("crop:"))
    }

    @Test func ctrlCKeepsWhatWasDecidedAndRemovesTheCrops() throws {
        let (path, db) = try ReviewFixture.database("tty-ctrlc")
        let r = try ReviewFixture.review(path, keys: ["", "\u{03}"], args: ["--reviewer", "ann"])
        #expect(r.status == 130)
        #expect(r.stdout.contains("Stopped; what you decided is saved"))
        #expect(try AuditTrail.entries(db).map(\.action) == [.accept], "\(r.stdout)")
        // The crops (patient values) went with the session.
        let crop = r.stdout.components(separatedBy: "\n").compactMap { line -> String? in
            guard let range = line.range(of: "crop:") else { return nil }
            return line[range.upperBound...].trimmingCharacters(in: .whitespacesAndNewlines)
        }.first { $0.hasPrefix("/") }
        #expect(crop != nil)
        if let crop {
            #expect(!FileManager.default.fileExists(atPath: crop))
            #expect(!FileManager.default.fileExists(atPath: (crop as NSString).deletingLastPathComponent))
        }
    }

    @Test func refusesToStartWithoutATerminal() throws {
        let (path, _) = try ReviewFixture.database("tty-none")
        let r = try TestSupport.run(["--db", path, "review"])
        #expect(r.status == 1)
        #expect(r.stdout.isEmpty)
        #expect(r.stderr.contains("needs a terminal") && r.stderr.contains("docrecon correct"))
        #expect(r.stderr.split(separator: "\n").count == 1)
    }
}
