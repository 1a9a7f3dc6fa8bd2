import Foundation

extension Fast.InstructionSet: Comparable {
    /// Ordered by capability: portable < AVX2 < AVX-512.
    var rank: Int {
        switch self {
        case .portable: 0
        case .avx2FMA: 1
        case .avx512: 2
        }
    }

    public static func < (lhs: Self, rhs: Self) -> Bool { lhs.rank < rhs.rank }

    /// The names users write (`--target`, `FLEXEG_MAX_ISA`): `avx512`, `avx2`, `portable`.
    public var name: String {
        switch self {
        case .portable: "portable"
        case .avx2FMA: "avx2"
        case .avx512: "avx512"
        }
    }

    public init?(name: String) {
        guard let match = Self.allCases.first(where: { $0.name == name.lowercased() }) else { return nil }
        self = match
    }

    /// The running CPU's best family.
    public static var host: Self { best }

    /// What this process uses: the CPU's best, capped by `FLEXEG_MAX_ISA` (a malformed cap is ignored
    /// here; `environmentCap()` reports it).
    public static let active: Self = {
        guard let cap = try? environmentCap() else { return best }
        return min(best, cap)
    }()

    /// `FLEXEG_MAX_ISA` from `environment`: nil when unset or empty.
    public static func environmentCap(_ environment: [String: String] = ProcessInfo.processInfo.environment) throws(InstructionSetError) -> Self? {
        guard let text = environment["FLEXEG_MAX_ISA"], !text.isEmpty else { return nil }
        guard let cap = Self(name: text) else { throw InstructionSetError(value: text) }
        return cap
    }
}

/// A malformed `FLEXEG_MAX_ISA`.
public struct InstructionSetError: Error, Sendable, Equatable, CustomStringConvertible {
    public let value: String
    public var description: String {
        "FLEXEG_MAX_ISA is '\(value)'; use one of: \(Fast.InstructionSet.allCases.sorted(by: >).map(\.name).joined(separator: ", "))"
    }
}

extension Fast.PreparedConvolution.Algorithm {
    /// The instruction set the algorithm's slowest piece runs at when the process uses `active`: every
    /// piece runs its best variant at or below `active`, and some pieces have no AVX2 variant (the
    /// direct kernel; F(2x2)'s transforms; the transposed GEMM's transposing epilogue), so they fall
    /// to portable C below AVX-512.
    public func instructionSet(running active: Fast.InstructionSet) -> Fast.InstructionSet {
        switch self {
        case .gemm, .winograd, .depthwise: active
        case .direct, .winograd22, .transposedGEMM: active == .avx512 ? .avx512 : .portable
        }
    }
}

extension Fast.PreparedConvolution {
    /// `preferredAlgorithm(for:)` among the algorithms that run entirely at `target`: below AVX-512 the
    /// direct kernel, F(2x2) and the transposed GEMM would run pieces in portable C, so F(4x4) Winograd
    /// (where it pays) or the GEMM run instead.
    public static func preferredAlgorithm(for geometry: Reference.ConvolutionGeometry, target: Fast.InstructionSet) -> Algorithm {
        let preferred = preferredAlgorithm(for: geometry)
        if preferred.instructionSet(running: target) == target { return preferred }
        if Fast.Winograd.supports(geometry) && Fast.Winograd.isProfitable(geometry) { return .winograd }
        return .gemm
    }
}

extension Fast.Pooling {
    /// The instruction set pooling kernels run at when the process uses `active` (AVX2 vectors at most;
    /// max pooling's AVX-512 plane kernel aside, which the AVX2 one stands in for in this report).
    public static func instructionSet(running active: Fast.InstructionSet) -> Fast.InstructionSet { min(active, .avx2FMA) }
}

extension Fast.Elementwise {
    /// The instruction set the elementwise kernels (adds, clamps) run at: AVX2 vectors at most.
    public static func instructionSet(running active: Fast.InstructionSet) -> Fast.InstructionSet { min(active, .avx2FMA) }
}
