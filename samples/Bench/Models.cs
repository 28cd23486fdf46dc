using ModelGen;

namespace Bench;

// The benchmark networks of MODELS.md, declared in the DSL.

/// <summary>digits-mlp: 64 → Dense 128 + ReLU → Dense 64 + ReLU → Dense 10, softmax cross-entropy, batch 64.</summary>
[Model(Input = new[] { 64 }, Loss = Loss.SoftmaxCrossEntropy)]
public partial class DigitsMlp
{
    [Dense(128, Activation.ReLU)] private partial Tensor Hidden1(Tensor x);
    [Dense(64, Activation.ReLU)] private partial Tensor Hidden2(Tensor x);
    [Dense(10)] private partial Tensor Logits(Tensor x);
}

/// <summary>mnist-mlp: 784 → Dense 1024 + ReLU → Dense 1024 + ReLU → Dense 10, softmax cross-entropy, batch 256.</summary>
[Model(Input = new[] { 784 }, Loss = Loss.SoftmaxCrossEntropy)]
public partial class MnistMlp
{
    [Dense(1024, Activation.ReLU)] private partial Tensor Hidden1(Tensor x);
    [Dense(1024, Activation.ReLU)] private partial Tensor Hidden2(Tensor x);
    [Dense(10)] private partial Tensor Logits(Tensor x);
}

/// <summary>lenet5: 1×28×28 → Conv 6@5×5 pad 2 + ReLU → MaxPool 2 → Conv 16@5×5 + ReLU → MaxPool 2 → Flatten (400) → Dense 120 + ReLU → Dense 84 + ReLU → Dense 10, batch 128.</summary>
[Model(Input = new[] { 1, 28, 28 }, Loss = Loss.SoftmaxCrossEntropy)]
public partial class LeNet5
{
    [Conv2d(6, 5, Activation.ReLU, Padding = 2)] private partial Tensor C1(Tensor x);
    [MaxPool2d(2)] private partial Tensor P1(Tensor x);
    [Conv2d(16, 5, Activation.ReLU)] private partial Tensor C2(Tensor x);
    [MaxPool2d(2)] private partial Tensor P2(Tensor x);
    [Flatten] private partial Tensor Flat(Tensor x);
    [Dense(120, Activation.ReLU, In = 400)] private partial Tensor Fc1(Tensor x);
    [Dense(84, Activation.ReLU)] private partial Tensor Fc2(Tensor x);
    [Dense(10)] private partial Tensor Logits(Tensor x);
}

/// <summary>
/// tiny-transformer: tokens [64] from vocab 96 → Embedding 128 + learned positions (64) → 2 × pre-LayerNorm block
/// (4-head causal self-attention d = 128, MLP 128 → 512 GELU → 128, residuals) → LayerNorm → Dense 96,
/// next-token cross-entropy over all 64 positions, batch 32.
/// </summary>
[Model(Input = new[] { 64 }, Loss = Loss.SoftmaxCrossEntropy)]
public partial class TinyTransformer
{
    [Embedding(96, 128)] private partial Tensor Tokens(Tensor ids);
    [PositionalEmbedding(64)] private partial Tensor Positions(Tensor x);
    [LayerNorm] private partial Tensor Norm1(Tensor x);
    [MultiHeadAttention(4, Causal = true)] private partial Tensor Attention1(Tensor x);
    [LayerNorm] private partial Tensor Norm2(Tensor x);
    [Dense(512, Activation.GELU)] private partial Tensor Up1(Tensor x);
    [Dense(128)] private partial Tensor Down1(Tensor x);
    [LayerNorm] private partial Tensor Norm3(Tensor x);
    [MultiHeadAttention(4, Causal = true)] private partial Tensor Attention2(Tensor x);
    [LayerNorm] private partial Tensor Norm4(Tensor x);
    [Dense(512, Activation.GELU)] private partial Tensor Up2(Tensor x);
    [Dense(128)] private partial Tensor Down2(Tensor x);
    [LayerNorm] private partial Tensor FinalNorm(Tensor x);
    [Dense(96)] private partial Tensor Logits(Tensor x);

    [Forward]
    private Tensor Forward(Tensor ids)
    {
        var x = Positions(Tokens(ids));
        x = x + Attention1(Norm1(x));
        x = x + Down1(Up1(Norm2(x)));
        x = x + Attention2(Norm3(x));
        x = x + Down2(Up2(Norm4(x)));
        return Logits(FinalNorm(x));
    }
}

/// <summary>
/// wide-deep: 8 categorical ids (vocabulary 1000 each, an Embedding of 16 per field) and 16 dense floats → concat (144)
/// → Dense 256 + ReLU → Dense 128 + ReLU → Dense 1, plus a wide linear part over the 16 dense floats added to the logit;
/// binary cross-entropy with logits, batch 512. A row is the 8 ids then the 16 floats, as the peer's (cats, dense).
/// </summary>
[Model(Loss = Loss.BinaryCrossEntropy)]
[Input("c0", 1)] [Input("c1", 1)] [Input("c2", 1)] [Input("c3", 1)]
[Input("c4", 1)] [Input("c5", 1)] [Input("c6", 1)] [Input("c7", 1)]
[Input("dense", 16)]
public partial class WideDeep
{
    [Embedding(1000, 16)] private partial Tensor Field0(Tensor ids);
    [Embedding(1000, 16)] private partial Tensor Field1(Tensor ids);
    [Embedding(1000, 16)] private partial Tensor Field2(Tensor ids);
    [Embedding(1000, 16)] private partial Tensor Field3(Tensor ids);
    [Embedding(1000, 16)] private partial Tensor Field4(Tensor ids);
    [Embedding(1000, 16)] private partial Tensor Field5(Tensor ids);
    [Embedding(1000, 16)] private partial Tensor Field6(Tensor ids);
    [Embedding(1000, 16)] private partial Tensor Field7(Tensor ids);
    [Flatten] private partial Tensor Flat(Tensor x);
    [Dense(256, Activation.ReLU)] private partial Tensor Deep1(Tensor x);
    [Dense(128, Activation.ReLU)] private partial Tensor Deep2(Tensor x);
    [Dense(1)] private partial Tensor Deep3(Tensor x);
    [Dense(1)] private partial Tensor Wide(Tensor x);

    [Forward]
    private Tensor Forward(Tensor c0, Tensor c1, Tensor c2, Tensor c3, Tensor c4, Tensor c5, Tensor c6, Tensor c7, Tensor dense)
    {
        // Eight [1, 16] embeddings stacked into [8, 16], flattened to [128], then the dense floats: [144].
        var fields = Tensor.Concat(0, Field0(c0), Field1(c1), Field2(c2), Field3(c3), Field4(c4), Field5(c5), Field6(c6), Field7(c7));
        var deep = Tensor.Concat(Flat(fields), dense);
        return Deep3(Deep2(Deep1(deep))) + Wide(dense);
    }
}
