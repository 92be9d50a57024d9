import ArgumentParser
import DocRecon
import Foundation

struct Runs: AsyncParsableCommand {
    static let configuration = CommandConfiguration(
        abstract: "Past daily runs (run, watch): when, what came in, what went out, what failed.")
    @OptionGroup var global: GlobalOptions
    @Option(name: .long, help: "How many runs, newest first.") var last = 30
    @Flag(name: .long, help: "Print one JSON document on stdout.") var json = false

    func run() async throws {
        let db = try global.open()
        let runs = try DailyRunStore.list(db, limit: max(1, last))
        if json { print(try JSON.string(runs)); return }
        guard !runs.isEmpty else { print("No daily runs yet (docrecon run --config FILE)."); return }
        let f = ISO8601DateFormatter()
        for r in runs {
            var line = "\(r.id)  \(r.date.iso)  \(r.kind)  \(r.status)  started \(f.string(from: r.startedAt))"
            if let e = r.finishedAt { line += String(format: " (%.1f s)", e.timeIntervalSince(r.startedAt)) }
            print(line)
            guard let rep = r.report else { continue }
            var came: [String] = []
            if !rep.scans.isEmpty { came.append("\(rep.scans.count) scan\(rep.scans.count == 1 ? "" : "s")") }
            if !rep.ice.isEmpty { came.append("\(rep.ice.count) ICE export\(rep.ice.count == 1 ? "" : "s") (\(rep.ice.reduce(0) { $0 + ($1.rows ?? 0) }) rows)") }
            if let e = rep.ebs, e.error == nil { came.append("EBS \(e.source) (\(e.charges ?? 0) charges)") }
            if !came.isEmpty { print("    in:      " + came.joined(separator: ", ")) }
            if let c = rep.reconcile { print("    made:    \(c.workbooks.joined(separator: ", ")) (\(c.charges) charges, \(c.billed) billed)") }
            let sent = rep.deliveries.filter { $0.status == "delivered" }
            if !sent.isEmpty { print("    out:     \(sent.map(\.file).joined(separator: ", ")) -> \(sent[0].to)") }
            for x in rep.rejected { print("    refused: \(x.file): \(x.reason)") }
            for x in rep.failures { print("    failed:  \(x)") }
        }
    }
}
