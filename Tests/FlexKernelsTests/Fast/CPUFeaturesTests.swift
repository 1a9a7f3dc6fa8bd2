import FlexKernels
import Foundation
import Testing

@Suite("Instruction sets, the FLEXEG_MAX_ISA cap and the FMA peak")
struct CPUFeaturesTests {
    #if os(Linux)
    /// The flags of the first processor in `/proc/cpuinfo`.
    static func cpuinfoFlags() throws -> Set<String> {
        let text = try String(contentsOfFile: "/proc/cpuinfo", encoding: .utf8)
        let line = try #require(text.split(separator: "\n").first { $0.hasPrefix("flags") })
        return Set(line.split(separator: ":", maxSplits: 1).last!.split(separator: " ").map(String.init))
    }

    @Test("host agrees with the CPU flags the kernel reports in /proc/cpuinfo")
    func hostMatchesCPUInfo() throws {
        let flags = try Self.cpuinfoFlags()
        let features = CPUFeatures.current
        #expect(features.avx2 == flags.contains("avx2"))
        #expect(features.fma == flags.contains("fma"))
        #expect(features.avx512f == flags.contains("avx512f"))
        let expected: Fast.InstructionSet = flags.isSuperset(of: ["avx2", "fma"])
            ? (flags.contains("avx512f") ? .avx512 : .avx2) : .portable
        #expect(Fast.InstructionSet.host == expected)
    }
    #endif

    @Test("ordered portable < avx2 < avx512; supported exactly up to the host")
    func order() {
        #expect(Fast.InstructionSet.allCases.sorted() == [.portable, .avx2, .avx512])
        #expect(Fast.InstructionSet.portable < .avx2 && Fast.InstructionSet.avx2 < .avx512)
        for set in Fast.InstructionSet.allCases { #expect(set.isSupported == (set <= .host), "\(set)") }
        #expect(Fast.InstructionSet.portable.isSupported)
    }

    @Test("names: the raw values in any case, and avx2fma")
    func names() {
        #expect(Fast.InstructionSet(name: "avx512") == .avx512)
        #expect(Fast.InstructionSet(name: "AVX2") == .avx2)
        #expect(Fast.InstructionSet(name: "avx2fma") == .avx2)
        #expect(Fast.InstructionSet(name: "portable") == .portable)
        #expect(Fast.InstructionSet(name: "sse4") == nil)
        #expect(Fast.InstructionSet.avx2.rawValue == "avx2")
    }

    @Test("FLEXEG_MAX_ISA: unset is no cap, a name caps, anything else is an error naming the valid values")
    func environmentCap() throws {
        #expect(try Fast.InstructionSet.environmentCap([:]) == nil)
        #expect(try Fast.InstructionSet.environmentCap(["FLEXEG_MAX_ISA": ""]) == nil)
        #expect(try Fast.InstructionSet.environmentCap(["FLEXEG_MAX_ISA": "avx2"]) == .avx2)
        #expect(try Fast.InstructionSet.environmentCap(["FLEXEG_MAX_ISA": "portable"]) == .portable)
        do {
            _ = try Fast.InstructionSet.environmentCap(["FLEXEG_MAX_ISA": "avx9"])
            Issue.record("avx9 accepted")
        } catch {
            #expect(error.description == "FLEXEG_MAX_ISA=avx9 names no instruction set; valid values: avx512, avx2, portable")
        }
    }

    @Test("the cap lowers the host's family and never raises it; a malformed one is ignored")
    func capping() {
        for host in Fast.InstructionSet.allCases {
            #expect(Fast.InstructionSet.capped(host: host, environment: [:]) == host)
            #expect(Fast.InstructionSet.capped(host: host, environment: ["FLEXEG_MAX_ISA": "bogus"]) == host)
            for cap in Fast.InstructionSet.allCases {
                let capped = Fast.InstructionSet.capped(host: host, environment: ["FLEXEG_MAX_ISA": cap.rawValue])
                #expect(capped == min(host, cap), "host \(host), cap \(cap)")
            }
        }
    }

    @Test("active is the host capped by this process's FLEXEG_MAX_ISA")
    func active() {
        let environment = ProcessInfo.processInfo.environment
        let cap = try? Fast.InstructionSet.environmentCap(environment)
        #expect(Fast.InstructionSet.active == min(Fast.InstructionSet.host, (cap ?? nil) ?? .host))
        #expect(Fast.InstructionSet.active.isSupported)
        if let value = environment["FLEXEG_MAX_ISA"], let named = Fast.InstructionSet(name: value) {
            #expect(Fast.InstructionSet.active <= named)
        }
    }

    @Test("the FMA peak is a plausible positive rate, and wider vectors are faster", arguments: runnableInstructionSets)
    func peak(instructionSet: Fast.InstructionSet) {
        let gflops = FMAPeak.measure(instructionSet: instructionSet, iterations: 200_000, repetitions: 2)
        #expect(gflops.isFinite && gflops > 0.05 && gflops < 10_000)
    }
}
