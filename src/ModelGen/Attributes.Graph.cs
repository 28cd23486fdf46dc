using System;

namespace ModelGen;

/// <summary>
/// Declares one named input of a model whose <c>[Forward]</c> method takes several tensors: the name of the
/// <c>[Forward]</c> parameter and its per-sample shape (without the batch). Repeat it once per parameter,
/// instead of <see cref="ModelAttribute.Input"/>. The data carries the inputs side by side in each row,
/// in this declaration order (see <see cref="Dataset.WithInputs"/>).
/// </summary>
/// <example><code>
/// [Model(Loss = Loss.BinaryCrossEntropy)]
/// [Input("wide", 10)]
/// [Input("deep", 20)]
/// public partial class WideAndDeep
/// {
///     [Dense(16, Activation.ReLU)] private partial Tensor Hidden(Tensor x);
///     [Dense(1)]                   private partial Tensor Logit(Tensor x);
///
///     [Forward] private Tensor Forward(Tensor wide, Tensor deep) => Logit(Tensor.Concat(wide, Hidden(deep)));
/// }
/// </code></example>
[AttributeUsage(AttributeTargets.Class, Inherited = false, AllowMultiple = true)]
public sealed class InputAttribute : Attribute
{
    /// <summary>Declares the input <paramref name="name"/> with per-sample shape <paramref name="shape"/>.</summary>
    /// <param name="name">The name of a <c>[Forward]</c> parameter.</param>
    /// <param name="shape">Per-sample shape, e.g. <c>16</c> or <c>1, 28, 28</c>.</param>
    public InputAttribute(string name, params int[] shape)
    {
        Name = name;
        Shape = shape;
    }

    /// <summary>The <c>[Forward]</c> parameter this input feeds.</summary>
    public string Name { get; }

    /// <summary>Per-sample shape, without the batch dimension.</summary>
    public int[] Shape { get; }
}

/// <summary>
/// Declares the loss of one output of a model whose <c>[Forward]</c> method returns a named tuple of tensors
/// (multi-task learning): the training loss is Σ <see cref="Weight"/>·loss over the heads, and
/// <see cref="Model.Evaluate"/> reports each head's loss and accuracy. Outputs and targets are packed
/// side by side per sample, in the tuple's order.
/// </summary>
/// <example><code>
/// [Model(Input = new[] { 12 })]
/// [Head("kind", Loss.SoftmaxCrossEntropy)]
/// [Head("price", Loss.MeanSquaredError, Weight = 0.5f)]
/// public partial class TwoTasks
/// {
///     [Dense(32, Activation.ReLU)] private partial Tensor Trunk(Tensor x);
///     [Dense(4)]                   private partial Tensor Kind(Tensor x);
///     [Dense(1)]                   private partial Tensor Price(Tensor x);
///
///     [Forward] private (Tensor kind, Tensor price) Forward(Tensor x) { var h = Trunk(x); return (Kind(h), Price(h)); }
/// }
/// </code></example>
[AttributeUsage(AttributeTargets.Class, Inherited = false, AllowMultiple = true)]
public sealed class HeadAttribute : Attribute
{
    /// <summary>Declares the loss of output <paramref name="name"/>.</summary>
    /// <param name="name">The name of an element of the tuple <c>[Forward]</c> returns.</param>
    /// <param name="loss">The loss of this output (not <see cref="Loss.Contrastive"/>, which compares two outputs).</param>
    public HeadAttribute(string name, Loss loss)
    {
        Name = name;
        Loss = loss;
    }

    /// <summary>The tuple element this head's loss is computed on.</summary>
    public string Name { get; }

    /// <summary>The loss of this head.</summary>
    public Loss Loss { get; }

    /// <summary>Factor of this head's loss in the total (default 1).</summary>
    public float Weight { get; set; } = 1f;

    /// <summary>Weight of the positive term for <see cref="Loss.BinaryCrossEntropy"/> (default 1).</summary>
    public float PosWeight { get; set; } = 1f;

    /// <summary>Where <see cref="Loss.Huber"/> turns linear (default 1).</summary>
    public float HuberDelta { get; set; } = 1f;
}
