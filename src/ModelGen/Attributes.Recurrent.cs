using System;

namespace ModelGen;

/// <summary>
/// A long short-term memory layer over batch-first sequences (PyTorch's <c>nn.LSTM</c>, one layer,
/// zero initial state): each sample is <c>[sequence, features]</c>. The output is the last hidden
/// state <c>[H·directions]</c>, or with <see cref="ReturnSequences"/> every step's <c>[sequence, H·directions]</c>.
/// </summary>
/// <example><code>
/// [Model(Input = new[] { 20, 8 })]   // 20 steps of 8 features
/// public partial class Classifier
/// {
///     [LSTM(32, Bidirectional = true)] private partial Tensor Encoder(Tensor x);   // → [64]
///     [Dense(3)]                       private partial Tensor Logits(Tensor x);
/// }
/// </code></example>
[AttributeUsage(AttributeTargets.Method, Inherited = false, AllowMultiple = false)]
public sealed class LSTMAttribute : Attribute
{
    /// <summary>Creates an LSTM layer with <paramref name="hiddenSize"/> units per direction.</summary>
    public LSTMAttribute(int hiddenSize) => HiddenSize = hiddenSize;

    /// <summary>Hidden (and cell) state width per direction.</summary>
    public int HiddenSize { get; }

    /// <summary>Also run a second cell from the last step to the first; the output width doubles (forward states first).</summary>
    public bool Bidirectional { get; set; }

    /// <summary>Output every step, <c>[sequence, H·directions]</c>, instead of the final state (for the reverse direction: its state after step 0, as PyTorch's <c>h_n</c>).</summary>
    public bool ReturnSequences { get; set; }

    /// <summary>Expected features per step; 0 (the default) means "infer them". A stated count that differs is a build error.</summary>
    public int In { get; set; }

    /// <summary>
    /// Whether the layer's parameters train (default true). False starts every new model with the layer frozen
    /// (<see cref="Model.Freeze"/>): its parameters keep their values, e.g. pretrained ones copied in for fine-tuning;
    /// <see cref="Model.Unfreeze"/> lets them train again.
    /// </summary>
    public bool Trainable { get; set; } = true;
}

/// <summary>
/// A gated recurrent unit layer over batch-first sequences (PyTorch's <c>nn.GRU</c>, one layer, zero
/// initial state): each sample is <c>[sequence, features]</c>; the output as <see cref="LSTMAttribute"/>'s.
/// </summary>
[AttributeUsage(AttributeTargets.Method, Inherited = false, AllowMultiple = false)]
public sealed class GRUAttribute : Attribute
{
    /// <summary>Creates a GRU layer with <paramref name="hiddenSize"/> units per direction.</summary>
    public GRUAttribute(int hiddenSize) => HiddenSize = hiddenSize;

    /// <summary>Hidden state width per direction.</summary>
    public int HiddenSize { get; }

    /// <summary>Also run a second cell from the last step to the first; the output width doubles (forward states first).</summary>
    public bool Bidirectional { get; set; }

    /// <summary>Output every step, <c>[sequence, H·directions]</c>, instead of the final state.</summary>
    public bool ReturnSequences { get; set; }

    /// <summary>Expected features per step; 0 (the default) means "infer them". A stated count that differs is a build error.</summary>
    public int In { get; set; }

    /// <summary>
    /// Whether the layer's parameters train (default true). False starts every new model with the layer frozen
    /// (<see cref="Model.Freeze"/>): its parameters keep their values, e.g. pretrained ones copied in for fine-tuning;
    /// <see cref="Model.Unfreeze"/> lets them train again.
    /// </summary>
    public bool Trainable { get; set; } = true;
}

/// <summary>
/// A 1-D convolution over <c>[channels, length]</c> samples, <c>y = activation(conv(x, W) + b)</c>, as
/// PyTorch's <c>nn.Conv1d</c>. Output length: ⌊(L + 2·padding − dilation·(kernel − 1) − 1) / stride⌋ + 1.
/// </summary>
/// <example><code>
/// [Model(Input = new[] { 4, 64 })]   // 4 channels of 64 samples
/// public partial class Detector
/// {
///     [Conv1d(16, 5, Activation.ReLU, Padding = 2)] private partial Tensor C1(Tensor x);   // → [16, 64]
///     ...
/// }
/// </code></example>
[AttributeUsage(AttributeTargets.Method, Inherited = false, AllowMultiple = false)]
public sealed class Conv1dAttribute : Attribute
{
    /// <summary>Creates a convolution with <paramref name="outChannels"/> filters of width <paramref name="kernelSize"/>.</summary>
    public Conv1dAttribute(int outChannels, int kernelSize, Activation activation = Activation.None)
    {
        OutChannels = outChannels;
        KernelSize = kernelSize;
        Activation = activation;
    }

    /// <summary>Number of output channels (filters).</summary>
    public int OutChannels { get; }

    /// <summary>Width of each filter.</summary>
    public int KernelSize { get; }

    /// <summary>Activation applied to the convolution's output.</summary>
    public Activation Activation { get; }

    /// <summary>Step between filter positions (default 1).</summary>
    public int Stride { get; set; } = 1;

    /// <summary>Zeros added at both ends of the length (default 0).</summary>
    public int Padding { get; set; }

    /// <summary>
    /// 'Same' padding: the output keeps the input's length (stride 1 only). When dilation·(kernel − 1)
    /// is odd, the extra zero goes at the end, as PyTorch's <c>padding="same"</c>.
    /// </summary>
    public bool SamePadding { get; set; }

    /// <summary>Spacing between filter taps (default 1).</summary>
    public int Dilation { get; set; } = 1;

    /// <summary>Channel groups: input and output channels must both be divisible by it (default 1).</summary>
    public int Groups { get; set; } = 1;

    /// <summary>Whether the layer has a bias per output channel (default true).</summary>
    public bool Bias { get; set; } = true;

    /// <summary>Expected input channels; 0 (the default) means "infer them". A stated count that differs is a build error.</summary>
    public int In { get; set; }

    /// <summary>Slope for negative inputs of <see cref="Activation.LeakyReLU"/> (default 0.01).</summary>
    public float NegativeSlope { get; set; } = 0.01f;

    /// <summary>
    /// Whether the layer's parameters train (default true). False starts every new model with the layer frozen
    /// (<see cref="Model.Freeze"/>): its parameters keep their values, e.g. pretrained ones copied in for fine-tuning;
    /// <see cref="Model.Unfreeze"/> lets them train again.
    /// </summary>
    public bool Trainable { get; set; } = true;
}

/// <summary>
/// Group normalisation of <c>[channels, …]</c> samples (PyTorch's <c>nn.GroupNorm</c>): the channels
/// are split into groups, each (sample, group) is normalised to zero mean and unit variance, then
/// scaled and shifted per channel by learned γ (starts at 1) and β (starts at 0).
/// </summary>
[AttributeUsage(AttributeTargets.Method, Inherited = false, AllowMultiple = false)]
public sealed class GroupNormAttribute : Attribute
{
    /// <summary>Creates group normalisation with <paramref name="groups"/> groups, which must divide the channels.</summary>
    public GroupNormAttribute(int groups) => Groups = groups;

    /// <summary>Number of channel groups.</summary>
    public int Groups { get; }

    /// <summary>Expected channels (the first dimension of each sample); 0 (the default) means "infer them". A stated count that differs from the inferred one is a build error (MG0036).</summary>
    public int In { get; set; }

    /// <summary>Added to the variance for numerical stability (default 1e-5).</summary>
    public float Epsilon { get; set; } = 1e-5f;

    /// <summary>
    /// Whether the layer's parameters train (default true). False starts every new model with the layer frozen
    /// (<see cref="Model.Freeze"/>): its parameters keep their values, e.g. pretrained ones copied in for fine-tuning;
    /// <see cref="Model.Unfreeze"/> lets them train again.
    /// </summary>
    public bool Trainable { get; set; } = true;
}

/// <summary>
/// Gives each sample a new shape with the same number of elements, e.g. <c>[64]</c> → <c>[16, 4]</c>;
/// one dimension may be −1, inferred from the others. A view in the fused code: it copies nothing.
/// </summary>
/// <example><code>
/// [Model(Input = new[] { 64 })]
/// public partial class Sequencer
/// {
///     [Reshape(16, 4)] private partial Tensor Steps(Tensor x);   // 16 steps of 4 features
///     [GRU(8)]         private partial Tensor Encoder(Tensor x);
///     ...
/// }
/// </code></example>
[AttributeUsage(AttributeTargets.Method, Inherited = false, AllowMultiple = false)]
public sealed class ReshapeAttribute : Attribute
{
    /// <summary>Creates a reshape to <paramref name="shape"/> per sample (without the batch).</summary>
    public ReshapeAttribute(params int[] shape) => Shape = shape;

    /// <summary>The per-sample shape; at most one −1.</summary>
    public int[] Shape { get; }
}
