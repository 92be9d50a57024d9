import ArgumentParser
import DocRecon
import Foundation

/// Developer tools, kept out of the clerk's `docrecon`: measuring a blank form for a template,
/// looking at how a page registers, generating synthetic samples and ICE exports, rendering
/// PDF pages as the OCR stage sees them, the matcher benchmark.
@main
struct DevCommand: AsyncParsableCommand {
    static let configuration = CommandConfiguration(
        commandName: "docrecon-dev",
        abstract: "DocRecon's developer tools (not for everyday use).",
        subcommands: [MeasureForm.self, RegisterPage.self, GenerateSamples.self, GenerateIce.self, GenerateIceSample.self,
                      RenderPages.self, BenchMatch.self, Hash.self])

    static func main() async {
        ProcessEnvironment.ensureOpenMPThreadLimit()
        ProcessEnvironment.restrictFileCreationToOwner()
        do {
            var command = try parseAsRoot()
            if var a = command as? AsyncParsableCommand { try await a.run() } else { try command.run() }
        } catch {
            exit(withError: error)
        }
    }
}
