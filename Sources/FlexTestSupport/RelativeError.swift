import FlexTensor

/// `‖actual − expected‖₂ / ‖expected‖₂`, accumulated in Double: the tolerance measure the tests use
/// against MXNet's outputs. 0 when both are zero; infinity when the element counts differ or only
/// `expected` is zero.
public func relativeL2Error(_ actual: [Float], _ expected: [Float]) -> Double {
    guard actual.count == expected.count else { return .infinity }
    var difference = 0.0
    var reference = 0.0
    for (a, e) in zip(actual, expected) {
        let delta = Double(a) - Double(e)
        difference += delta * delta
        reference += Double(e) * Double(e)
    }
    if difference == 0 { return 0 }
    return reference == 0 ? .infinity : (difference / reference).squareRoot()
}

/// `relativeL2Error` of two tensors' elements (as Float); infinity when the shapes differ.
public func relativeL2Error(_ actual: Tensor, _ expected: Tensor) -> Double {
    guard actual.shape == expected.shape else { return .infinity }
    return relativeL2Error(actual.toFloatArray(), expected.toFloatArray())
}
