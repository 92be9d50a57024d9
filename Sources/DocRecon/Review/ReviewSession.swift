import Foundation
import GRDB

/// Where the review loop reads keys and writes to: the terminal in the CLI.
public protocol ReviewTerminal: AnyObject {
    func write(_ text: String)
    /// One line typed by the reviewer, without its newline; nil at end of input (Ctrl-D).
    func readLine() -> String?
}

/// Inline pictures in terminals that say they can show them.
public enum InlineImageProtocol: String, Sendable {
    case iterm2, kitty

    /// Only when the terminal announces support: iTerm2 (and WezTerm, which speaks its
    /// protocol) through TERM_PROGRAM / LC_TERMINAL, kitty through TERM / KITTY_WINDOW_ID.
    /// Not inside tmux (it would need passthrough). `DOCRECON_INLINE_IMAGES=0` turns it off.
    public static func detect(_ env: [String: String] = ProcessInfo.processInfo.environment) -> InlineImageProtocol? {
        if env["DOCRECON_INLINE_IMAGES"] == "0" { return nil }
        if env["TMUX"] != nil { return nil }
        let program = env["TERM_PROGRAM"] ?? ""
        if program == "iTerm.app" || program == "WezTerm" || env["LC_TERMINAL"] == "iTerm2" { return .iterm2 }
        if env["TERM"] == "xterm-kitty" || env["KITTY_WINDOW_ID"] != nil { return .kitty }
        return nil
    }

    /// The escape sequence that shows `png`.
    public func sequence(_ png: Data, name: String) -> String {
        let b64 = png.base64EncodedString()
        switch self {
        case .iterm2:
            let n = Data(name.utf8).base64EncodedString()
            return "\u{1B}]1337;File=name=\(n);size=\(png.count);inline=1;preserveAspectRatio=1:\(b64)\u{07}\n"
        case .kitty:
            // Chunks of at most 4096 bytes of base64; m=1 on all but the last.
            var out = ""
            var rest = Substring(b64)
            var first = true
            while !rest.isEmpty || first {
                let chunk = rest.prefix(4096)
                rest = rest.dropFirst(chunk.count)
                let more = rest.isEmpty ? 0 : 1
                out += "\u{1B}_G" + (first ? "a=T,f=100,m=\(more)" : "m=\(more)") + ";" + chunk + "\u{1B}\\"
                first = false
            }
            return out + "\n"
        }
    }
}

/// What a review session did.
public struct ReviewSummary: Sendable, Equatable {
    public var accepted = 0
    public var corrected = 0
    public var skipped = 0
    public var left = 0
    public var quit = false
}

/// The interactive queue: one item at a time, Enter accepts, a typed value corrects, `s` skips,
/// `b` goes back, `q` quits. Line-based input, so it works in any terminal and under tmux.
public final class ReviewSession {
    let db: AppDatabase
    let filter: ReviewFilter
    let reviewer: String
    let terminal: ReviewTerminal
    let images = PagePictures()
    let inline: InlineImageProtocol?
    let today: CalendarDate
    /// Private folder for the crops (0700; files 0600).
    public let cropDirectory: String

    public init(db: AppDatabase, filter: ReviewFilter, terminal: ReviewTerminal, inline: InlineImageProtocol?,
                cropDirectory: String, today: CalendarDate = .today()) {
        self.db = db; self.filter = filter; self.reviewer = filter.reviewer; self.terminal = terminal
        self.inline = inline; self.cropDirectory = cropDirectory; self.today = today
    }

    public static let help = "Enter accepts · type a value + Enter corrects · s skips · b goes back · q quits"
        + " · =VALUE types a value that reads like a key · !VALUE stores a value that fails its check"

    public func run() throws -> ReviewSummary {
        var summary = ReviewSummary()
        let queue = try ReviewQueue.items(db, filter)
        if queue.isEmpty {
            terminal.write("Nothing to review" + (filter.includeSkipped ? "" : skippedNote()) + ".\n")
            return summary
        }
        terminal.write("\(queue.count) value(s) to review, lowest confidence first. \(Self.help)\n")
        // What this session did with each position (for `b`).
        var done: [Int: String] = [:]
        var i = 0
        loop: while i < queue.count {
            guard let item = try ReviewQueue.current(db, queue[i].key) else { i += 1; continue }
            try show(item, position: i, of: queue.count, done: done[i])
            terminal.write("> ")
            guard let line = terminal.readLine() else { summary.quit = true; break }
            let input = line.trimmingCharacters(in: .whitespaces)
            switch input {
            case "":
                if done[i] == nil {
                    try Corrections.accept(db, item.key, reviewer: reviewer, reason: "accepted in review")
                    done[i] = "accepted"; summary.accepted += 1
                    terminal.write("accepted \(item.displayValue)\n")
                }
                i += 1
            case "s", "S":
                try ReviewQueue.skip(db, item.key, reviewer: reviewer)
                if done[i] == nil { done[i] = "skipped"; summary.skipped += 1 }
                terminal.write("skipped\n")
                i += 1
            case "b", "B":
                if i == 0 { terminal.write("already at the first value\n") } else { i -= 1 }
            case "q", "Q":
                summary.quit = true
                break loop
            case "?", "h":
                terminal.write(Self.help + "\n")
            default:
                var value = input
                var force = false
                if value.hasPrefix("!") { force = true; value.removeFirst() }
                else if value.hasPrefix("=") { value.removeFirst() }
                do {
                    let why = "review" + (item.problem.map { ": \($0)" } ?? "")
                    let r = try Corrections.correct(db, item.key, input: value, reviewer: reviewer, reason: why, force: force, today: today)
                    let shown = r.new.map { FieldValue.fromStorage($0, type: item.type).description } ?? "(none)"
                    terminal.write("corrected \(item.displayValue) → \(shown)" + (force ? " (forced)" : "") + "\n")
                    for n in r.notes { terminal.write("note: \(n)\n") }
                    if done[i] != "corrected" { summary.corrected += 1 }
                    if done[i] == "accepted" { summary.accepted -= 1 }
                    if done[i] == "skipped" { summary.skipped -= 1 }
                    done[i] = "corrected"
                    i += 1
                } catch let e as CorrectionError {
                    terminal.write("refused: \(e) (type !\(value) to store it anyway)\n")
                }
            }
        }
        summary.left = try ReviewQueue.items(db, filter).count
        terminal.write("\nAccepted \(summary.accepted), corrected \(summary.corrected), skipped \(summary.skipped); "
                       + "\(summary.left) left in the queue." + (summary.left > 0 ? " Resume with: docrecon review" : "")
                       + skippedNote() + "\n")
        return summary
    }

    private func skippedNote() -> String {
        let who = reviewer
        guard !filter.includeSkipped,
              let n = try? db.read({ try Int.fetchOne($0, sql: "SELECT count(*) FROM review_skips WHERE reviewer = ?", arguments: [who]) }),
              n > 0 else { return "" }
        return " (\(n) skipped by \(reviewer): docrecon review --skipped)"
    }

    func show(_ item: ReviewItem, position: Int, of count: Int, done: String?) throws {
        let threshold = filter.below
        let (reasons, around) = try db.read { db in
            (try ReviewQueue.reasons(db, item, threshold: threshold), try ReviewQueue.context(db, item))
        }
        var where_ = "record \(item.key.recordIndex + 1)"
        if let l = item.key.lineIndex { where_ += " line \(l + 1)" }
        var out = "\n[\(position + 1)/\(count)] \(item.documentName) (document \(item.key.documentId)) · page \(item.page) · \(where_) · \(item.key.name)"
        if let done { out += "  [\(done) in this session]" }
        out += "\n"
        out += "  value:      \(item.displayValue)\n"
        out += "  raw:        \(item.raw.isEmpty ? "(nothing read)" : item.raw)\n"
        out += String(format: "  confidence: %.2f", item.confidence) + "   status: \(item.status)\n"
        out += "  why:        \(reasons.joined(separator: "; "))\n"
        if !around.isEmpty {
            out += "  around:     " + around.joined(separator: "\n              ") + "\n"
        }
        terminal.write(out)
        if let (path, png) = crop(item) {
            terminal.write("  crop:       \(path)\n")
            if let inline { terminal.write(inline.sequence(png, name: (path as NSString).lastPathComponent)) }
        }
    }

    /// Writes the PNG crop of the item's region; nil (and a line saying why) when there is none.
    func crop(_ item: ReviewItem) -> (String, Data)? {
        guard let box = item.box else { terminal.write("  crop:       (no box: the value was not found on the page)\n"); return nil }
        do {
            let (doc, page) = try db.read { db -> (Document?, Page?) in
                (try Document.fetchOne(db, key: item.key.documentId),
                 try Page.filter(Column("document_id") == item.key.documentId && Column("number") == item.page).fetchOne(db))
            }
            guard let doc, let page else { return nil }
            let png = try images.cropPNG(document: doc, page: page, box: box)
            let safe = item.key.name.filter { $0.isLetter || $0.isNumber || $0 == "_" }
            let name = "doc\(item.key.documentId)-p\(item.page)-r\(item.key.recordIndex + 1)"
                + (item.key.lineIndex.map { "-l\($0 + 1)" } ?? "") + "-\(safe).png"
            let path = cropDirectory + "/" + name
            try OwnerFiles.write(png, to: path)
            return (path, png)
        } catch {
            terminal.write("  crop:       (unavailable: \(error))\n")
            return nil
        }
    }
}

/// The process's terminal: stdout for text, stdin for lines.
public final class StandardTerminal: ReviewTerminal {
    public init() {}
    public func write(_ text: String) {
        FileHandle.standardOutput.write(Data(text.utf8))
    }
    public func readLine() -> String? { Swift.readLine(strippingNewline: true) }
}
