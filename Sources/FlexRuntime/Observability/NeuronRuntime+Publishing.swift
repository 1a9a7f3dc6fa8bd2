import Foundation

extension NeuronRuntime {
    /// `NEURON_PROCESS_TAG` as neuron-monitor reads it (at most 255 characters), else the pid.
    static func processTag(_ environment: [String: String]) -> String {
        guard let tag = environment["NEURON_PROCESS_TAG"], !tag.allSatisfy(\.isWhitespace) else { return "\(getpid())" }
        return String(tag.prefix(255))
    }

    /// The process's command line: `/proc/self/cmdline` where there is one, else the arguments.
    static let processCommand: String = {
        ProcFile.commandLine("self") ?? CommandLine.arguments.joined(separator: " ")
    }()

    /// Starts publishing this runtime's state for other processes (`StatePublisher`), unless
    /// `FLEXEG_PUBLISH_STATE=0`. A publisher that cannot start is a warning: serving goes on.
    func startPublishing(environment: [String: String], runtimeDirectory: String) -> StatePublisher? {
        guard StatePublisher.isEnabled(environment) else { return nil }
        let tag = Self.processTag(environment)
        do {
            return try StatePublisher(runtimeDirectory: runtimeDirectory) { [weak self] in
                self?.publishedState(tag: tag).json()
            }
        } catch {
            raise([RuntimeWarning(
                kind: .statePublishingUnavailable,
                message: "flexeg ls/top/monitor cannot see this process: \(error) (FLEXEG_PUBLISH_STATE=0 turns publishing off)")])
            return nil
        }
    }

    /// This runtime's state as `StatePublisher` serves it.
    func publishedState(tag: String) -> PublishedState {
        let snapshot = snapshot()
        let now = ContinuousClock.now
        let busy = neuronCores.map { core in
            PublishedState.Core(
                index: core.index, deviceCore: core.deviceIndex,
                busySeconds: core.counters.withLock { $0.busyTime }.seconds,
                uptimeSeconds: core.started.duration(to: now).seconds)
        }
        let loaded = Dictionary(state.withLock { $0.models }.map { ($0.id, $0) }, uniquingKeysWith: { first, _ in first })
        let ranks = PublishedState.LatencyPercentiles.ranks
        var allLatencies: [Double] = []
        let models = snapshot.models.map { model in
            let instance = loaded[model.id]
            let latencies = instance?.counters.withLock { $0.latencies }.latencySeconds ?? []
            allLatencies += latencies
            return PublishedState.Model(
                id: model.id, name: model.name,
                memory: (instance?.charges ?? []).map { charge in
                    PublishedState.CoreMemory(
                        core: charge.core, deviceCore: neuronCores[charge.core].deviceIndex,
                        weightBytes: charge.weightBytes, instanceBytes: charge.instanceBytes)
                },
                latencySeconds: LatencyWindow.percentiles(of: latencies, ranks: ranks).map(PublishedState.LatencyPercentiles.init))
        }
        var usage = rusage()
        #if canImport(Glibc)
        getrusage(RUSAGE_SELF.rawValue, &usage)
        #else
        getrusage(RUSAGE_SELF, &usage)
        #endif
        func seconds(_ time: timeval) -> Double { Double(time.tv_sec) + Double(time.tv_usec) / 1e6 }
        let uptime = neuronCores.first?.started.duration(to: now).seconds ?? 0
        let takenAt = Date().timeIntervalSince1970
        return PublishedState(
            version: PublishedState.currentVersion, pid: getpid(), command: Self.processCommand, tag: tag,
            startedAt: takenAt - uptime, takenAt: takenAt, uptimeSeconds: uptime,
            cpuUserSeconds: seconds(usage.ru_utime), cpuSystemSeconds: seconds(usage.ru_stime),
            snapshot: snapshot, cores: busy, models: models,
            latencySeconds: LatencyWindow.percentiles(of: allLatencies, ranks: ranks).map(PublishedState.LatencyPercentiles.init))
    }
}
