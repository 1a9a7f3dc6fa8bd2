import ArgumentParser
import FlexEG
import FlexRuntime
import Foundation

/// `flexeg monitor`: one JSON report per period on stdout, in neuron-monitor's structure and field
/// names (see `MonitorReport`), for every runtime publishing in the runtime directory; or, with
/// `--prometheus PORT`, the same served as Prometheus metrics on loopback.
struct MonitorCommand: ParsableCommand {
    static let configuration = CommandConfiguration(
        commandName: "monitor",
        abstract: "Report every runtime's NeuronCores, executions, latency and memory each period, as neuron-monitor does.",
        discussion: """
            Each line is one JSON object: {"neuron_runtime_data":[{"pid","neuron_runtime_tag","error","report":\
            {"neuroncore_counters","execution_stats","memory_used","neuron_runtime_vcpu_usage"}}],"system_data":\
            {"vcpu_usage","memory_info"},"instance_info","neuron_hardware_info"}. -c takes neuron-monitor's \
            configuration ({"period":"1s","neuron_runtimes":[{"tag_filter":".*","metrics":[{"type":...}]}],\
            "system_metrics":[{"type":...}]}); without one every group is reported every 5 s. Per NeuronCore, \
            FlexEG adds model_switches and executions (totals) and model_switches_in_period. Runtimes are read \
            from FLEXEG_RUNTIME_DIR (default /tmp/flexeg-runtime).
            """
    )

    @Option(name: [.customShort("c"), .customLong("config")], help: ArgumentHelp("neuron-monitor's JSON configuration file.", valueName: "config.json"))
    var config: String?

    @Option(help: ArgumentHelp("Stop after N reports (default: run until interrupted).", valueName: "n"))
    var count: Int?

    @Option(help: ArgumentHelp("Serve the reports as Prometheus metrics on http://127.0.0.1:PORT/metrics (0: any free port) instead of printing them.",
                               valueName: "port"))
    var prometheus: Int?

    func run() throws {
        try reportingErrors {
            if let count, count < 1 { throw CommandLineError("--count must be at least 1; it is \(count)") }
            if let prometheus, !(0...65535).contains(prometheus) { throw CommandLineError("--prometheus must be a port from 0 to 65535; it is \(prometheus)") }
            var configuration = MonitorReport.Configuration()
            if let config {
                guard let data = FileManager.default.contents(atPath: config) else {
                    throw CommandLineError("cannot read the monitor configuration \(config); give -c an existing JSON file")
                }
                configuration = try MonitorReport.Configuration.parse(data, path: config)
            }
            let exporter = try prometheus.map { try PrometheusExporter(port: $0) }
            if let exporter {
                FileHandle.standardError.write(Data("flexeg monitor: Prometheus metrics on http://127.0.0.1:\(exporter.port)/metrics\n".utf8))
            }
            let directory = RuntimeStateReader.runtimeDirectory()
            var earlier = MonitorReport.Reading.now(runtimeDirectory: directory)
            var reports = 0
            while count.map({ reports < $0 }) ?? true {
                Thread.sleep(forTimeInterval: max(0, earlier.time + configuration.period - Date().timeIntervalSince1970))
                let later = MonitorReport.Reading.now(runtimeDirectory: directory)
                let report = MonitorReport(configuration: configuration, earlier: earlier, later: later).json()
                if let exporter {
                    exporter.update(report)
                } else {
                    print(MonitorReport.line(report))
                    fflush(nil)
                }
                earlier = later
                reports += 1
            }
        }
    }
}
