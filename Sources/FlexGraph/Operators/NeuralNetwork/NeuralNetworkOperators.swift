extension OperatorRegistry {
    /// Convolutions, dense layers, normalization, activations, pooling, softmax and friends.
    static let neuralNetworkOperators: [any Operator.Type] = [
        ActivationOperator.self,
        BatchNormOperator.self,
        ConvolutionOperator.self,
        DeconvolutionOperator.self,
        DropoutOperator.self,
        FullyConnectedOperator.self,
        InstanceNormOperator.self,
        LayerNormOperator.self,
        LeakyReLUOperator.self,
        LegacyV1Operator.self,
        LRNOperator.self,
        PoolingOperator.self,
        RNNOperator.self,
        RNNParamConcatOperator.self,
        SoftmaxActivationOperator.self,
        SoftmaxOperator.self,
        SoftmaxOutputOperator.self,
        UpSamplingOperator.self,
    ]
}
