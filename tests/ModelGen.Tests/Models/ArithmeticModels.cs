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

/// <summary>The reparameterisation trick: z = μ + exp(½·log σ²)·ε with ε ~ N(0, I) while training, ε = 0 at inference.</summary>
[Model(Input = new[] { 6 }, Loss = Loss.MeanSquaredError)]
public partial class ReparameterizedNet
{
    [Dense(4)] private partial Tensor Mu(Tensor x);
    [Dense(4)] private partial Tensor LogVar(Tensor x);
    [Dense(6)] private partial Tensor Decode(Tensor z);

    [Forward]
    public Tensor Forward(Tensor x)
    {
        var mu = Mu(x);
        var logVar = LogVar(x);
        var z = mu + Tensor.Exp(0.5f * logVar) * Tensor.RandomNormal(like: logVar);
        return Decode(z);
    }
}

/// <summary>A VAE's loss: the reconstruction, a weighted KL term of (μ, log σ²) to N(0, I), and an L1 penalty on z.</summary>
[Model(Input = new[] { 6 }, Loss = Loss.MeanSquaredError)]
public partial class LossTermNet
{
    [Dense(4)] private partial Tensor Mu(Tensor x);
    [Dense(4)] private partial Tensor LogVar(Tensor x);
    [Dense(6)] private partial Tensor Decode(Tensor z);

    [Forward]
    public Tensor Forward(Tensor x)
    {
        var mu = Mu(x);
        var logVar = LogVar(x);
        var z = mu + Tensor.Exp(0.5f * logVar) * Tensor.RandomNormal(like: logVar);
        AddLoss("kl", -0.5f * Tensor.Sum(1f + logVar - Tensor.Square(mu) - Tensor.Exp(logVar)), weight: 0.5f);
        AddLoss("l1", Tensor.Mean(Tensor.Abs(z)));
        return Decode(z);
    }

    /// <summary>μ and log σ², eagerly (for checking the KL term).</summary>
    public (Tensor Mu, Tensor LogVar) Encode(Tensor x) => (Mu(x), LogVar(x));
}

/// <summary>Arithmetic on the input itself, before any layer: the input's gradient flows through subtraction, a function and noise.</summary>
[Model(Input = new[] { 5 }, Loss = Loss.MeanSquaredError)]
public partial class InputArithmeticNet
{
    [Dense(3)] private partial Tensor Head(Tensor x);

    [Forward]
    public Tensor Forward(Tensor x)
    {
        var shifted = 1f - Tensor.Tanh(x) * 0.5f;
        var noisy = shifted + 0.1f * Tensor.RandomNormal(like: x);
        return Head(noisy - Tensor.Square(x) / 4f);
    }
}
