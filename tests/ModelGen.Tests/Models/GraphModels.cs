using ModelGen;

namespace ModelGen.Tests.Models;

// Graph operations for the gradient checks: several inputs, Tensor.Concat in both orders and along
// every axis, several weighted heads, and a contrastive pair.

/// <summary>Two inputs joined by a concat: one goes through a layer, the other straight to the head.</summary>
[Model(Loss = Loss.MeanSquaredError)]
[Input("wide", 3)]
[Input("deep", 4)]
public partial class TwoInputNet
{
    [Dense(5, Activation.Tanh)] private partial Tensor Deep(Tensor x);
    [Dense(2)] private partial Tensor Out(Tensor x);

    [Forward]
    public Tensor Forward(Tensor wide, Tensor deep) => Out(Tensor.Concat(Deep(deep), wide));
}

/// <summary>The same two values concatenated in both orders (their columns land in different places).</summary>
[Model(Input = new[] { 4 }, Loss = Loss.MeanSquaredError)]
public partial class ConcatOrderNet
{
    [Dense(3, Activation.Tanh)] private partial Tensor P(Tensor x);
    [Dense(2, Activation.Sigmoid)] private partial Tensor Q(Tensor x);
    [Dense(2)] private partial Tensor Out(Tensor x);

    [Forward]
    private Tensor Forward(Tensor x)
    {
        var p = P(x);
        var q = Q(x);
        return Out(Tensor.Concat(p, q) * Tensor.Concat(q, p));
    }
}

/// <summary>Concat of [2, 3] samples along axis 0 (rows), axis 1 and axis −1 (columns).</summary>
[Model(Input = new[] { 2, 3 }, Loss = Loss.MeanSquaredError)]
public partial class ConcatAxisNet
{
    [LayerNorm] private partial Tensor N1(Tensor x);
    [LayerNorm] private partial Tensor N2(Tensor x);
    [Flatten] private partial Tensor FlatRows(Tensor x);
    [Flatten] private partial Tensor FlatColumns(Tensor x);
    [Dense(2)] private partial Tensor Out(Tensor x);

    [Forward]
    private Tensor Forward(Tensor x)
    {
        var rows = Tensor.Concat(0, N1(x), x);            // [4, 3]
        var columns = Tensor.Concat(axis: 1, x, N2(x));   // [2, 6]
        var last = Tensor.Concat(-1, N2(x), N1(x));       // [2, 6]
        return Out(Tensor.Concat(FlatRows(rows), FlatColumns(columns * last)));
    }
}

/// <summary>Three heads with their own losses and weights on a shared trunk; one head feeds another.</summary>
[Model(Input = new[] { 5 })]
[Head("kind", Loss.SoftmaxCrossEntropy)]
[Head("score", Loss.MeanSquaredError, Weight = 0.5f)]
[Head("flag", Loss.BinaryCrossEntropy, Weight = 2f, PosWeight = 1.5f)]
public partial class MultiHeadNet
{
    [Dense(6, Activation.Tanh)] private partial Tensor Trunk(Tensor x);
    [Dense(3)] private partial Tensor Kind(Tensor x);
    [Dense(2)] private partial Tensor Score(Tensor x);
    [Dense(1)] private partial Tensor Flag(Tensor x);

    [Forward]
    public (Tensor kind, Tensor score, Tensor flag) Forward(Tensor x)
    {
        var h = Trunk(x);
        var score = Score(h);
        return (Kind(h), score, Flag(Tensor.Concat(h, score)));
    }
}

/// <summary>Weighted heads the other head models leave out (or only run with dropout): a weighted softmax, a weighted Huber, mean absolute error.</summary>
[Model(Input = new[] { 4 })]
[Head("label", Loss.SoftmaxCrossEntropy, Weight = 0.5f)]
[Head("size", Loss.Huber, HuberDelta = 0.5f, Weight = 1.5f)]
[Head("offset", Loss.MeanAbsoluteError, Weight = 0.25f)]
public partial class WeightedHeadsNet
{
    [Dense(5, Activation.ReLU)] private partial Tensor Trunk(Tensor x);
    [Dense(3)] private partial Tensor Label(Tensor x);
    [Dense(2)] private partial Tensor Size(Tensor x);
    [Dense(1)] private partial Tensor Offset(Tensor x);

    [Forward]
    public (Tensor label, Tensor size, Tensor offset) Forward(Tensor x)
    {
        var h = Trunk(x);
        return (Label(h), Size(h), Offset(h));
    }
}

/// <summary>A siamese pair: both sides through the same tower, compared by the contrastive loss.</summary>
[Model(Loss = Loss.Contrastive, Margin = 2f)]
[Input("left", 4)]
[Input("right", 4)]
public partial class ContrastiveNet
{
    [Dense(5, Activation.Tanh)] private partial Tensor Hidden(Tensor x);
    [Dense(3)] private partial Tensor Embed(Tensor x);

    [Forward]
    private (Tensor left, Tensor right) Forward(Tensor left, Tensor right) => (Embed(Hidden(left)), Embed(Hidden(right)));
}

/// <summary>Two categorical inputs embedded, stacked and joined with a dense input (wide-deep in miniature).</summary>
[Model(Loss = Loss.BinaryCrossEntropy)]
[Input("a", 1)]
[Input("b", 1)]
[Input("dense", 2)]
public partial class EmbeddingConcatNet
{
    [Embedding(5, 3)] private partial Tensor FieldA(Tensor ids);
    [Embedding(4, 3)] private partial Tensor FieldB(Tensor ids);
    [Flatten] private partial Tensor Flat(Tensor x);
    [Dense(4, Activation.Tanh)] private partial Tensor Deep(Tensor x);
    [Dense(1)] private partial Tensor Logit(Tensor x);
    [Dense(1)] private partial Tensor Wide(Tensor x);

    [Forward]
    private Tensor Forward(Tensor a, Tensor b, Tensor dense) =>
        Logit(Deep(Tensor.Concat(Flat(Tensor.Concat(0, FieldA(a), FieldB(b))), dense))) + Wide(dense);
}

/// <summary>An image and a vector input, convolution with BatchNorm, dropout after the concat, two heads (softmax, Huber).</summary>
[Model]
[Input("photo", 1, 4, 4)]
[Input("meta", 3)]
[Head("kind", Loss.SoftmaxCrossEntropy)]
[Head("size", Loss.Huber, HuberDelta = 0.5f, Weight = 1.5f)]
public partial class ImageAndMetaNet
{
    [Conv2d(2, 3, Activation.Tanh, Padding = 1)] private partial Tensor C(Tensor x);
    [BatchNorm] private partial Tensor Norm(Tensor x);
    [MaxPool2d(2)] private partial Tensor P(Tensor x);
    [Flatten] private partial Tensor Flat(Tensor x);
    [Dropout(0.25f)] private partial Tensor Drop(Tensor x);
    [Dense(3)] private partial Tensor Kind(Tensor x);
    [Dense(1)] private partial Tensor Size(Tensor x);

    [Forward]
    private (Tensor kind, Tensor size) Forward(Tensor photo, Tensor meta)
    {
        var h = Drop(Tensor.Concat(Flat(P(Norm(C(photo)))), meta));   // 2·2·2 + 3 = 11
        return (Kind(h), Size(h));
    }
}
