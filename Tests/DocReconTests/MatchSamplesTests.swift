import Foundation
import Testing
@testable import DocRecon

/// The committed sample ICE export overlaps the sample sheets as the demo promises: matching the
/// ground truth of the sheets against it gives exactly one paper-only and one mismatched charge.
@Suite struct MatchSamplesTests {
    static let truthDir = TestSupport.repoRoot.appendingPathComponent("Samples/sheets").path
    static let exportDate = CalendarDate(year: 2026, month: 11, day: 20)!
    static let committed = TestSupport.repoRoot.appendingPathComponent("Samples/ice/Export PRM 11-20-2026 Completed (sheets).csv")

    @Test func committedExportIsTheGeneratorsOutput() throws {
        let rows = try MatchSamples.iceRows(truthDir: Self.truthDir, exportDate: Self.exportDate)
        #expect(try String(contentsOf: Self.committed, encoding: .utf8) == MatchSamples.csv(rows))
    }

    @Test func groundTruthAgainstTheExport() throws {
        let rows = try MatchSamples.iceRows(truthDir: Self.truthDir, exportDate: Self.exportDate)
        let h = rows[0]
        func col(_ r: [String], _ name: String) -> String { r[h.firstIndex(of: name)!] }
        func usDate(_ s: String) -> CalendarDate? {
            let p = s.split(separator: "-").compactMap { Int($0) }
            return p.count == 3 ? CalendarDate(year: p[2], month: p[0], day: p[1]) : nil
        }
        var charges: [Charge] = []
        var id: Int64 = 0
        for (i, r) in rows.dropFirst().enumerated() {
            id += 1
            charges.append(Charge(id: id, source: .ice, importId: 1, rowNumber: i + 2, patientName: col(r, "Patient Name"),
                                  patientDob: usDate(col(r, "DOB")), dateOfService: usDate(col(r, "Date of Service")),
                                  facility: col(r, "Facility"), cpt: col(r, "CPT"), modifiers: col(r, "Modifier"),
                                  units: Int(col(r, "Units")) ?? 1))
        }
        // Paper charges straight from the ground truth (what a perfect extraction would give).
        let files = try FileManager.default.contentsOfDirectory(atPath: Self.truthDir).filter { $0.hasSuffix(".json") }.sorted()
        var doc: Int64 = 0
        for f in files {
            doc += 1
            let t = try JSONDecoder().decode(MatchSamples.Truth.self, from: Data(contentsOf: URL(fileURLWithPath: "\(Self.truthDir)/\(f)")))
            for (ri, rec) in t.records.enumerated() {
                for (li, l) in rec.lines.enumerated() {
                    id += 1
                    let dos = (l["date_of_service"] ?? rec.fields["date_of_service"])?.text ?? ""
                    charges.append(Charge(id: id, source: .paper, documentId: doc, recordIndex: ri, lineIndex: li,
                                          patientName: rec.fields["patient_name"]?.text ?? "",
                                          patientDob: CalendarDate(iso: rec.fields["patient_dob"]?.text ?? ""),
                                          dateOfService: CalendarDate(iso: dos), facility: rec.fields["facility"]?.text ?? "",
                                          cpt: l["code"]?.text ?? "", modifiers: l["modifiers"]?.text ?? "",
                                          units: Int(l["units"]?.text ?? "1") ?? 1))
                }
            }
        }
        let sets = try MatchFixtures.matcher().engine.sets(for: charges)
        let byStatus = Dictionary(grouping: sets, by: \.status)
        let paperOnly = try #require(byStatus[.paperOnly])
        #expect(paperOnly.count == 1)
        #expect(charges.first { $0.id == paperOnly[0].members[0].id }?.cpt == "71046")
        let mismatch = try #require(byStatus[.mismatch])
        #expect(mismatch.count == 1)
        #expect(mismatch[0].differences.map { "\($0.field) \($0.paper)→\($0.ice)" } == ["units 2→1"])
        #expect(byStatus[.iceOnly]?.count == 3)
        #expect(byStatus[.conflict] == nil)
        #expect((byStatus[.complete]?.count ?? 0) == charges.filter { $0.source == .paper }.count - 2)
    }
}
