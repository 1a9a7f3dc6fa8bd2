import CFlexShims

/// The host CPUs this process may run on, and pinning of the calling thread to one of them.
///
/// Thread ownership: stateless; every function is safe from any thread.
public enum HostCPUs {
    /// Host CPU numbers in this process's affinity mask, ascending (Linux `sched_getaffinity`).
    /// Where the OS has no affinity masks: `0..<online CPU count`.
    public static func available() -> [Int] {
        var buffer = [Int32](repeating: 0, count: 256)
        var count = Int(flexeg_affinity_cpus(&buffer, Int32(buffer.count)))
        if count > buffer.count {
            buffer = [Int32](repeating: 0, count: count)
            count = Int(flexeg_affinity_cpus(&buffer, Int32(buffer.count)))
        }
        guard count > 0 else { return Array(0..<Int(flexeg_online_cpu_count())) }
        return buffer.prefix(min(count, buffer.count)).map(Int.init)
    }

    /// The CPU the calling thread runs on now, or nil where the OS cannot tell.
    public static func current() -> Int? {
        let cpu = flexeg_current_cpu()
        return cpu >= 0 ? Int(cpu) : nil
    }

    /// Pins the calling thread to `cpu`; returns nil on success, otherwise the errno value
    /// (`ENOSYS` where the OS cannot pin threads, e.g. macOS).
    static func pinCurrentThread(to cpu: Int) -> Int32? {
        let result = flexeg_pin_current_thread(Int32(cpu))
        return result == 0 ? nil : result
    }
}
