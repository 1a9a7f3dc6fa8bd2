/// What each stage of a `SyntheticModel` does besides adding 1 to its tensor. An immutable value.
public enum StageWork: Sendable, Equatable {
    /// Nothing more: the stage only passes its tensor on (plus 1).
    case none
    /// Busy-waits this long on the core's CPU (work that competes for CPU time).
    case spin(Duration)
    /// Sleeps this long (work that takes time but no CPU, e.g. to measure overlap on a busy host).
    case sleep(Duration)
    /// Reads the stage's weights this many times (memory-bound work proportional to weight size).
    case weightPasses(Int)
}
