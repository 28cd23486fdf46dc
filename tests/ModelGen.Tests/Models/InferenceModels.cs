using ModelGen;

namespace ModelGen.Tests.Models;

// Models for the inference pass's tests: widths that are not multiples of a vector, embeddings and concatenated rows
// long enough for the vector copies, and layers wide enough to be split across threads.

/// <summary>wide-deep at small sizes: three fields of 16-wide embeddings, 19 dense floats, a deep tower and a wide term.</summary>
[Model(Loss = Loss.BinaryCrossEntropy)]
[Input("c0", 1)]
[Input("c1", 1)]
[Input("c2", 1)]
[Input("dense", 19)]
public partial class SmallWideDeep
{
    [Embedding(50, 16)] private partial Tensor Field0(Tensor ids);
    [Embedding(40, 16)] private partial Tensor Field1(Tensor ids);
    [Embedding(30, 16)] private partial Tensor Field2(Tensor ids);
    [Flatten] private partial Tensor Flat(Tensor x);
    [Dense(45, Activation.ReLU)] private partial Tensor Deep1(Tensor x);
    [Dense(33, Activation.LeakyReLU)] private partial Tensor Deep2(Tensor x);
    [Dense(1)] private partial Tensor Deep3(Tensor x);
    [Dense(1)] private partial Tensor Wide(Tensor x);

    [Forward]
    private Tensor Forward(Tensor c0, Tensor c1, Tensor c2, Tensor dense)
    {
        var fields = Tensor.Concat(0, Field0(c0), Field1(c1), Field2(c2));
        return Deep3(Deep2(Deep1(Tensor.Concat(Flat(fields), dense)))) + Wide(dense);
    }
}

/// <summary>A chain of dense layers with every kind of epilogue, wide enough that a forced split gives every thread columns.</summary>
[Model(Input = new[] { 70 }, Loss = Loss.SoftmaxCrossEntropy)]
public partial class WideActivationsMlp
{
    [Dense(300, Activation.ReLU)] private partial Tensor Hidden1(Tensor x);
    [Dense(257, Activation.GELU)] private partial Tensor Hidden2(Tensor x);
    [Dense(131, Activation.Tanh)] private partial Tensor Hidden3(Tensor x);
    [Dense(10)] private partial Tensor Logits(Tensor x);
}
