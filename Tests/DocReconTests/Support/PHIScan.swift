import Foundation
import Testing

/// Issue 21, item 7: no patient value in a message at the default level. Every run of the built
/// binary the suite makes without `--verbose` has its stderr (the messages: rejections, errors,
/// warnings, logs) searched for the sample patients' names, dates of birth (as ISO and as the
/// forms and exports write them) and account numbers; a hit is an issue of the test that ran it.
enum PHIScan {
    /// The sample patients' values: the truth files of Samples/sheets and the ICE exports of
    /// Samples/ice (names and DOBs), lower-cased.
    static let values: [String] = {
        var out = Set<String>()
        let root = TestSupport.repoRoot
        let sheets = root.appendingPathComponent("Samples/sheets")
        func addDate(_ iso: String) {
            let p = iso.split(separator: "-")
            guard p.count == 3 else { return }
            out.formUnion([iso, "\(p[1])-\(p[2])-\(p[0])", "\(p[1])/\(p[2])/\(p[0])"])
        }
        for f in (try? FileManager.default.contentsOfDirectory(atPath: sheets.path)) ?? [] where f.hasSuffix(".json") {
            guard let d = FileManager.default.contents(atPath: sheets.appendingPathComponent(f).path),
                  let obj = try? JSONSerialization.jsonObject(with: d) as? [String: Any],
                  let records = obj["records"] as? [[String: Any]] else { continue }
            for r in records {
                let fields = r["fields"] as? [String: Any] ?? [:]
                if let n = fields["patient_name"] as? String, n.count >= 5 { out.insert(n) }
                if let a = fields["account_number"] as? String, a.count >= 4 { out.insert(a) }
                if let dob = fields["patient_dob"] as? String { addDate(dob) }
            }
        }
        let ice = root.appendingPathComponent("Samples/ice")
        for f in (try? FileManager.default.contentsOfDirectory(atPath: ice.path)) ?? [] where f.hasSuffix(".csv") {
            guard let text = try? String(contentsOf: ice.appendingPathComponent(f), encoding: .utf8) else { continue }
            for line in text.split(whereSeparator: \.isNewline).dropFirst() {
                // "Last, First",MM-dd-yyyy,...
                guard line.hasPrefix("\""), let close = line.dropFirst().firstIndex(of: "\"") else { continue }
                let name = String(line[line.index(after: line.startIndex)..<close])
                if name.count >= 5 { out.insert(name) }
                let rest = line[line.index(after: close)...].split(separator: ",")
                if let dob = rest.first, dob.count == 10 { out.insert(String(dob)) }
            }
        }
        return Set(out.map { $0.lowercased() }).sorted()
    }()

    /// The sample values `text` holds.
    static func hits(in text: String) -> [String] {
        let lower = text.lowercased()
        return values.filter { lower.contains($0) }
    }

    /// Records an issue when a default-level run of the binary printed a patient value.
    static func check(path: String, args: [String], stderr: String) {
        guard path == TestSupport.binary.path, !args.contains("--verbose"), !stderr.isEmpty else { return }
        let found = hits(in: stderr)
        if !found.isEmpty {
            Issue.record("a default-level message of `docrecon \(args.prefix(3).joined(separator: " "))` holds sample patient values \(found): \(stderr.prefix(400))")
        }
    }
}
