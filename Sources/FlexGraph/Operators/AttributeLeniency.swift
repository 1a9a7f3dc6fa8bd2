/// An operator for which MXNet 1.9.1 ignores attributes it does not declare, instead of rejecting
/// them ("Cannot find argument"): the ones without a parameter struct, such as the elementwise,
/// broadcast and unary math families, `Flatten`, `_copy`, `BlockGrad`, `zeros_like` (so GluonCV's
/// `zeros_like(x, dtype=…)` loads, and the `dtype` has no effect). `OperatorRegistry` then drops
/// unknown attributes of these operators, as MXNet does. Which operators they are is checked against
/// MXNet itself (`Tests/Fixtures/mxnet_attribute_leniency.json`, written by
/// `Scripts/fixtures/fx_leniency.py`).
public protocol LenientAttributesOperator: Operator {
    /// Whether MXNet ignores unknown attributes on `opName` (one of `names`). Default: true for every name.
    static func ignoresUnknownAttributes(_ opName: String) -> Bool
}

extension LenientAttributesOperator {
    public static func ignoresUnknownAttributes(_ opName: String) -> Bool { true }
}

extension OperatorRegistry {
    /// Whether MXNet ignores attributes `opName` does not declare (see `LenientAttributesOperator`).
    public static func ignoresUnknownAttributes(_ opName: String) -> Bool {
        guard let type = byName[opName] as? any LenientAttributesOperator.Type else { return false }
        return type.ignoresUnknownAttributes(opName)
    }
}

// The operators MXNet 1.9.1 registers without a parameter struct.
extension ElementwiseBinaryOperator: LenientAttributesOperator {}
extension BroadcastBinaryOperator: LenientAttributesOperator {}
extension UnaryMathOperator: LenientAttributesOperator {}
extension IdentityOperator: LenientAttributesOperator {}
extension FlattenOperator: LenientAttributesOperator {}
extension FillLikeOperator: LenientAttributesOperator {}
extension ShapeArrayOperator: LenientAttributesOperator {}
extension WhereOperator: LenientAttributesOperator {}
extension GatherNDOperator: LenientAttributesOperator {}
extension DivSqrtDimOperator: LenientAttributesOperator {}
