import ArgumentParser

/// `NAME=VALUE` on the command line (`--input data=cat.npy`, `--input data=1,3,224,224`).
struct InputAssignment: ExpressibleByArgument {
    let name: String
    let value: String

    init?(argument: String) {
        guard let equals = argument.firstIndex(of: "="), equals != argument.startIndex else { return nil }
        name = String(argument[..<equals])
        value = String(argument[argument.index(after: equals)...])
        if value.isEmpty { return nil }
    }

    static var defaultCompletionKind: CompletionKind { .file(extensions: ["npy"]) }
}
