/// An EC2 Inferentia/Trainium instance size: how many NeuronCores its devices hold and how much
/// device memory each core gets.
///
/// Device memory per core, from AWS's Neuron architecture pages
/// (awsdocs-neuron.readthedocs-hosted.com, "Inferentia Architecture", "Inferentia2 Architecture",
/// "Trainium Architecture"): an Inferentia chip has 8 GiB of DRAM for 4 NeuronCore-v1 (2 GiB per core);
/// an Inferentia2 or Trainium chip has 32 GiB of HBM for 2 NeuronCore-v2 (16 GiB per core).
///
/// Thread ownership: an immutable value.
public struct InstanceType: Sendable, Hashable, CustomStringConvertible {
    public let name: String
    public let coreCount: Int
    /// Device memory budget of each NeuronCore in bytes.
    public let memoryPerCore: Int

    public init(name: String, coreCount: Int, memoryPerCore: Int) {
        self.name = name
        self.coreCount = coreCount
        self.memoryPerCore = memoryPerCore
    }

    public var description: String { "\(name) (\(coreCount) NeuronCores)" }

    static let gibibyte = 1 << 30

    /// Every instance type FlexEG knows, smallest first within each family.
    public static let known: [InstanceType] = [
        InstanceType(name: "inf1.xlarge", coreCount: 4, memoryPerCore: 2 * gibibyte),
        InstanceType(name: "inf1.2xlarge", coreCount: 4, memoryPerCore: 2 * gibibyte),
        InstanceType(name: "inf1.6xlarge", coreCount: 16, memoryPerCore: 2 * gibibyte),
        InstanceType(name: "inf1.24xlarge", coreCount: 64, memoryPerCore: 2 * gibibyte),
        InstanceType(name: "inf2.xlarge", coreCount: 2, memoryPerCore: 16 * gibibyte),
        InstanceType(name: "inf2.8xlarge", coreCount: 2, memoryPerCore: 16 * gibibyte),
        InstanceType(name: "inf2.24xlarge", coreCount: 12, memoryPerCore: 16 * gibibyte),
        InstanceType(name: "inf2.48xlarge", coreCount: 24, memoryPerCore: 16 * gibibyte),
        InstanceType(name: "trn1.2xlarge", coreCount: 2, memoryPerCore: 16 * gibibyte),
        InstanceType(name: "trn1.32xlarge", coreCount: 32, memoryPerCore: 16 * gibibyte),
    ]

    /// The known instance type called `name` (case-insensitive).
    /// Throws `RuntimeError.unknownInstanceType` listing the valid names.
    public init(named name: String) throws(RuntimeError) {
        let wanted = name.lowercased()
        guard let match = Self.known.first(where: { $0.name == wanted }) else {
            throw .unknownInstanceType(name, valid: Self.known.map(\.name))
        }
        self = match
    }
}
