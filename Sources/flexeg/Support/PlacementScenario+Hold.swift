import FlexEG
import FlexRuntime
import Foundation

extension PlacementScenario {
    /// Keeps every entry's model serving for `seconds`: one sender thread per model, one request at a
    /// time with `pause` between requests (so a held process leaves CPU for others), until the time
    /// is up. A failed request ends its model's sender (the others go on). Returns when all stopped.
    ///
    /// Thread ownership: called on the command's thread, which waits; the senders are threads of their own.
    func serve(for seconds: Double, pause: Duration = .milliseconds(5)) {
        let deadline = ContinuousClock.now + .milliseconds(Int64(seconds * 1000))
        let group = DispatchGroup()
        for entry in entries {
            group.enter()
            NamedThread.start("flexeg-client") {
                var number = 0
                while ContinuousClock.now < deadline {
                    guard (try? entry.executor.forward(entry.inputs[number % entry.inputs.count])) != nil else { break }
                    number += 1
                    Thread.sleep(forTimeInterval: Double(pause.components.attoseconds) * 1e-18 + Double(pause.components.seconds))
                }
                group.leave()
            }
        }
        group.wait()
    }
}
