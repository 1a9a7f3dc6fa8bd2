import FlexTensor

extension Operator {
    /// MXNet's `ElemwiseType`: every input (other than `exempt` ones) has one dtype, which every
    /// output has too. Any dtype FlexEG stores is accepted, as MXNet's kernels compute in each.
    func commonType(_ inputs: [DType], names: [String], exempt: Set<Int> = []) throws(OperatorError) -> [DType] {
        let checked = inputs.indices.filter { !exempt.contains($0) }
        guard let first = checked.first else { return Array(repeating: .float32, count: outputCount) }
        for index in checked where inputs[index] != inputs[first] {
            let name = { (i: Int) in i < names.count ? names[i] : "input \(i)" }
            throw .invalidInputs("\(opName) needs \(name(first)) and \(name(index)) of one dtype, got \(inputs[first]) and \(inputs[index]) "
                                 + "(MXNet does not convert them either; insert a Cast)")
        }
        return Array(repeating: inputs[first], count: outputCount)
    }
}

extension AttributeReader {
    /// A `double` attribute as MXNet parses it (full precision; operators convert it to the data's
    /// dtype when they apply it).
    mutating func double(_ name: String, default fallback: Double) throws(OperatorError) -> Double {
        guard let text = string(name), text != "None" else { return fallback }
        let trimmed = text.trimmingCharacters(in: " ")
        switch trimmed {
        case "inf", "+inf", "Infinity": return .infinity
        case "-inf", "-Infinity": return -.infinity
        case "nan", "NaN": return .nan
        default:
            guard let value = Double(trimmed) else { throw .invalidAttribute(name, value: text, expected: "a number") }
            return value
        }
    }

    /// A `dtype` attribute naming one of `choices` (MXNet's enum for the operator); `bool` and
    /// `bfloat16`, which FlexEG cannot store, are reported as unsupported.
    mutating func dtype(_ name: String, _ choices: [String], default fallback: String, op: String) throws(OperatorError) -> DType {
        let value = try choice(name, choices, default: fallback)
        guard let type = DType(rawValue: value) else {
            throw .unsupported("\(op) with \(name)=\(value): FlexEG stores only " + DType.allCases.map(\.rawValue).joined(separator: ", "))
        }
        return type
    }
}
