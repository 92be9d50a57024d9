import ArgumentParser
import DocRecon
import Foundation

struct Sets: AsyncParsableCommand {
    static let configuration = CommandConfiguration(
        abstract: "Matched sets (paper charges and ICE rows that are the same charge) and their members.")
    @OptionGroup var global: GlobalOptions
    @Argument(help: "One set's id: show it with its members.") var set: Int64?
    @Option(name: .long, help: "Only sets with this status: complete, paper-only, ice-only, mismatch, conflict.")
    var status: String?
    @Option(name: .long, help: "Folder holding matching.yaml (default: the checkout's Rules/).") var rules: String?
    @Flag(name: .long, help: "Print one JSON document on stdout.") var json = false

    func run() async throws {
        var wanted: MatchSetStatus?
        if let status {
            guard let s = MatchSetStatus(rawValue: status) else {
                throw CLIError.failure("unknown status '\(status)' (use \(MatchSetStatus.allCases.map(\.rawValue).joined(separator: ", ")))")
            }
            wanted = s
        }
        let db = try global.open()
        let matcher: Matcher
        do { matcher = try Matcher.shipped(rulesDir: rules) } catch { throw CLIError.failure("\(error)") }
        // Sets follow the charges: anything added, corrected or deleted since the last run is rematched.
        try matcher.refresh(db)

        if let id = set {
            guard let (s, charges) = try MatchQueries.set(db, id: id) else {
                throw CLIError.failure("no set \(id) (docrecon sets lists them)")
            }
            if json { print(try JSON.string(SetDetail(s, charges: charges))); return }
            print(SetsText.detail(s, charges: charges, names: try documentNames(db)))
            return
        }
        let sets = try MatchQueries.sets(db, status: wanted)
        if json { print(try JSON.string(sets)); return }
        if sets.isEmpty { print(wanted == nil ? "no sets (no charges yet)" : "no \(wanted!.rawValue) sets"); return }
        let charges = try db.read { try Matcher.loadCharges($0) }
        print(SetsText.list(sets, charges: charges))
    }

    private func documentNames(_ db: AppDatabase) throws -> [Int64: String] {
        var out: [Int64: String] = [:]
        for d in try DocumentQueries.list(db) { if let id = d.id { out[id] = d.originalName } }
        return out
    }
}

/// `sets SET --json`: the set and its member charges.
struct SetDetail: Encodable {
    var id: Int64
    var status: MatchSetStatus
    var members: [MatchMember]
    var links: [MatchLink]
    var differences: [MatchDifference]
    var conflicts: [MatchConflict]
    var charges: [Charge]
    init(_ s: MatchedSet, charges: [Charge]) {
        id = s.id; status = s.status; members = s.members; links = s.links
        differences = s.differences; conflicts = s.conflicts; self.charges = charges
    }
}
