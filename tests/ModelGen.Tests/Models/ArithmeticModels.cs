using ModelGen;

namespace ModelGen.Tests.Models;

// Arithmetic in [Forward] for the gradient checks and the eager comparison: every element-wise function, constants on
// either side of every operator, subtraction, negation, and values read by several operations.

/// <summary>Every element-wise function and scalar form once, with positive inputs where Log and Sqrt need them.</summary>
[Model(Input = new[] { 6 }, Loss = Loss.MeanSquaredError)]
public partial class ArithmeticNet
{
    [Dense(8)] private partial Tensor A(Tensor x);
    [Dense(8)] private partial Tensor B(Tensor x);
    [Dense(3)] private partial Tensor Head(Tensor x);

    [Forward]
    public Tensor Forward(Tensor x)
    {
        var a = A(x);
        var b = B(x);
        var positive = Tensor.Exp(0.5f * a) + 0.1f;
        var h = Tensor.Log(positive) - Tensor.Sqrt(Tensor.Square(b) + 1f);
        h = h + Tensor.Abs(a - b) / 2f - Tensor.Clamp(b, -0.5f, 0.5f);
        h = -h + (1f - Tensor.Tanh(a)) * Tensor.Sigmoid(b * 3f);
        h = h + Tensor.ReLU(a) + Tensor.LeakyReLU(b, 0.2f) + Tensor.GELU(a) + Tensor.SiLU(b) + Tensor.GELUExact(a - 1f);
        return Head(h - a);
    }
}

/// <summary>A value minus itself and a function of a function: the gradients of both sides meet in one buffer.</summary>
[Model(Input = new[] { 4 }, Loss = Loss.MeanSquaredError)]
public partial class SelfDifferenceNet
{
    [Dense(5, Activation.Tanh)] private partial Tensor A(Tensor x);
    [Dense(2)] private partial Tensor Head(Tensor x);

    [Forward]
    public Tensor Forward(Tensor x)
    {
        var a = A(x);
        var zero = a - a;
        return Head(Tensor.Square(Tensor.Exp(-a)) + zero + 2f * a);
    }
}
