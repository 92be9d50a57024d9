import Foundation

/// Human text for `docrecon sets`.
public enum SetsText {
    static func kindLetter(_ k: MatchKind) -> String {
        switch k { case .paperCharge: return "P"; case .iceRow: return "I"; case .ebsCharge: return "E"; case .paperSheet: return "S" }
    }

    public static func differenceText(_ d: MatchDifference) -> String { "\(d.field) \(d.paper)→\(d.ice)" }

    public static func list(_ sets: [MatchedSet], charges: [Charge]) -> String {
        var byId: [Int64: Charge] = [:]
        for c in charges { if let id = c.id { byId[id] = c } }
        let rows: [[String]] = sets.map { s in
            let first = s.members.first.flatMap { byId[$0.id] }
            let codes = s.members.compactMap { byId[$0.id]?.cpt }.joined(separator: " ")
            let notes = s.status == .conflict
                ? s.conflicts.map { "\($0.field): \($0.values.joined(separator: " / "))" }.joined(separator: "; ")
                : s.differences.map(differenceText).joined(separator: "; ")
            return [String(s.id), s.status.rawValue, s.members.map { "\(kindLetter($0.kind))\($0.id)" }.joined(separator: " "),
                    first?.patientName ?? "", first?.dateOfService?.iso ?? "", codes, notes]
        }
        var counts: [MatchSetStatus: Int] = [:]
        for s in sets { counts[s.status, default: 0] += 1 }
        let summary = MatchSetStatus.allCases.compactMap { st in counts[st].map { "\($0) \(st.rawValue)" } }.joined(separator: ", ")
        return TextTable.render(header: ["set", "status", "members", "patient", "service date", "codes", "differences"], rows: rows)
            + "\n\(sets.count) sets: \(summary)"
    }

    public static func detail(_ s: MatchedSet, charges: [Charge], names: [Int64: String]) -> String {
        var out = ["set \(s.id): \(s.status.rawValue)"]
        let rows: [[String]] = charges.map { c in
            let origin: String
            if c.source == .paper {
                let doc = c.documentId.map { names[$0] ?? "document \($0)" } ?? "?"
                origin = "\(doc) sheet \((c.recordIndex ?? 0) + 1) line \((c.lineIndex ?? 0) + 1)"
            } else {
                origin = "import \(c.importId.map(String.init) ?? "?") row \(c.rowNumber.map(String.init) ?? "?")"
            }
            return [String(c.id ?? 0), MatchKind.of(c.source).rawValue, origin, c.patientName, c.patientDob?.iso ?? "",
                    c.dateOfService?.iso ?? "", c.facility, c.cpt, c.modifiers, String(c.units), c.amount?.decimalString ?? ""]
        }
        out.append(TextTable.render(header: ["id", "kind", "from", "patient", "DOB", "service date", "facility", "code", "mod", "units", "amount"], rows: rows))
        if !s.links.isEmpty {
            out.append("links:")
            for l in s.links {
                let codes = l.aCode.map { " \($0)~\(l.bCode ?? "")" } ?? ""
                let parent = l.parentRule.map { ", within \($0) \(String(format: "%.2f", l.parentScore ?? 0))" } ?? ""
                out.append("  \(kindLetter(l.a.kind))\(l.a.id) – \(kindLetter(l.b.kind))\(l.b.id)\(codes): \(l.rule) \(String(format: "%.2f", l.score))\(parent)")
            }
        }
        if !s.differences.isEmpty {
            out.append("differences (paper → ICE):")
            for d in s.differences { out.append("  \(differenceText(d))  (P\(d.paperId.map(String.init) ?? "-") / I\(d.iceId.map(String.init) ?? "-"))") }
        }
        if !s.conflicts.isEmpty {
            out.append("conflicts:")
            for c in s.conflicts { out.append("  \(c.kind.rawValue) \(c.field): \(c.values.joined(separator: " / "))") }
        }
        return out.joined(separator: "\n")
    }
}
