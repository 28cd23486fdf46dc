using System;
using ModelGen.Cpu;

namespace ModelGen;

// Arithmetic with float constants, subtraction, negation and the element-wise functions. A [Forward] method that uses
// them is read by the generator into the fused graph; called directly, it runs these eagerly with the same formulas.
public sealed partial class Tensor
{
    /// <summary>Element-wise difference of two tensors of the same shape (no implicit broadcasting).</summary>
    /// <exception cref="ArgumentException">The shapes differ.</exception>
    public static Tensor operator -(Tensor a, Tensor b) => Combine(a, b, static (x, y) => x - y, "-");

    /// <summary>Every element negated.</summary>
    public static Tensor operator -(Tensor x) => Map(x, ElementwiseFunction.Affine, -1f, 0f);

    /// <summary>Every element times <paramref name="scale"/>.</summary>
    public static Tensor operator *(float scale, Tensor x) => Map(x, ElementwiseFunction.Affine, scale, 0f);

    /// <summary>Every element times <paramref name="scale"/>.</summary>
    public static Tensor operator *(Tensor x, float scale) => Map(x, ElementwiseFunction.Affine, scale, 0f);

    /// <summary>Every element divided by <paramref name="divisor"/> (computed as a product with its reciprocal, as the generated code does).</summary>
    public static Tensor operator /(Tensor x, float divisor) => Map(x, ElementwiseFunction.Affine, (float)(1.0 / divisor), 0f);

    /// <summary><paramref name="shift"/> added to every element.</summary>
    public static Tensor operator +(float shift, Tensor x) => Map(x, ElementwiseFunction.Affine, 1f, shift);

    /// <summary><paramref name="shift"/> added to every element.</summary>
    public static Tensor operator +(Tensor x, float shift) => Map(x, ElementwiseFunction.Affine, 1f, shift);

    /// <summary><paramref name="shift"/> subtracted from every element.</summary>
    public static Tensor operator -(Tensor x, float shift) => Map(x, ElementwiseFunction.Affine, 1f, -shift);

    /// <summary>Every element subtracted from <paramref name="value"/>.</summary>
    public static Tensor operator -(float value, Tensor x) => Map(x, ElementwiseFunction.Affine, -1f, value);

    /// <summary>eˣ of every element.</summary>
    public static Tensor Exp(Tensor x) => Map(x, ElementwiseFunction.Exp);

    /// <summary>The natural logarithm of every element (NaN below 0, −∞ at 0).</summary>
    public static Tensor Log(Tensor x) => Map(x, ElementwiseFunction.Log);

    /// <summary>The square root of every element (NaN below 0).</summary>
    public static Tensor Sqrt(Tensor x) => Map(x, ElementwiseFunction.Sqrt);

    /// <summary>Every element squared.</summary>
    public static Tensor Square(Tensor x) => Map(x, ElementwiseFunction.Square);

    /// <summary>The absolute value of every element.</summary>
    public static Tensor Abs(Tensor x) => Map(x, ElementwiseFunction.Abs);

    /// <summary>Every element limited to [<paramref name="low"/>, <paramref name="high"/>].</summary>
    /// <exception cref="ArgumentException"><paramref name="low"/> is above <paramref name="high"/>.</exception>
    public static Tensor Clamp(Tensor x, float low, float high)
    {
        if (!(low <= high)) throw new ArgumentException($"Tensor.Clamp needs low ≤ high, but low is {low} and high is {high}.", nameof(low));
        return Map(x, ElementwiseFunction.Clamp, low, high);
    }

    /// <summary>max(0, x) of every element.</summary>
    public static Tensor ReLU(Tensor x) => Map(x, ElementwiseFunction.ReLU);

    /// <summary>x for x &gt; 0, <paramref name="negativeSlope"/>·x otherwise.</summary>
    public static Tensor LeakyReLU(Tensor x, float negativeSlope = 0.01f) => Map(x, ElementwiseFunction.LeakyReLU, negativeSlope, 0f);

    /// <summary>GELU, tanh approximation (<see cref="Activation.GELU"/>).</summary>
    public static Tensor GELU(Tensor x) => Map(x, ElementwiseFunction.GELU);

    /// <summary>GELU with the exact normal CDF (<see cref="Activation.GELUExact"/>).</summary>
    public static Tensor GELUExact(Tensor x) => Map(x, ElementwiseFunction.GELUExact);

    /// <summary>x·σ(x) of every element.</summary>
    public static Tensor SiLU(Tensor x) => Map(x, ElementwiseFunction.SiLU);

    /// <summary>The logistic function of every element.</summary>
    public static Tensor Sigmoid(Tensor x) => Map(x, ElementwiseFunction.Sigmoid);

    /// <summary>The hyperbolic tangent of every element.</summary>
    public static Tensor Tanh(Tensor x) => Map(x, ElementwiseFunction.Tanh);

    /// <summary>
    /// Standard normal noise with the shape of <paramref name="like"/>. In a <c>[Forward]</c> method the generated code
    /// draws it while training from the seed given to <see cref="Model.Fit"/> (the same seed gives the same noise, for any
    /// thread count) and takes its mean, zero, at inference (<c>Predict</c>, <c>Evaluate</c>, export). Called eagerly, as
    /// here, it is that inference value: zeros. <paramref name="like"/> only gives the shape; no gradient flows to it.
    /// </summary>
    /// <example><code>var z = mu + Tensor.Exp(0.5f * logVar) * Tensor.RandomNormal(like: logVar);   // the reparameterisation trick</code></example>
    public static Tensor RandomNormal(Tensor like)
    {
        ArgumentNullException.ThrowIfNull(like);
        return new Tensor(new float[like.Data.Length], like.Shape);
    }

    /// <summary>
    /// Standard normal noise with the shape of <paramref name="like"/>, drawn from <paramref name="seed"/> (for code outside
    /// <c>[Forward]</c>, e.g. latent codes to decode; a <c>[Forward]</c> method takes its seed from Fit and cannot pass one).
    /// </summary>
    public static Tensor RandomNormal(Tensor like, long seed)
    {
        ArgumentNullException.ThrowIfNull(like);
        var rng = new Compute.Rng(seed);
        var data = new float[like.Data.Length];
        for (int i = 0; i < data.Length; i++) data[i] = (float)rng.NextGaussian();
        return new Tensor(data, like.Shape);
    }

    /// <summary>Each sample's elements added: shape [batch, 1] (a loss term for <see cref="Model.AddLoss"/>, e.g. a KL divergence).</summary>
    public static Tensor Sum(Tensor x) => PerSample(x, 1f);

    /// <summary>Each sample's elements averaged: shape [batch, 1].</summary>
    public static Tensor Mean(Tensor x) => PerSample(x, 1f / Math.Max(1, x?.SampleSize ?? 1));

    private static Tensor PerSample(Tensor x, float scale)
    {
        ArgumentNullException.ThrowIfNull(x);
        int batch = x.Batch, size = x.SampleSize;
        var result = new float[batch];
        for (int b = 0; b < batch; b++)
        {
            float sum = 0f;
            for (int i = 0; i < size; i++) sum += x.Data[b * size + i];
            result[b] = scale * sum;
        }
        return new Tensor(result, batch, 1);
    }

    private static Tensor Map(Tensor x, ElementwiseFunction function, float first = 0f, float second = 0f)
    {
        ArgumentNullException.ThrowIfNull(x);
        var result = new float[x.Data.Length];
        for (int i = 0; i < result.Length; i++) result[i] = ElementwiseMathKernels.Apply(function, x.Data[i], first, second);
        return new Tensor(result, x.Shape);
    }
}
