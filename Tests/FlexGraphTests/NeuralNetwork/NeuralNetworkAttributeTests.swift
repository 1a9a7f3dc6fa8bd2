import FlexGraph
import FlexKernels
import FlexTensor
import Testing

/// Attribute schemas: MXNet's defaults, every attribute MXNet 1.9.1 accepts, and rejection of the rest.
@Suite struct NeuralNetworkAttributeTests {
    static func parse(_ op: String, _ attributes: [String: String]) throws(GraphError) -> any Operator {
        try OperatorRegistry.makeOperator(opName: op, nodeName: "node", attributes: attributes)
    }

    /// The error parsing gives, or nil when it parses.
    static func error(_ op: String, _ attributes: [String: String]) -> GraphError? {
        do {
            _ = try parse(op, attributes)
            return nil
        } catch {
            return error
        }
    }

    @Test func convolutionDefaults() throws {
        let conv = try #require(try Self.parse("Convolution", ["kernel": "(3, 3)", "num_filter": "8"]) as? ConvolutionOperator)
        #expect(conv.kernel == [3, 3] && conv.stride == [1, 1] && conv.pad == [0, 0] && conv.dilate == [1, 1])
        #expect(conv.numFilter == 8 && conv.numGroup == 1 && !conv.noBias)
        #expect(conv.inputNames(inputCount: 3) == ["data", "weight", "bias"])
        let oneD = try #require(try Self.parse("Convolution", ["kernel": "(5,)", "num_filter": "2", "no_bias": "True", "stride": "(2,)"]) as? ConvolutionOperator)
        #expect(oneD.stride == [2] && oneD.pad == [0] && oneD.dilate == [1] && oneD.inputNames(inputCount: 2) == ["data", "weight"])
    }

    @Test func deconvolutionHasNoBiasByDefault() throws {
        let deconv = try #require(try Self.parse("Deconvolution", ["kernel": "(4, 4)", "num_filter": "3"]) as? DeconvolutionOperator)
        #expect(deconv.noBias && deconv.inputNames(inputCount: 2) == ["data", "weight"])
        #expect(deconv.adj == [0, 0] && deconv.targetShape.isEmpty)
        let zeros = try #require(try Self.parse("Deconvolution", ["kernel": "(4, 4)", "num_filter": "3", "target_shape": "(0, 0)"]) as? DeconvolutionOperator)
        #expect(zeros.targetShape.isEmpty, "an all-zero target_shape means none, as in MXNet's InferPad")
    }

    @Test func batchNormDefaults() throws {
        let bn = try #require(try Self.parse("BatchNorm", [:]) as? BatchNormOperator)
        #expect(bn.eps == 1e-3 && bn.momentum == 0.9 && bn.fixGamma && !bn.useGlobalStats && !bn.outputMeanVar && bn.axis == 1)
        #expect(bn.outputCount == 1 && bn.totalOutputCount == 3 && bn.auxiliaryInputIndices == [3, 4])
        #expect(bn.inputNames(inputCount: 5) == ["data", "gamma", "beta", "moving_mean", "moving_var"])
        let withStats = try #require(try Self.parse("BatchNorm", ["output_mean_var": "True", "fix_gamma": "False"]) as? BatchNormOperator)
        #expect(withStats.outputCount == 3 && !withStats.fixGamma)
    }

    @Test func otherDefaults() throws {
        let fc = try #require(try Self.parse("FullyConnected", ["num_hidden": "10"]) as? FullyConnectedOperator)
        #expect(fc.flatten && !fc.noBias)
        let ln = try #require(try Self.parse("LayerNorm", [:]) as? LayerNormOperator)
        #expect(ln.axis == -1 && ln.eps == 1e-5 && ln.outputCount == 1 && ln.totalOutputCount == 3)
        let instance = try #require(try Self.parse("InstanceNorm", [:]) as? InstanceNormOperator)
        #expect(instance.eps == 1e-3 && instance.totalOutputCount == 3)
        let lrn = try #require(try Self.parse("LRN", ["nsize": "5"]) as? LRNOperator)
        #expect(lrn.alpha == 1e-4 && lrn.beta == 0.75 && lrn.knorm == 2 && lrn.totalOutputCount == 2)
        let leaky = try #require(try Self.parse("LeakyReLU", [:]) as? LeakyReLUOperator)
        #expect(leaky.actType == "leaky" && leaky.function == .leaky(slope: 0.25))
        let rrelu = try #require(try Self.parse("LeakyReLU", ["act_type": "rrelu"]) as? LeakyReLUOperator)
        #expect(rrelu.function == .leaky(slope: (0.125 + 0.334) / 2) && rrelu.outputCount == 2)
        let pool = try #require(try Self.parse("Pooling", ["kernel": "(2, 2)"]) as? PoolingOperator)
        #expect(pool.poolType == "max" && pool.poolingConvention == "valid" && pool.stride == [1, 1] && pool.pad == [0, 0])
        #expect(pool.countIncludePad && pool.totalOutputCount == 2)
        let avg = try #require(try Self.parse("Pooling", ["kernel": "(2, 2)", "pool_type": "avg", "count_include_pad": "None"]) as? PoolingOperator)
        #expect(avg.countIncludePad && avg.totalOutputCount == 1 && avg.kind == .average(countIncludePad: true))
        let global = try #require(try Self.parse("Pooling", ["global_pool": "True", "pool_type": "max"]) as? PoolingOperator)
        #expect(global.kernel.isEmpty && global.totalOutputCount == 1)
        let softmax = try #require(try Self.parse("softmax", [:]) as? SoftmaxOperator)
        #expect(softmax.axis == -1 && softmax.temperature == 1 && !softmax.useLength && softmax.variant == .softmax)
        let dropout = try #require(try Self.parse("Dropout", [:]) as? DropoutOperator)
        #expect(dropout.p == 0.5 && dropout.mode == "training" && dropout.totalOutputCount == 2 && dropout.outputCount == 1)
        let so = try #require(try Self.parse("SoftmaxOutput", [:]) as? SoftmaxOutputOperator)
        #expect(so.unusedInputIndicesAtInference == [1] && so.inputNames(inputCount: 2) == ["data", "label"])
        let up = try #require(try Self.parse("UpSampling", ["scale": "2", "sample_type": "nearest", "num_args": "3"]) as? UpSamplingOperator)
        #expect(up.multiInputMode == "concat" && up.inputNames(inputCount: 3) == ["arg0", "arg1", "arg2"])
    }

    @Test func aliasesAreRegistered() {
        for (alias, attributes) in [("_npx_convolution", ["kernel": "(1,1)", "num_filter": "1"]), ("_npx_deconvolution", ["kernel": "(1,1)", "num_filter": "1"]),
                                    ("_npx_fully_connected", ["num_hidden": "1"]), ("_sparse_FullyConnected", ["num_hidden": "1"]),
                                    ("_npx_batch_norm", [:]), ("_npx_layer_norm", [:]), ("_npx_leaky_relu", [:]),
                                    ("_npx_pooling", ["kernel": "(2,2)"]), ("_npx_softmax", [:]), ("_npx_log_softmax", [:]),
                                    ("Softmax", [:]), ("_npx_dropout", [:]), ("_npx_activation", ["act_type": "relu"])] {
            #expect(Self.error(alias, attributes) == nil, "\(alias)")
        }
    }

    /// Every attribute MXNet 1.9.1 lists for each operator (`MXSymbolGetAtomicSymbolInfo`), written the way
    /// MXNet writes them into symbol JSON, is accepted.
    @Test func everyMXNetAttributeParses() {
        let cases: [(String, [String: String])] = [
            ("Convolution", ["kernel": "(3, 3)", "stride": "(1, 1)", "dilate": "(1, 1)", "pad": "(1, 1)", "num_filter": "4", "num_group": "1",
                             "workspace": "1024", "no_bias": "False", "cudnn_tune": "None", "cudnn_off": "False", "layout": "NCHW"]),
            ("Deconvolution", ["kernel": "(3, 3)", "stride": "(2, 2)", "dilate": "(1, 1)", "pad": "(1, 1)", "adj": "(1, 1)", "target_shape": "()",
                               "num_filter": "4", "num_group": "1", "workspace": "512", "no_bias": "True", "cudnn_tune": "fastest",
                               "cudnn_off": "True", "layout": "None"]),
            ("FullyConnected", ["num_hidden": "4", "no_bias": "False", "flatten": "True"]),
            ("BatchNorm", ["eps": "0.001", "momentum": "0.9", "fix_gamma": "True", "use_global_stats": "False", "output_mean_var": "False",
                           "axis": "1", "cudnn_off": "False", "min_calib_range": "None", "max_calib_range": "-1.5"]),
            ("LayerNorm", ["axis": "-1", "eps": "1e-05", "output_mean_var": "False"]),
            ("InstanceNorm", ["eps": "0.001"]),
            ("LRN", ["alpha": "0.0001", "beta": "0.75", "knorm": "2", "nsize": "5"]),
            ("LeakyReLU", ["act_type": "leaky", "slope": "0.25", "lower_bound": "0.125", "upper_bound": "0.334"]),
            ("Pooling", ["kernel": "(3, 3)", "pool_type": "avg", "global_pool": "False", "cudnn_off": "False", "pooling_convention": "full",
                         "stride": "(2, 2)", "pad": "(1, 1)", "p_value": "None", "count_include_pad": "False", "layout": "NCHW"]),
            ("UpSampling", ["scale": "2", "num_filter": "0", "sample_type": "nearest", "multi_input_mode": "sum", "num_args": "2", "workspace": "512"]),
            ("softmax", ["axis": "1", "temperature": "None", "dtype": "None", "use_length": "False"]),
            ("log_softmax", ["axis": "-1", "temperature": "2.0", "dtype": "float32", "use_length": "None"]),
            ("softmin", ["axis": "-1", "temperature": "None", "dtype": "None", "use_length": "0"]),
            ("SoftmaxOutput", ["grad_scale": "1.0", "ignore_label": "-1.0", "multi_output": "False", "use_ignore": "False",
                               "preserve_shape": "False", "normalization": "valid", "out_grad": "False", "smooth_alpha": "0.0"]),
            ("SoftmaxActivation", ["mode": "channel"]),
            ("Dropout", ["p": "0.5", "mode": "training", "axes": "()", "cudnn_off": "None"]),
            ("Activation", ["act_type": "softsign"]),
        ]
        for (op, attributes) in cases {
            #expect(Self.error(op, attributes) == nil, "\(op): \(Self.error(op, attributes).map(String.init(describing:)) ?? "")")
        }
    }

    @Test func unknownAttributesAreRejected() {
        #expect(Self.error("Convolution", ["kernel": "(3,3)", "num_filter": "4", "bias": "True"])
                == .unknownAttribute(node: "node", op: "Convolution", attribute: "bias"))
        #expect(Self.error("BatchNorm", ["act_type": "relu"]) == .unknownAttribute(node: "node", op: "BatchNorm", attribute: "act_type"))
        #expect(Self.error("Pooling", ["kernel": "(2,2)", "dilate": "(1,1)"]) == .unknownAttribute(node: "node", op: "Pooling", attribute: "dilate"))
        #expect(Self.error("FullyConnected", ["num_hidden": "2", "__lr_mult__": "1.0"]) == nil, "hidden attributes are not checked")
    }

    @Test func invalidAttributesAreRejected() {
        func reason(_ op: String, _ attributes: [String: String]) -> OperatorError? {
            if case .invalidNode(_, _, let error) = Self.error(op, attributes) { return error }
            return nil
        }
        #expect(reason("Convolution", ["num_filter": "4"]) == .missingAttribute("kernel"))
        #expect(reason("Convolution", ["kernel": "(3,3)"]) == .missingAttribute("num_filter"))
        #expect(reason("Convolution", ["kernel": "(3,3)", "num_filter": "4", "stride": "(2,)"])
                == .invalidAttribute("stride", value: "(2,)", expected: "2 value(s), one per kernel axis"))
        #expect(reason("Convolution", ["kernel": "(3,3)", "num_filter": "6", "num_group": "4"])
                == .invalidAttribute("num_filter", value: "6", expected: "a multiple of num_group=4"))
        #expect(reason("Convolution", ["kernel": "(3,3)", "num_filter": "4", "cudnn_tune": "auto"])
                == .invalidAttribute("cudnn_tune", value: "auto", expected: "one of None, off, limited_workspace, fastest"))
        #expect(reason("Pooling", ["kernel": "(2,2)", "pool_type": "median"])
                == .invalidAttribute("pool_type", value: "median", expected: "one of max, avg, sum, lp"))
        #expect(reason("Pooling", ["kernel": "(2,2)", "pool_type": "lp"]) == .missingAttribute("p_value"))
        #expect(reason("Pooling", ["kernel": "(2,2)", "pool_type": "lp", "p_value": "4"])
                == .invalidAttribute("p_value", value: "4", expected: "1, 2 or 3 for lp pooling"))
        #expect(reason("Pooling", ["pool_type": "max"]) == .missingAttribute("kernel"))
        #expect(reason("Pooling", ["kernel": "(3,)", "pooling_convention": "same", "pad": "(1,)"])
                == .invalidAttribute("pad", value: "(1,)", expected: "no padding with pooling_convention=same"))
        #expect(reason("LRN", [:]) == .missingAttribute("nsize"))
        #expect(reason("LRN", ["nsize": "4"]) == .invalidAttribute("nsize", value: "4", expected: "an odd window size (MXNet's LRN only supports odd values)"))
        #expect(reason("LeakyReLU", ["act_type": "swish"])
                == .invalidAttribute("act_type", value: "swish", expected: "one of leaky, prelu, rrelu, elu, selu, gelu"))
        #expect(reason("Dropout", ["p": "1.5"]) == .invalidAttribute("p", value: "1.5", expected: "a probability in [0, 1]"))
        #expect(reason("UpSampling", ["scale": "2", "sample_type": "nearest"]) == .missingAttribute("num_args"))
        #expect(reason("log_softmax", ["use_length": "True"])
                == .invalidAttribute("use_length", value: "True", expected: "False: MXNet's log_softmax takes no length input"))
        #expect(reason("BatchNorm", ["fix_gamma": "yes"]) == .invalidAttribute("fix_gamma", value: "yes", expected: "True or False"))
    }

    @Test func validButUnimplementedConfigurationsSaySo() {
        func isUnsupported(_ op: String, _ attributes: [String: String]) -> Bool {
            if case .invalidNode(_, _, .unsupported) = Self.error(op, attributes) { return true }
            return false
        }
        #expect(isUnsupported("Convolution", ["kernel": "(3,3)", "num_filter": "4", "layout": "NHWC"]))
        #expect(isUnsupported("Convolution", ["kernel": "(3,3,3)", "num_filter": "4", "layout": "NDHWC"]))
        #expect(!isUnsupported("Convolution", ["kernel": "(3,3,3)", "num_filter": "4", "layout": "NCDHW"]))
        #expect(isUnsupported("Deconvolution", ["kernel": "(3,3,3)", "num_filter": "4"]))
        #expect(isUnsupported("Pooling", ["kernel": "(2,2)", "layout": "NHWC"]))
        #expect(isUnsupported("Dropout", ["mode": "always", "p": "0.2"]))
        #expect(!isUnsupported("Dropout", ["mode": "always", "p": "0"]))
        #expect(isUnsupported("softmax", ["dtype": "float16"]))
    }

    @Test func compilerBuiltOperatorsCarryBias() throws {
        let conv = ConvolutionOperator(kernel: [1, 1], stride: [1, 1], pad: [0, 0], dilate: [1, 1], numFilter: 2, noBias: false)
        #expect(conv.inputNames(inputCount: 3) == ["data", "weight", "bias"])
        // data (1, 1, 1, 2) = [1, -3]; weights [1, 2]; bias [0, 1]: channel 0 = [1, -3], channel 1 = [3, -5].
        let output = Tensor(zeros: [1, 2, 1, 2])
        conv.execute(inputs: [Tensor(shape: [1, 1, 1, 2], floats: [1, -3]), Tensor(shape: [2, 1, 1, 1], floats: [1, 2]),
                              Tensor(shape: [2], floats: [0, 1])], outputs: [output])
        #expect(output.toFloatArray() == [1, -3, 3, -5])

        let fc = FullyConnectedOperator(numHidden: 1, noBias: false)
        let dense = Tensor(zeros: [2, 1])
        fc.execute(inputs: [Tensor(shape: [2, 2], floats: [1, 2, -3, 1]), Tensor(shape: [1, 2], floats: [1, 1]), Tensor(shape: [1], floats: [0])],
                   outputs: [dense])
        #expect(dense.toFloatArray() == [3, -2])
        #expect(try fc.inferShapes([[2, 2], [1, 2], [1]]) == [[2, 1]])
    }
}
