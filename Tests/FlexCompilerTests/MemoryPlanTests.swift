import FlexArtifact
import FlexCompiler
import FlexExecution
import FlexGraph
import FlexKernels
import FlexRuntime
import FlexTestSupport
import MXNetFormat
import Testing

@Suite struct MemoryPlanTests {
    @Test func simultaneouslyLiveValuesNeverOverlap() {
        var generator = SplitMix64(seed: 4)
        for _ in 0..<200 {
            let steps = Int.random(in: 1...30, using: &generator)
            let requests = (0..<Int.random(in: 1...40, using: &generator)).map { id -> MemoryPlan.Request in
                let first = Int.random(in: 0..<steps, using: &generator)
                return MemoryPlan.Request(value: id, bytes: Int.random(in: 1...5000, using: &generator), firstStep: first,
                                          lastStep: Int.random(in: first..<steps, using: &generator))
            }
            let plan = MemoryPlan(requests: requests)
            #expect(plan.placements.count == requests.count)
            for (placement, request) in zip(plan.placements, requests) {
                #expect(placement.value == request.value)
                #expect(placement.size >= request.bytes)
                #expect(placement.offset % MemoryPlan.alignment == 0)
                #expect(placement.offset + placement.size <= plan.arenaBytes)
            }
            for (i, a) in plan.placements.enumerated() {
                for b in plan.placements[(i + 1)...] {
                    let liveTogether = a.firstStep <= b.lastStep && b.firstStep <= a.lastStep
                    let shareBytes = a.offset < b.offset + b.size && b.offset < a.offset + a.size
                    #expect(!(liveTogether && shareBytes), "values \(a.value) and \(b.value) overlap while both live")
                }
            }
            #expect(plan.arenaBytes <= plan.unsharedBytes)
            // Peak is at least the largest set of simultaneously live values.
            let liveAtPeak = (0..<steps).map { step in
                plan.placements.filter { $0.firstStep <= step && step <= $0.lastStep }.reduce(0) { $0 + $1.size }
            }.max()!
            #expect(plan.arenaBytes >= liveAtPeak)
        }
    }

    @Test func aChainReusesTwoBuffers() {
        // v0 → v1 → v2 → v3 → v4, each read only by the next step.
        let requests = (0..<5).map { MemoryPlan.Request(value: $0, bytes: 1024, firstStep: $0, lastStep: $0 + 1) }
        let plan = MemoryPlan(requests: requests)
        #expect(plan.arenaBytes == 2048)
        #expect(plan.unsharedBytes == 5 * 1024)
    }
}
