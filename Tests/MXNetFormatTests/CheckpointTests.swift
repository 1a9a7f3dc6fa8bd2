import FlexTensor
import FlexTestSupport
import Foundation
import MXNetFormat
import Testing

@Suite("Checkpoint: load_checkpoint / save_checkpoint")
struct CheckpointTests {
    @Test("file names follow MXNet's PREFIX-symbol.json and PREFIX-%04d.params")
    func paths() {
        #expect(Checkpoint.symbolPath(prefix: "m/resnet") == "m/resnet-symbol.json")
        #expect(Checkpoint.paramsPath(prefix: "m/resnet", epoch: 0) == "m/resnet-0000.params")
        #expect(Checkpoint.paramsPath(prefix: "x", epoch: 17) == "x-0017.params")
        #expect(Checkpoint.paramsPath(prefix: "x", epoch: 123_456) == "x-123456.params")
        #expect(Checkpoint.paramsPath(prefix: "x", epoch: -1) == "x--001.params")
    }

    @Test("every fixture loads; params split into arg/aux and every symbol input is covered")
    func fixtures() throws {
        let models = RepositoryPaths.fixtureModels()
        try #require(!models.isEmpty, "no fixtures under \(RepositoryPaths.fixtures())")
        for directory in models {
            let checkpoint = try Checkpoint.load(prefix: directory + "/model", epoch: 0)
            let raw = try NamedArrays(contentsOf: Checkpoint.paramsPath(prefix: directory + "/model", epoch: 0))
            let names = raw.names ?? []
            #expect(checkpoint.argParams.count + checkpoint.auxParams.count == names.count, "\(directory)")
            for (name, tensor) in zip(names, raw.arrays) {
                let split = name.hasPrefix("arg:") ? checkpoint.argParams : checkpoint.auxParams
                let loaded = try #require(split[String(name.dropFirst(4))], "\(directory): \(name)")
                #expect(TestTensors.identical(loaded, tensor))
            }
            // Every parameter names a variable of the symbol.
            let variables = Set(checkpoint.symbol.nodes.filter { $0.op == "null" }.map(\.name))
            let unknown = Set(checkpoint.argParams.keys).union(checkpoint.auxParams.keys).subtracting(variables)
            #expect(unknown.isEmpty, "\(directory): params without a variable: \(unknown.sorted())")
        }
    }

    @Test("save then load is exact, and the params file holds arg: then aux: entries sorted")
    func roundTrip() throws {
        let directory = try TemporaryDirectory()
        let prefix = directory.path + "/net"
        let symbol = try SymbolFile(contentsOf: Resources.path("model-symbol.json"))
        let checkpoint = Checkpoint(
            symbol: symbol,
            argParams: ["fc0_weight": TestTensors.make(.float32, [3, 4]), "conv0_bias": TestTensors.make(.float32, [4], seed: 1)],
            auxParams: ["bn0_moving_var": TestTensors.make(.float32, [4], seed: 2)])
        try checkpoint.save(prefix: prefix, epoch: 3)
        let loaded = try Checkpoint.load(prefix: prefix, epoch: 3)
        #expect(loaded.symbol == symbol)
        #expect(loaded.argParams.keys.sorted() == ["conv0_bias", "fc0_weight"])
        for (name, tensor) in checkpoint.argParams { #expect(TestTensors.identical(try #require(loaded.argParams[name]), tensor)) }
        #expect(TestTensors.identical(try #require(loaded.auxParams["bn0_moving_var"]), checkpoint.auxParams["bn0_moving_var"]!))
        let raw = try NamedArrays(contentsOf: prefix + "-0003.params")
        #expect(raw.names == ["arg:conv0_bias", "arg:fc0_weight", "aux:bn0_moving_var"])
    }

    @Test("names split at the first colon; other prefixes and unnamed lists are errors")
    func splitting() throws {
        let symbol = SymbolFile(nodes: [.init(op: "null", name: "x")], argNodes: [0], nodeRowPtr: [0, 1], heads: [.init(node: 0)])
        let tensor = TestTensors.make(.float32, [1])
        let colon = try Checkpoint(symbol: symbol, params: NamedArrays(names: ["arg:a:b", "aux:"], arrays: [tensor, tensor]))
        #expect(colon.argParams.keys.sorted() == ["a:b"] && colon.auxParams.keys.sorted() == [""])

        let empty = try Checkpoint(symbol: symbol, params: NamedArrays(names: nil, arrays: []))
        #expect(empty.argParams.isEmpty && empty.auxParams.isEmpty)

        let badPrefix = try #require(throws: MXNetFormatError.self) {
            try Checkpoint(symbol: symbol, params: NamedArrays(names: ["arg:a", "opt:b"], arrays: [tensor, tensor]), file: "p.params")
        }
        #expect(badPrefix.description == "p.params: array 1 'opt:b': the name has neither an 'arg:' nor an 'aux:' prefix")
        let noPrefix = try #require(throws: MXNetFormatError.self) {
            try Checkpoint(symbol: symbol, params: NamedArrays(names: ["weight"], arrays: [tensor]))
        }
        #expect(noPrefix.arrayName == "weight")
        let unnamed = try #require(throws: MXNetFormatError.self) {
            try Checkpoint(symbol: symbol, params: NamedArrays(names: nil, arrays: [tensor]), file: "p.params")
        }
        #expect(unnamed.description == "p.params: the arrays have no names; a checkpoint needs 'arg:NAME' and 'aux:NAME' entries")
    }

    @Test("missing files are named")
    func missingFiles() throws {
        let directory = try TemporaryDirectory()
        let prefix = directory.path + "/absent"
        let noSymbol = try #require(throws: MXNetFormatError.self) { try Checkpoint.load(prefix: prefix, epoch: 0) }
        #expect(noSymbol.description == "\(prefix)-symbol.json: no such file")
        try SymbolFile(contentsOf: Resources.path("model-symbol.json")).write(to: prefix + "-symbol.json")
        let noParams = try #require(throws: MXNetFormatError.self) { try Checkpoint.load(prefix: prefix, epoch: 7) }
        #expect(noParams.description == "\(prefix)-0007.params: no such file")
        // A dangling link (a relative one, as in Examples/model-repository, copied elsewhere without -L).
        try FileManager.default.createSymbolicLink(atPath: prefix + "-0007.params", withDestinationPath: "../gone/model-0000.params")
        let dangling = try #require(throws: MXNetFormatError.self) { try Checkpoint.load(prefix: prefix, epoch: 7) }
        #expect(dangling.description == "\(prefix)-0007.params: is a symbolic link to '../gone/model-0000.params', which does not exist"
                + " (a relative link breaks when its directory is copied elsewhere; copy with cp -rL)")
    }
}
