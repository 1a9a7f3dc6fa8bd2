import FlexTensor

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

    /// `PREFIX-0007.params` for epoch 7 (at least four digits, as MXNet formats `%04d`; `-001` for -1).
    public static func paramsPath(prefix: String, epoch: Int) -> String {
        let digits = String(epoch.magnitude)
        let width = epoch < 0 ? 3 : 4
        let padded = (epoch < 0 ? "-" : "") + String(repeating: "0", count: max(0, width - digits.count)) + digits
        return prefix + "-" + padded + ".params"
    }

    /// `mx.model.load_checkpoint(prefix, epoch)`: reads both files and splits the parameters.
    public static func load(prefix: String, epoch: Int) throws(MXNetFormatError) -> Checkpoint {
        let symbol = try SymbolFile(contentsOf: symbolPath(prefix: prefix))
        let paramsFile = paramsPath(prefix: prefix, epoch: epoch)
        return try Checkpoint(symbol: symbol, params: NamedArrays(contentsOf: paramsFile), file: paramsFile)
    }

    /// Splits a params list as `mx.model.load_params` does: `arg:NAME` into `argParams`, `aux:NAME` into
    /// `auxParams` (split at the first colon; a repeated name keeps the last array, like Python's dict).
    /// Unlike MXNet, which silently drops names with another prefix and fails on names without a colon,
    /// any name that is not `arg:…` or `aux:…` is an error, as is an unnamed list with arrays in it.
    /// `file` names the params file in errors.
    public init(symbol: SymbolFile, params: NamedArrays, file: String = "<params>") throws(MXNetFormatError) {
        var argParams: [String: Tensor] = [:]
        var auxParams: [String: Tensor] = [:]
        if !params.arrays.isEmpty {
            guard let names = params.names else {
                throw MXNetFormatError(file: file, message: "the arrays have no names; a checkpoint needs 'arg:NAME' and 'aux:NAME' entries")
            }
            for (index, (name, tensor)) in zip(names, params.arrays).enumerated() {
                if name.hasPrefix("arg:") {
                    argParams[String(name.dropFirst(4))] = tensor
                } else if name.hasPrefix("aux:") {
                    auxParams[String(name.dropFirst(4))] = tensor
                } else {
                    throw MXNetFormatError(file: file, arrayIndex: index, arrayName: name,
                                           message: "the name has neither an 'arg:' nor an 'aux:' prefix")
                }
            }
        }
        self.init(symbol: symbol, argParams: argParams, auxParams: auxParams)
    }

    /// The params list `mx.model.save_checkpoint` writes: `arg:` entries then `aux:` entries, each
    /// group sorted by name so the bytes are deterministic.
    public var namedArrays: NamedArrays {
        let args = argParams.sorted { $0.key < $1.key }
        let auxes = auxParams.sorted { $0.key < $1.key }
        return NamedArrays(names: args.map { "arg:" + $0.key } + auxes.map { "aux:" + $0.key },
                           arrays: args.map(\.value) + auxes.map(\.value))
    }

    /// `mx.model.save_checkpoint(prefix, epoch, ...)`: writes `PREFIX-symbol.json` and
    /// `PREFIX-EEEE.params`.
    public func save(prefix: String, epoch: Int) throws(MXNetFormatError) {
        try symbol.write(to: Self.symbolPath(prefix: prefix))
        try namedArrays.write(to: Self.paramsPath(prefix: prefix, epoch: epoch))
    }
}
