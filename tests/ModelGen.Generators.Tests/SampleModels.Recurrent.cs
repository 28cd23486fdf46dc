namespace ModelGen.Generators.Tests;

/// <summary>Sequence models: recurrent layers, 1-D convolutions, group normalisation and reshapes.</summary>
internal static partial class SampleModels
{
    public const string SentimentLstm = """
        using ModelGen;

        namespace Samples.Sequences;

        [Model(Input = new[] { 32 }, Loss = Loss.SoftmaxCrossEntropy)]
        public partial class SentimentLstm
        {
            [Reshape(8, 4)]                                         private partial Tensor Steps(Tensor x);
            [LSTM(16, Bidirectional = true, ReturnSequences = true)] private partial Tensor Encoder(Tensor x);
            [GRU(8)]                                                private partial Tensor Summarise(Tensor x);
            [Dense(3)]                                              private partial Tensor Logits(Tensor x);
        }
        """;

    public const string SignalConv1d = """
        using ModelGen;

        namespace Samples.Sequences;

        [Model(Input = new[] { 2, 64 }, Loss = Loss.BinaryCrossEntropy)]
        public partial class SignalConv1d
        {
            [Conv1d(8, 5, Activation.ReLU, Padding = 2)]           private partial Tensor C1(Tensor x);
            [GroupNorm(4)]                                          private partial Tensor Norm(Tensor x);
            [Conv1d(16, 2, Activation.GELU, Stride = 2, Dilation = 3, Padding = 1)] private partial Tensor C2(Tensor x);
            [Flatten]                                               private partial Tensor Flat(Tensor x);
            [Dense(1)]                                              private partial Tensor Logit(Tensor x);
        }
        """;

    public const string ActivityTagger = """
        using ModelGen;

        namespace Samples.Sequences;

        [Model(Input = new[] { 12, 6 }, Loss = Loss.SoftmaxCrossEntropy)]
        public partial class ActivityTagger
        {
            [LSTM(16, Bidirectional = true, ReturnSequences = true)] private partial Tensor Encoder(Tensor x);
            [GRU(8)]                                                private partial Tensor Summarise(Tensor x);
            [Dense(4)]                                              private partial Tensor Logits(Tensor x);
        }
        """;

    /// <summary>Variable-length sentences (MaskPadding): each sample's length feeds the LSTM, the attention and the loss.</summary>
    public const string PaddedTagger = """
        using ModelGen;

        namespace Samples.Sequences;

        [Model(Input = new[] { 12 }, Loss = Loss.SoftmaxCrossEntropy)]
        public partial class PaddedTagger
        {
            [Embedding(100, 16, PaddingIndex = 0, MaskPadding = true)] private partial Tensor Tokens(Tensor ids);
            [LSTM(8, Bidirectional = true, ReturnSequences = true)]    private partial Tensor Encoder(Tensor x);
            [MultiHeadAttention(2)]                                    private partial Tensor Attention(Tensor x);
            [Dense(5)]                                                 private partial Tensor Tags(Tensor x);
        }
        """;
}
