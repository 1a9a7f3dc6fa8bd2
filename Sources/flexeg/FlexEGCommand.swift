import ArgumentParser
import FlexEG

@main
struct FlexEGCommand: ParsableCommand {
    static let configuration = CommandConfiguration(commandName: "flexeg", abstract: "FlexEG")
}
