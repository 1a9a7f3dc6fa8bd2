/// Where compilation is, for a progress display: the step running and the fraction done (0…1).
public struct CompileProgress: Sendable, Equatable {
    /// `"lower"`, a pass name (`"fold-batchnorm"`), `"partition"`, `"plan-memory"`, `"serialize"` or `"done"`.
    public var pass: String
    public var fraction: Double

    public init(pass: String, fraction: Double) {
        self.pass = pass
        self.fraction = fraction
    }
}
