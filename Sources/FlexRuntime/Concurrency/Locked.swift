import CFlexShims
import Synchronization

/// A value guarded by a `Synchronization.Mutex`, usable from any thread.
///
/// The toolchain's `Mutex` lives in a library that is not built with ThreadSanitizer, so on Linux
/// TSan cannot see its happens-before edges; `withLock` adds them explicitly (`flexeg_tsan_acquire` /
/// `flexeg_tsan_release`, no-ops in ordinary builds). Every lock in FlexRuntime, the FlexEG facade,
/// FlexServer and the flexeg tool is a `Locked`.
/// Never block (wait on a semaphore, run a stage) inside `withLock`.
package final class Locked<Value>: Sendable {
    private let mutex: Mutex<Value>

    package init(_ value: consuming sending Value) {
        mutex = Mutex(value)
    }

    package func withLock<Result, Failure: Error>(
        _ body: (inout sending Value) throws(Failure) -> sending Result
    ) throws(Failure) -> sending Result {
        let address = UnsafeRawPointer(Unmanaged.passUnretained(self).toOpaque())
        return try mutex.withLock { (value: inout sending Value) throws(Failure) -> sending Result in
            flexeg_tsan_acquire(address)
            defer { flexeg_tsan_release(address) }
            return try body(&value)
        }
    }
}
