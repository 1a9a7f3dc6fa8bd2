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
