import FlexTensor

/// The contents of an MXNet NDArray list file (`.params`, `mx.nd.save`): arrays in file order, each
/// with its name (`arg:conv0_weight`, `aux:bn0_moving_mean`) or with no names at all.
public struct NamedArrays: Sendable {
    public var names: [String]?
    public var arrays: [Tensor]

    public init(names: [String]?, arrays: [Tensor]) {
        precondition(names == nil || names!.count == arrays.count, "one name per array")
        self.names = names
        self.arrays = arrays
    }
}

/// A model checkpoint: `PREFIX-symbol.json` plus `PREFIX-EEEE.params`, split as
/// `mx.model.load_checkpoint` returns it.
public struct Checkpoint: Sendable {
    public var symbol: SymbolFile
    /// `arg:` entries without their prefix.
    public var argParams: [String: Tensor]
    /// `aux:` entries without their prefix.
    public var auxParams: [String: Tensor]

    public init(symbol: SymbolFile, argParams: [String: Tensor], auxParams: [String: Tensor]) {
        self.symbol = symbol
        self.argParams = argParams
        self.auxParams = auxParams
    }

    /// `PREFIX-symbol.json`.
    public static func symbolPath(prefix: String) -> String { prefix + "-symbol.json" }

    /// `PREFIX-0007.params` for epoch 7 (four digits, as MXNet formats `%04d`).
    public static func paramsPath(prefix: String, epoch: Int) -> String {
        let digits = String(epoch)
        return prefix + "-" + String(repeating: "0", count: max(0, 4 - digits.count)) + digits + ".params"
    }
}
