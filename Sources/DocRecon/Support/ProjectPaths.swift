import Foundation

/// Finds the folders that ship with the checkout (Rules/, Samples/, tessdata/): next to the
/// working directory or above the running binary (`.build/<config>/docrecon` sits inside it).
public enum ProjectPaths {
    public static func checkoutRoot() -> String? {
        var candidates: [URL] = [URL(fileURLWithPath: FileManager.default.currentDirectoryPath)]
        let exe = URL(fileURLWithPath: CommandLine.arguments.first ?? "").resolvingSymlinksInPath()
        if let real = try? FileManager.default.destinationOfSymbolicLink(atPath: "/proc/self/exe") {
            candidates.append(URL(fileURLWithPath: real).deletingLastPathComponent())
        }
        candidates.append(exe.deletingLastPathComponent())
        for start in candidates {
            var dir = start.standardizedFileURL
            for _ in 0..<8 {
                if FileManager.default.fileExists(atPath: dir.appendingPathComponent("Rules").path),
                   FileManager.default.fileExists(atPath: dir.appendingPathComponent("Package.swift").path) {
                    return dir.path
                }
                let up = dir.deletingLastPathComponent()
                if up.path == dir.path { break }
                dir = up
            }
        }
        return nil
    }

    /// `explicit`, else `<checkout>/<name>`, else nil.
    public static func folder(_ name: String, explicit: String? = nil) -> String? {
        if let e = explicit { return e }
        return checkoutRoot().map { "\($0)/\(name)" }
    }

    public static var rules: String? { folder("Rules") }
    public static var samples: String? { folder("Samples") }
}
