import ArgumentParser

@main
struct FlexEGCommand: AsyncParsableCommand {
    static let configuration = CommandConfiguration(
        commandName: "flexeg",
        abstract: "Run MXNet models on NeuronCores placed at run time (Flexible Execution Groups).",
        subcommands: [DemoCommand.self, RunCommand.self, CompileCommand.self, BenchCommand.self, InferCommand.self, InspectCommand.self,
                      LsCommand.self, TopCommand.self, MonitorCommand.self, ServeCommand.self]
    )
}
