import CFlexKernels
import Foundation

extension Fast {
    /// A family of C micro-kernels, ordered `portable < avx2 < avx512`: a CPU that runs a family runs every
    /// lower one. The raw values are the spellings of the command line, of `FLEXEG_MAX_ISA` and of compiled
    /// artifacts.
    public enum InstructionSet: String, Sendable, CaseIterable, Comparable, Codable {
        /// Plain C, correct on any CPU.
        case portable
        /// x86-64 with AVX2 and FMA: 256-bit vector kernels (GEMM in 6 x 16 tiles, B read in place where that
        /// pays).
        case avx2
        /// x86-64 with AVX-512F (and AVX2, FMA): 512-bit GEMM (6 x 32 tiles, B read in place where that pays),
        /// im2col, depthwise, direct, Winograd and max-pooling kernels; the AVX2 kernels everywhere else.
        case avx512

        /// The environment variable that caps the family a process uses (`avx512`, `avx2` or `portable`).
        public static let environmentVariable = "FLEXEG_MAX_ISA"

        /// The family named `name` (a raw value, any case; `avx2fma` is accepted for `avx2`), or nil.
        public init?(name: String) {
            let lowered = name.lowercased()
            if let set = InstructionSet(rawValue: lowered) {
                self = set
            } else if lowered == "avx2fma" {
                self = .avx2
            } else {
                return nil
            }
        }

        /// The fastest family the running CPU supports.
        public static let host: InstructionSet = {
            let features = CPUFeatures.current
            guard features.avx2 && features.fma else { return .portable }
            return features.avx512f ? .avx512 : .avx2
        }()

        /// The family this process runs: `host`, capped by `FLEXEG_MAX_ISA` when that is set and valid.
        /// Resolved once per process. A malformed `FLEXEG_MAX_ISA` is ignored here (kernels never fail);
        /// callers that can report errors call `environmentCap()` at startup.
        public static let active: InstructionSet = capped(host: host, environment: ProcessInfo.processInfo.environment)

        /// `host` lowered to the cap `environment` sets (`FLEXEG_MAX_ISA`), or `host` itself when it sets none
        /// or a malformed one. What `active` is for this process's environment.
        public static func capped(host: InstructionSet, environment: [String: String]) -> InstructionSet {
            guard let cap = try? environmentCap(environment) else { return host }
            return Swift.min(host, cap)
        }

        /// The cap `FLEXEG_MAX_ISA` sets in `environment`: nil when unset (or empty); throws when it names
        /// no family.
        public static func environmentCap(
            _ environment: [String: String] = ProcessInfo.processInfo.environment
        ) throws(InstructionSetError) -> InstructionSet? {
            guard let value = environment[environmentVariable], !value.isEmpty else { return nil }
            guard let set = InstructionSet(name: value) else { throw InstructionSetError(variable: environmentVariable, value: value) }
            return set
        }

        /// Whether the running CPU can execute this family.
        public var isSupported: Bool { self <= Self.host }

        public static func < (lhs: InstructionSet, rhs: InstructionSet) -> Bool { lhs.rank < rhs.rank }

        /// The `FLEX_ISA_*` code of this family (also its position in the order).
        var rank: Int32 {
            switch self {
            case .portable: Int32(FLEX_ISA_PORTABLE)
            case .avx2: Int32(FLEX_ISA_AVX2)
            case .avx512: Int32(FLEX_ISA_AVX512)
            }
        }
    }

    /// A value that names no instruction-set family (in `FLEXEG_MAX_ISA`, or on a command line).
    public struct InstructionSetError: Error, Sendable, Equatable, CustomStringConvertible {
        /// Where the value came from (`FLEXEG_MAX_ISA`, a flag).
        public let variable: String
        public let value: String

        public init(variable: String, value: String) {
            self.variable = variable
            self.value = value
        }

        public var description: String {
            let valid = InstructionSet.allCases.reversed().map(\.rawValue).joined(separator: ", ")
            return "\(variable)=\(value) names no instruction set; valid values: \(valid)"
        }
    }
}
