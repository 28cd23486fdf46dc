namespace ModelGen;

/// <summary>
/// The element-wise functions of one value that a <c>[Forward]</c> method may apply (<see cref="Tensor.Exp"/>,
/// <c>0.5f * x</c>, …). Generated code and <see cref="Export.InferenceGraph"/> name them; each has two constants,
/// <c>first</c> and <c>second</c>, whose meaning the member states.
/// </summary>
public enum ElementwiseFunction
{
    /// <summary><c>first·x + second</c>: every scalar operation with float constants (<c>0.5f * x</c>, <c>x - 1f</c>, <c>-x</c>, <c>x / 2f</c>).</summary>
    Affine = 0,
    /// <summary>eˣ.</summary>
    Exp,
    /// <summary>The natural logarithm (NaN below 0, −∞ at 0, as <see cref="System.MathF.Log(float)"/>).</summary>
    Log,
    /// <summary>√x (NaN below 0).</summary>
    Sqrt,
    /// <summary>x².</summary>
    Square,
    /// <summary>|x|; its derivative at 0 is taken as 0.</summary>
    Abs,
    /// <summary>x limited to [first, second]; the gradient passes where first ≤ x ≤ second.</summary>
    Clamp,
    /// <summary>max(0, x).</summary>
    ReLU,
    /// <summary>x for x &gt; 0, first·x otherwise.</summary>
    LeakyReLU,
    /// <summary>GELU, tanh approximation (as <see cref="Activation.GELU"/>).</summary>
    GELU,
    /// <summary>x·σ(x).</summary>
    SiLU,
    /// <summary>1 / (1 + e^−x).</summary>
    Sigmoid,
    /// <summary>Hyperbolic tangent.</summary>
    Tanh,
    /// <summary>GELU with the exact normal CDF (as <see cref="Activation.GELUExact"/>).</summary>
    GELUExact,
}
