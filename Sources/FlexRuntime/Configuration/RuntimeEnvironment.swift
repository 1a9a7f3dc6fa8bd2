import Foundation

/// The environment variables FlexRuntime reads, parsed and checked against the device.
///
/// Variables (empty or all-blank values count as unset):
/// - `NEURON_RT_VISIBLE_CORES`: the exact device cores of this process (`3`, `2-5`, `1,3`,
///   `0-1,4`); takes precedence over `NEURON_RT_NUM_CORES`, as in Neuron Runtime 2.x.
/// - `NEURON_RT_NUM_CORES`: how many cores to reserve; the lowest-numbered free ones are taken.
///   `0` means all.
/// - `NEURONCORE_GROUP_SIZES`: legacy NeuronCore Groups (`2,4,3,4`, `4x1` = four groups of one core,
///   mixable: `2x1,4`), laid out in order over the process's cores. With neither core variable set
///   the process reserves exactly the cores the groups need.
/// - `NEURON_RT_EXEC_TIMEOUT`: seconds a blocking inference may take (integer; `0` = no limit).
/// - `FLEXEG_RUNTIME_DIR`: directory of the per-core lock files (default `/tmp/flexeg-runtime`).
///
/// Thread ownership: an immutable value.
struct RuntimeEnvironment: Equatable, Sendable {
    static let visibleCoresVariable = "NEURON_RT_VISIBLE_CORES"
    static let numCoresVariable = "NEURON_RT_NUM_CORES"
    static let groupSizesVariable = "NEURONCORE_GROUP_SIZES"
    static let executionTimeoutVariable = "NEURON_RT_EXEC_TIMEOUT"
    static let runtimeDirectoryVariable = "FLEXEG_RUNTIME_DIR"
    static let defaultRuntimeDirectory = "/tmp/flexeg-runtime"
    /// Neuron Runtime 2.x's documented default for `NEURON_RT_EXEC_TIMEOUT`.
    static let defaultExecutionTimeout = Duration.seconds(30)

    /// Which device cores the process wants.
    enum Cores: Equatable, Sendable {
        case all
        /// Exactly these device cores, ascending.
        case exactly([Int])
        /// This many free cores, lowest-numbered first.
        case count(Int)
    }

    var cores: Cores
    /// Legacy NeuronCore Group sizes, in group order; nil in FlexEG mode.
    var groupSizes: [Int]?
    var lockDirectory: String
    /// nil: no limit.
    var executionTimeout: Duration?

    init(cores: Cores, groupSizes: [Int]?, lockDirectory: String, executionTimeout: Duration?) {
        self.cores = cores
        self.groupSizes = groupSizes
        self.lockDirectory = lockDirectory
        self.executionTimeout = executionTimeout
    }

    /// Reads and checks the variables for a device of `deviceCoreCount` NeuronCores.
    init(_ environment: [String: String], deviceCoreCount: Int) throws(RuntimeError) {
        func value(_ name: String) -> String? {
            guard let raw = environment[name], !raw.allSatisfy(\.isWhitespace) else { return nil }
            return raw
        }
        let lastCore = deviceCoreCount - 1

        if let visible = value(Self.visibleCoresVariable) {
            switch CoreList.parse(visible) {
            case .failure(let problem):
                throw .invalidEnvironment(
                    variable: Self.visibleCoresVariable, value: visible,
                    expected: "core indexes and ranges like 3, 2-5 or 1,3 between 0 and \(lastCore) (\(problem))")
            case .success(let list):
                if let outside = list.first(where: { $0 > lastCore }) {
                    throw .invalidEnvironment(
                        variable: Self.visibleCoresVariable, value: visible,
                        expected: "cores between 0 and \(lastCore): the device has \(deviceCoreCount) NeuronCores, "
                            + "so core \(outside) does not exist")
                }
                cores = .exactly(list)
            }
        } else if let number = value(Self.numCoresVariable) {
            guard let count = Int(number.trimmingCharacters(in: .whitespaces)), (0...deviceCoreCount).contains(count) else {
                throw .invalidEnvironment(
                    variable: Self.numCoresVariable, value: number,
                    expected: "a whole number from 1 to \(deviceCoreCount) (the device's NeuronCores), or 0 for all")
            }
            cores = count == 0 ? .all : .count(count)
        } else {
            cores = .all
        }

        groupSizes = nil
        if let groups = value(Self.groupSizesVariable) {
            let sizes = try Self.parseGroupSizes(groups)
            let total = sizes.reduce(0, +)
            if cores == .all {
                guard total <= deviceCoreCount else {
                    throw .invalidEnvironment(
                        variable: Self.groupSizesVariable, value: groups,
                        expected: "group sizes adding up to at most \(deviceCoreCount) (the device's NeuronCores); these add up to \(total)")
                }
                cores = .count(total)
            } else {
                let available: Int
                switch cores {
                case .all: available = deviceCoreCount
                case .exactly(let list): available = list.count
                case .count(let count): available = count
                }
                guard total <= available else {
                    throw .invalidEnvironment(
                        variable: Self.groupSizesVariable, value: groups,
                        expected: "group sizes adding up to at most \(available) (the NeuronCores this process reserves "
                            + "through \(value(Self.visibleCoresVariable) != nil ? Self.visibleCoresVariable : Self.numCoresVariable)); "
                            + "these add up to \(total)")
                }
            }
            groupSizes = sizes
        }

        executionTimeout = Self.defaultExecutionTimeout
        if let timeout = value(Self.executionTimeoutVariable) {
            guard let seconds = Int(timeout.trimmingCharacters(in: .whitespaces)), seconds >= 0 else {
                throw .invalidEnvironment(
                    variable: Self.executionTimeoutVariable, value: timeout,
                    expected: "a whole number of seconds, 0 or more (0 means no limit)")
            }
            executionTimeout = seconds == 0 ? nil : .seconds(seconds)
        }

        lockDirectory = value(Self.runtimeDirectoryVariable) ?? Self.defaultRuntimeDirectory
    }

    /// `2,4,3,4` → `[2, 4, 3, 4]`; `4x1` → `[1, 1, 1, 1]` (count `x` size).
    private static func parseGroupSizes(_ text: String) throws(RuntimeError) -> [Int] {
        func malformed(_ detail: String) -> RuntimeError {
            .invalidEnvironment(
                variable: groupSizesVariable, value: text,
                expected: "comma-separated group sizes of at least 1, each a size like 4 or a count x size like 4x1 (\(detail))")
        }
        var sizes: [Int] = []
        for rawItem in text.split(separator: ",", omittingEmptySubsequences: false) {
            let item = rawItem.trimmingCharacters(in: .whitespaces).lowercased()
            guard !item.isEmpty else { throw malformed("an empty item between commas") }
            let parts = item.split(separator: "x", omittingEmptySubsequences: false)
            guard parts.count <= 2,
                  let last = Int(parts[parts.count - 1].trimmingCharacters(in: .whitespaces)), last >= 1,
                  let first = Int(parts[0].trimmingCharacters(in: .whitespaces)), first >= 1,
                  first <= 1 << 16, last <= 1 << 16
            else { throw malformed("\"\(item)\" is not a size or count x size of at least 1") }
            if parts.count == 2 {
                sizes.append(contentsOf: repeatElement(last, count: first))
            } else {
                sizes.append(first)
            }
        }
        return sizes
    }
}
