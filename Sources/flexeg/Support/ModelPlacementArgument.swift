import ArgumentParser

/// `--model NAME=PREFIX@INDEX` of `flexeg run`: load the compiled checkpoint `PREFIX` (epoch 0 unless
/// `--epoch`) under the name `NAME` at context `INDEX` (`mx.neuron(INDEX)`: the first NeuronCore in
/// FlexEG mode, the NeuronCore Group with `NEURONCORE_GROUP_SIZES`).
///
/// The prefix may itself hold `=` or `@`: the name ends at the first `=`, the index starts after the
/// last `@`.
struct ModelPlacementArgument: ExpressibleByArgument, Sendable {
    let name: String
    let prefix: String
    let context: Int

    init?(argument: String) {
        guard let equals = argument.firstIndex(of: "="), let at = argument.lastIndex(of: "@"), equals < at else { return nil }
        name = String(argument[..<equals])
        prefix = String(argument[argument.index(after: equals)..<at])
        guard !name.isEmpty, !prefix.isEmpty, let context = Int(argument[argument.index(after: at)...]), context >= 0 else {
            return nil
        }
        self.context = context
    }
}
