using System;

namespace ModelGen;

/// <summary>Element-wise function applied after a layer's affine part.</summary>
public enum Activation
{
    /// <summary>Identity: the layer's output is its affine part.</summary>
    None = 0,
    /// <summary>max(0, x).</summary>
    ReLU,
    /// <summary>x for x ≥ 0, slope·x otherwise (slope from the layer's <c>NegativeSlope</c>, default 0.01).</summary>
    LeakyReLU,
    /// <summary>
    /// Gaussian error linear unit, tanh approximation: 0.5·x·(1 + tanh(√(2/π)·(x + 0.044715·x³))). This is PyTorch's
    /// <c>nn.GELU(approximate="tanh")</c>, not its default <c>nn.GELU()</c>, which is <see cref="GELUExact"/>; the two
    /// differ by up to 4.7e-4. Cheaper than <see cref="GELUExact"/> on the CPU.
    /// </summary>
    GELU,
    /// <summary>x·σ(x), also called swish.</summary>
    SiLU,
    /// <summary>1 / (1 + e^−x).</summary>
    Sigmoid,
    /// <summary>Hyperbolic tangent.</summary>
    Tanh,
    // Kept last: compiled code holds these members as numbers, so their values never change.
    /// <summary>
    /// Gaussian error linear unit, exact form: x·Φ(x) = 0.5·x·(1 + erf(x/√2)), Φ the standard normal distribution
    /// function. This is PyTorch's default <c>nn.GELU()</c> (<c>approximate="none"</c>, <c>F.gelu</c>); use it for
    /// weights trained with that module. <see cref="GELU"/> is the tanh approximation.
    /// </summary>
    GELUExact,
}

/// <summary>The training objective of a model; it also fixes what the targets of a dataset mean.</summary>
public enum Loss
{
    /// <summary>
    /// Softmax over the outputs fused with cross-entropy; targets are class indices 0…C−1. On a
    /// <c>[sequence, classes]</c> output it is applied at every position (next-token cross-entropy), with one
    /// target per position, averaged over all positions.
    /// </summary>
    SoftmaxCrossEntropy = 0,
    /// <summary>Mean squared error; targets have the model's output width.</summary>
    MeanSquaredError,
    /// <summary>Sigmoid fused with binary cross-entropy on logits; targets are 0 or 1 per output
    /// (<see cref="ModelAttribute.PosWeight"/> weights the positive term, as PyTorch's <c>pos_weight</c>).</summary>
    BinaryCrossEntropy,
    /// <summary>Mean absolute error (L1); targets have the model's output width.</summary>
    MeanAbsoluteError,
    /// <summary>Huber loss: quadratic within <see cref="ModelAttribute.HuberDelta"/> of the target, linear beyond (PyTorch's <c>HuberLoss</c>).</summary>
    Huber,
    /// <summary>
    /// Contrastive loss over pairs (Hadsell, Chopra &amp; LeCun): the <c>[Forward]</c> method returns two embeddings
    /// of equal shape, e.g. the two towers' outputs; the target is 1 (similar pair) or 0 (dissimilar) per sample.
    /// Similar pairs cost ½d², dissimilar ones ½·max(0, <see cref="ModelAttribute.Margin"/> − d)², d the Euclidean distance.
    /// </summary>
    Contrastive,
}

/// <summary>
/// Declares a neural network on a <c>partial</c> class. The source generator emits its parameters,
/// fused forward and training code, <c>Summary()</c>, and the training API inherited from <see cref="Model"/>.
/// </summary>
/// <example><code>
/// [Model(Input = new[] { 64 }, Loss = Loss.SoftmaxCrossEntropy)]
/// public partial class DigitsMlp
/// {
///     [Dense(128, Activation.ReLU)] private partial Tensor Hidden(Tensor x);
///     [Dense(10)]                   private partial Tensor Logits(Tensor x);
/// }
/// </code></example>
[AttributeUsage(AttributeTargets.Class, Inherited = false, AllowMultiple = false)]
public sealed class ModelAttribute : Attribute
{
    /// <summary>Per-sample input shape, without the batch dimension (e.g. <c>new[] { 64 }</c>).</summary>
    public int[] Input { get; set; } = Array.Empty<int>();

    /// <summary>The loss minimised by training.</summary>
    public Loss Loss { get; set; } = Loss.SoftmaxCrossEntropy;

    /// <summary>Weight of the positive term of <see cref="Loss.BinaryCrossEntropy"/> (1 = unweighted).</summary>
    public float PosWeight { get; set; } = 1f;

    /// <summary>Where <see cref="Loss.Huber"/> turns from quadratic to linear (default 1, as PyTorch).</summary>
    public float HuberDelta { get; set; } = 1f;

    /// <summary>Distance beyond which dissimilar pairs cost nothing in <see cref="Loss.Contrastive"/> (default 1).</summary>
    public float Margin { get; set; } = 1f;
}

/// <summary>
/// A fully connected layer, <c>y = activation(x·W + b)</c>, on a <c>partial</c> method taking and
/// returning <see cref="Tensor"/>. The input width is inferred; state it with <see cref="In"/> to have it checked.
/// </summary>
[AttributeUsage(AttributeTargets.Method, Inherited = false, AllowMultiple = false)]
public sealed class DenseAttribute : Attribute
{
    /// <summary>Creates a dense layer with <paramref name="units"/> outputs.</summary>
    /// <param name="units">Output width (number of neurons).</param>
    /// <param name="activation">Function applied to the affine output.</param>
    public DenseAttribute(int units, Activation activation = Activation.None)
    {
        Units = units;
        Activation = activation;
    }

    /// <summary>Output width.</summary>
    public int Units { get; }

    /// <summary>Activation applied to the affine output.</summary>
    public Activation Activation { get; }

    /// <summary>Expected input width; 0 (the default) means "infer it". A stated width that differs from the inferred one is a build error.</summary>
    public int In { get; set; }

    /// <summary>Whether the layer has a bias vector (default true).</summary>
    public bool Bias { get; set; } = true;

    /// <summary>Slope for negative inputs of <see cref="Activation.LeakyReLU"/> (default 0.01, as PyTorch).</summary>
    public float NegativeSlope { get; set; } = 0.01f;

    /// <summary>
    /// Whether the layer's parameters train (default true). False starts every new model with the layer frozen
    /// (<see cref="Model.Freeze"/>): its parameters keep their values, e.g. pretrained ones copied in for fine-tuning;
    /// <see cref="Model.Unfreeze"/> lets them train again.
    /// </summary>
    public bool Trainable { get; set; } = true;
}

/// <summary>
/// A 2-D convolution over [channels, height, width] samples, <c>y = activation(conv(x, W) + b)</c>,
/// on a <c>partial</c> method taking and returning <see cref="Tensor"/>. Output size per spatial
/// dimension: ⌊(H + 2·padding − dilation·(kernel − 1) − 1) / stride⌋ + 1.
/// </summary>
/// <example><code>
/// [Model(Input = new[] { 1, 28, 28 })]
/// public partial class LeNet
/// {
///     [Conv2d(6, 5, Activation.ReLU, Padding = 2)] private partial Tensor C1(Tensor x);
///     [MaxPool2d(2)]                                private partial Tensor P1(Tensor x);
///     ...
/// }
/// </code></example>
[AttributeUsage(AttributeTargets.Method, Inherited = false, AllowMultiple = false)]
public sealed class Conv2dAttribute : Attribute
{
    /// <summary>Creates a convolution with <paramref name="outChannels"/> filters of <paramref name="kernelSize"/>×<paramref name="kernelSize"/>.</summary>
    public Conv2dAttribute(int outChannels, int kernelSize, Activation activation = Activation.None)
    {
        OutChannels = outChannels;
        KernelSize = kernelSize;
        Activation = activation;
    }

    /// <summary>Number of output channels (filters).</summary>
    public int OutChannels { get; }

    /// <summary>Height and width of each filter.</summary>
    public int KernelSize { get; }

    /// <summary>Activation applied to the convolution's output.</summary>
    public Activation Activation { get; }

    /// <summary>Step between filter positions (default 1).</summary>
    public int Stride { get; set; } = 1;

    /// <summary>Zeros added on every side of height and width (default 0).</summary>
    public int Padding { get; set; }

    /// <summary>'Same' padding: the output keeps the input's height and width (stride 1 only; an odd effective kernel).</summary>
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

/// <summary>Max pooling over [channels, height, width] samples with a square window.</summary>
[AttributeUsage(AttributeTargets.Method, Inherited = false, AllowMultiple = false)]
public sealed class MaxPool2dAttribute : Attribute
{
    /// <summary>Creates max pooling with a <paramref name="kernelSize"/>×<paramref name="kernelSize"/> window.</summary>
    public MaxPool2dAttribute(int kernelSize) => KernelSize = kernelSize;

    /// <summary>Height and width of the window.</summary>
    public int KernelSize { get; }

    /// <summary>Step between windows; 0 (the default) means the kernel size.</summary>
    public int Stride { get; set; }

    /// <summary>Padding on every side (at most half the kernel); padded cells never win the max.</summary>
    public int Padding { get; set; }
}

/// <summary>Average pooling over [channels, height, width] samples with a square window.</summary>
[AttributeUsage(AttributeTargets.Method, Inherited = false, AllowMultiple = false)]
public sealed class AvgPool2dAttribute : Attribute
{
    /// <summary>Creates average pooling with a <paramref name="kernelSize"/>×<paramref name="kernelSize"/> window.</summary>
    public AvgPool2dAttribute(int kernelSize) => KernelSize = kernelSize;

    /// <summary>Height and width of the window.</summary>
    public int KernelSize { get; }

    /// <summary>Step between windows; 0 (the default) means the kernel size.</summary>
    public int Stride { get; set; }

    /// <summary>Padding on every side (at most half the kernel); padded zeros count in the average.</summary>
    public int Padding { get; set; }
}

/// <summary>Global average pooling: [channels, height, width] → [channels].</summary>
[AttributeUsage(AttributeTargets.Method, Inherited = false, AllowMultiple = false)]
public sealed class GlobalAvgPoolAttribute : Attribute
{
}

/// <summary>
/// Layer normalisation over the last dimension of each sample: every row of that dimension is
/// normalised to zero mean and unit variance, then scaled and shifted by learned γ (starts at 1) and
/// β (starts at 0), as PyTorch's <c>LayerNorm(last_dim)</c>.
/// </summary>
[AttributeUsage(AttributeTargets.Method, Inherited = false, AllowMultiple = false)]
public sealed class LayerNormAttribute : Attribute
{
    /// <summary>Expected features (the last dimension of each sample); 0 (the default) means "infer them". A stated count that differs from the inferred one is a build error (MG0036).</summary>
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
/// Batch normalisation per channel (the first dimension of each sample; the rest are spatial): in
/// training, normalised with the batch's mean and variance, which also update running statistics
/// (kept in <see cref="Model.State"/>); at inference, normalised with the running statistics. Learned
/// γ (starts at 1) and β (starts at 0), as PyTorch's <c>BatchNorm1d</c>/<c>BatchNorm2d</c>.
/// </summary>
[AttributeUsage(AttributeTargets.Method, Inherited = false, AllowMultiple = false)]
public sealed class BatchNormAttribute : Attribute
{
    /// <summary>Expected channels (the first dimension of each sample); 0 (the default) means "infer them". A stated count that differs from the inferred one is a build error (MG0036).</summary>
    public int In { get; set; }

    /// <summary>Weight of the newest batch in the running statistics (default 0.1, as PyTorch).</summary>
    public float Momentum { get; set; } = 0.1f;

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
/// Dropout during training: each element is zeroed with probability <see cref="Rate"/> and the rest
/// are scaled by 1/(1 − rate); at inference it passes values through. Masks come from the seed given
/// to <see cref="Model.Fit"/>, so training stays reproducible.
/// </summary>
[AttributeUsage(AttributeTargets.Method, Inherited = false, AllowMultiple = false)]
public sealed class DropoutAttribute : Attribute
{
    /// <summary>Creates dropout with drop probability <paramref name="rate"/> in [0, 1).</summary>
    public DropoutAttribute(float rate) => Rate = rate;

    /// <summary>Probability of zeroing an element during training.</summary>
    public float Rate { get; }
}

/// <summary>
/// Flattens each sample to one dimension, e.g. [1, 8, 8] → [64], so a <see cref="DenseAttribute"/>
/// layer can follow a multi-dimensional input. A view in the fused code: it copies nothing.
/// </summary>
/// <example><code>
/// [Model(Input = new[] { 1, 8, 8 })]
/// public partial class Digits
/// {
///     [Flatten]   private partial Tensor Flat(Tensor x);
///     [Dense(10)] private partial Tensor Logits(Tensor x);
/// }
/// </code></example>
[AttributeUsage(AttributeTargets.Method, Inherited = false, AllowMultiple = false)]
public sealed class FlattenAttribute : Attribute
{
}

/// <summary>
/// Marks the method whose body wires the layers into a graph, e.g. <c>Norm(x + Down(Up(x)))</c>.
/// Without it, the layers run in declaration order. Supported: calls of layer methods, <c>+</c> and <c>*</c> of
/// equal shapes, <c>Tensor.Concat(a, b, …)</c> (optionally with a leading axis), locals, and a final <c>return</c>.
/// Several <see cref="Tensor"/> parameters are several inputs (each declared with <see cref="InputAttribute"/>);
/// a returned tuple is several outputs (each with a <see cref="HeadAttribute"/>, or a pair for <see cref="Loss.Contrastive"/>).
/// </summary>
[AttributeUsage(AttributeTargets.Method, Inherited = false, AllowMultiple = false)]
public sealed class ForwardAttribute : Attribute
{
}

/// <summary>
/// A token embedding: each id of a <c>[sequence]</c> sample (float values holding integers
/// 0 … vocabulary − 1, e.g. the model input) becomes a learned row of <see cref="Dimension"/> values,
/// so the layer turns <c>[sequence]</c> into <c>[sequence, dimension]</c>. The table starts N(0, 1), as PyTorch's
/// <c>nn.Embedding</c>.
/// </summary>
/// <example><code>
/// [Model(Input = new[] { 64 })]   // 64 token ids per sample
/// public partial class Tagger
/// {
///     [Embedding(96, 128)] private partial Tensor Tokens(Tensor ids);   // [64] → [64, 128]
///     [Dense(10)]          private partial Tensor Tags(Tensor x);       // [64, 128] → [64, 10]
/// }
/// </code></example>
[AttributeUsage(AttributeTargets.Method, Inherited = false, AllowMultiple = false)]
public sealed class EmbeddingAttribute : Attribute
{
    /// <summary>Creates an embedding of <paramref name="vocabulary"/> ids into <paramref name="dimension"/> values each.</summary>
    /// <param name="vocabulary">Number of distinct ids (rows of the table).</param>
    /// <param name="dimension">Values per id (columns of the table).</param>
    public EmbeddingAttribute(int vocabulary, int dimension)
    {
        Vocabulary = vocabulary;
        Dimension = dimension;
    }

    /// <summary>Number of distinct ids; ids must lie in 0 … vocabulary − 1.</summary>
    public int Vocabulary { get; }

    /// <summary>Values per id.</summary>
    public int Dimension { get; }

    /// <summary>
    /// An id whose row starts at zero and never gets a gradient (PyTorch's <c>padding_idx</c>): padding
    /// positions then contribute nothing the model learns from. −1 (the default) means none.
    /// </summary>
    public int PaddingIndex { get; set; } = -1;

    /// <summary>
    /// Sequences have variable length (Keras' <c>mask_zero</c>): each sample is right-padded with
    /// <see cref="PaddingIndex"/> up to the input length, and its length is one past its last non-padding id.
    /// The layers after this one then act as if each sample ran alone at its own length: attention
    /// ignores padded keys, LSTM and GRU stop at the last real step (the reverse direction starts there),
    /// and softmax cross-entropy averages over real positions only. Needs <see cref="PaddingIndex"/>
    /// and the model's one input; layers that need a fixed length (Flatten, Reshape, Conv1d, GroupNorm,
    /// BatchNorm, pools) are build errors after it (MG0208). Runs on the CPU.
    /// </summary>
    /// <example><code>
    /// [Model(Input = new[] { 80 })]   // up to 80 ids per review, padded with id 0
    /// public partial class Sentiment
    /// {
    ///     [Embedding(5000, 32, PaddingIndex = 0, MaskPadding = true)] private partial Tensor Tokens(Tensor ids);
    ///     [LSTM(64)]  private partial Tensor Encoder(Tensor x);   // [seq≤80, 32] → [64], the state at each review's last word
    ///     [Dense(2)]  private partial Tensor Logits(Tensor x);
    /// }
    /// </code></example>
    public bool MaskPadding { get; set; }

    /// <summary>
    /// Whether the layer's parameters train (default true). False starts every new model with the layer frozen
    /// (<see cref="Model.Freeze"/>): its parameters keep their values, e.g. pretrained ones copied in for fine-tuning;
    /// <see cref="Model.Unfreeze"/> lets them train again.
    /// </summary>
    public bool Trainable { get; set; } = true;
}

/// <summary>
/// Learned positional embedding: adds a trained row per position to a <c>[sequence, features]</c>
/// value (the shape is kept). The table has <see cref="MaxLength"/> rows of the input's width; a
/// sequence uses its first rows. It starts at zero.
/// </summary>
[AttributeUsage(AttributeTargets.Method, Inherited = false, AllowMultiple = false)]
public sealed class PositionalEmbeddingAttribute : Attribute
{
    /// <summary>Creates a position table for sequences of up to <paramref name="maxLength"/> positions.</summary>
    public PositionalEmbeddingAttribute(int maxLength) => MaxLength = maxLength;

    /// <summary>Rows of the table: the longest sequence the layer takes.</summary>
    public int MaxLength { get; }

    /// <summary>
    /// Whether the layer's parameters train (default true). False starts every new model with the layer frozen
    /// (<see cref="Model.Freeze"/>): its parameters keep their values, e.g. pretrained ones copied in for fine-tuning;
    /// <see cref="Model.Unfreeze"/> lets them train again.
    /// </summary>
    public bool Trainable { get; set; } = true;
}

/// <summary>
/// Multi-head self-attention over a <c>[sequence, features]</c> value (the shape is kept), as PyTorch's
/// <c>nn.MultiheadAttention</c> with query = key = value: projections <c>[Q | K | V] = x·Wqkv + bqkv</c>,
/// per head <c>softmax(Q·Kᵀ/√(features/heads))·V</c>, heads concatenated, then <c>·Wo + bo</c>.
/// The width must be divisible by <see cref="Heads"/>.
/// </summary>
/// <example><code>
/// [LayerNorm]                                private partial Tensor Norm(Tensor x);
/// [MultiHeadAttention(4, Causal = true)]     private partial Tensor Attention(Tensor x);
/// [Forward] private Tensor Forward(Tensor x) => x + Attention(Norm(x));   // a pre-LayerNorm residual block
/// </code></example>
[AttributeUsage(AttributeTargets.Method, Inherited = false, AllowMultiple = false)]
public sealed class MultiHeadAttentionAttribute : Attribute
{
    /// <summary>Creates self-attention with <paramref name="heads"/> heads.</summary>
    public MultiHeadAttentionAttribute(int heads) => Heads = heads;

    /// <summary>Number of heads; each attends over features / heads columns.</summary>
    public int Heads { get; }

    /// <summary>Causal mask: position i attends to positions 0 … i only (for next-token prediction).</summary>
    public bool Causal { get; set; }

    /// <summary>Whether the input and output projections have biases (default true, as PyTorch).</summary>
    public bool Bias { get; set; } = true;

    /// <summary>
    /// Whether the layer's parameters train (default true). False starts every new model with the layer frozen
    /// (<see cref="Model.Freeze"/>): its parameters keep their values, e.g. pretrained ones copied in for fine-tuning;
    /// <see cref="Model.Unfreeze"/> lets them train again.
    /// </summary>
    public bool Trainable { get; set; } = true;
}
