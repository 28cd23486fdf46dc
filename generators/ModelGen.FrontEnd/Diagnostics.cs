using Microsoft.CodeAnalysis;

namespace ModelGen.FrontEnd;

/// <summary>
/// The declaration and shape rules (MG0001–MG0018, MG01xx–MG04xx): the parser and the shape engine find them, the
/// analyzers report them; the generator never reports. The leakage (MG0019–MG0028) and data-fit (MG06xx) rules of the
/// analyzers are further parts of this class in analyzers/ModelGen.Analyzers.
/// </summary>
internal static partial class Diagnostics
{
    public const string DeclarationCategory = "ModelGen.Declaration";
    public const string ShapesCategory = "ModelGen.Shapes";
    public const string CudaCategory = "ModelGen.Cuda";

    /// <summary>
    /// Where every rule's help page is read online: this address followed by the rule's ID and <c>.md</c>. The pages are
    /// docs/diagnostics in the repository and in the package (docs/diagnostics/MGxxxx.md). The address is the repository's
    /// planned public home, not yet published: change it here, the one place it is written, when the project has one.
    /// </summary>
    public const string HelpLinkBase = "https://github.com/modelgen/modelgen/blob/main/docs/diagnostics/";

    /// <summary>The help page address of rule <paramref name="id"/>.</summary>
    public static string HelpLink(string id) => HelpLinkBase + id + ".md";

    /// <summary>
    /// A rule with ModelGen's defaults: enabled, its help page's address, and that page's explanation ("What it means") as
    /// its description, so the IDE shows the whole explanation even where the link cannot be followed.
    /// </summary>
    internal static DiagnosticDescriptor Rule(string id, string title, string message, string category, DiagnosticSeverity severity) =>
        new(id, title, message, category, severity, isEnabledByDefault: true,
            description: HelpPageExplanation(id), helpLinkUri: HelpLink(id));

    public static readonly DiagnosticDescriptor ModelNotPartial = Rule("MG0001",
        "Model class must be partial",
        "'{0}' must be declared 'partial' so ModelGen can generate its code{1}",
        DeclarationCategory, DiagnosticSeverity.Error);

    public static readonly DiagnosticDescriptor InvalidLayerMethod = Rule("MG0002",
        "Layer method has the wrong form",
        "Layer method '{0}' {1}; declare it as 'private partial Tensor {0}(Tensor x);'",
        DeclarationCategory, DiagnosticSeverity.Error);

    public static readonly DiagnosticDescriptor InvalidInputShape = Rule("MG0003",
        "Model input shape is invalid",
        "Model '{0}' has input shape {1}: {2}",
        ShapesCategory, DiagnosticSeverity.Error);

    public static readonly DiagnosticDescriptor InvalidLayerArgument = Rule("MG0004",
        "Attribute argument is invalid",
        "{0}: {1}",
        DeclarationCategory, DiagnosticSeverity.Error);

    public static readonly DiagnosticDescriptor UnsupportedForwardConstruct = Rule("MG0005",
        "Unsupported construct in [Forward]",
        "[Forward] of '{0}' cannot use {1}; it supports calls of layer methods, arithmetic of tensors and float constants, the Tensor functions, locals and one final 'return'",
        DeclarationCategory, DiagnosticSeverity.Error);

    public static readonly DiagnosticDescriptor NoLayers = Rule("MG0006",
        "Model declares no layers",
        "Model '{0}' declares no layer methods; add one, e.g. '[Dense(10)] private partial Tensor Output(Tensor x);'",
        DeclarationCategory, DiagnosticSeverity.Error);

    public static readonly DiagnosticDescriptor DenseInputMismatch = Rule("MG0007",
        "Dense input width differs from the declared one",
        "Dense '{0}' declares In = {1}, but its input is {2} wide ({3})",
        ShapesCategory, DiagnosticSeverity.Error);

    public static readonly DiagnosticDescriptor ElementwiseShapeMismatch = Rule("MG0008",
        "Element-wise operands have different shapes",
        "'{0}' needs operands of equal shape, but {1} is {2} and {3} is {4} (ModelGen never broadcasts implicitly)",
        ShapesCategory, DiagnosticSeverity.Error);

    public static readonly DiagnosticDescriptor LossOutputMismatch = Rule("MG0009",
        "Loss does not fit the model output",
        "Loss {0} on output {1} of '{2}': {3}",
        ShapesCategory, DiagnosticSeverity.Warning);

    public static readonly DiagnosticDescriptor BaseClassConflict = Rule("MG0010",
        "Model class has another base class",
        "'{0}' derives from '{1}', but a model derives from ModelGen.Model; remove the base class",
        DeclarationCategory, DiagnosticSeverity.Error);

    public static readonly DiagnosticDescriptor GenericModel = Rule("MG0011",
        "Generic models are not supported",
        "'{0}' is generic or nested in a generic type; a model's sizes must be fixed at compile time",
        DeclarationCategory, DiagnosticSeverity.Error);

    public static readonly DiagnosticDescriptor InvalidForwardMethod = Rule("MG0012",
        "[Forward] method has the wrong form",
        "[Forward] method '{0}' {1}",
        DeclarationCategory, DiagnosticSeverity.Error);

    public static readonly DiagnosticDescriptor LayerNotUsed = Rule("MG0013",
        "Layer is not used by [Forward]",
        "Layer '{0}' is never reached from the value [Forward] returns; its {1} never trained",
        DeclarationCategory, DiagnosticSeverity.Warning);

    public static readonly DiagnosticDescriptor DenseNeedsFlatInput = Rule("MG0014",
        "Dense needs a flat input",
        "Dense '{0}' gets an input of shape {1} (rank {2}); Dense takes [features] or [sequence, features] per sample: put a [Flatten] layer before it (→ [{3}])",
        ShapesCategory, DiagnosticSeverity.Error);

    public static readonly DiagnosticDescriptor SharedLayerWidthMismatch = Rule("MG0015",
        "Shared layer is called on different widths",
        "Layer '{0}' is called on inputs {1} and {2} wide; a layer called more than once shares its weights and needs one input width",
        ShapesCategory, DiagnosticSeverity.Error);

    public static readonly DiagnosticDescriptor UnsafeBlocksDisabled = Rule("MG0016",
        "Generated model code needs unsafe blocks",
        "The code generated for '{0}' works on pinned buffers through pointers; set <AllowUnsafeBlocks>true</AllowUnsafeBlocks> in the project (the ModelGen package sets it unless the project turns it off)",
        DeclarationCategory, DiagnosticSeverity.Error);

    public static readonly DiagnosticDescriptor ReservedLayerName = Rule("MG0017",
        "Layer name clashes with a generated member",
        "Layer method '{0}' {1}; rename it",
        DeclarationCategory, DiagnosticSeverity.Error);

    public static readonly DiagnosticDescriptor ModelTooLarge = Rule("MG0018",
        "Model is too large",
        "'{0}' needs {1} parameters, but one model holds at most 2,147,483,647 (a single float32 buffer)",
        ShapesCategory, DiagnosticSeverity.Error);

    public static readonly DiagnosticDescriptor NormInputMismatch = Rule("MG0036",
        "Normalization input size differs from the declared one",
        "{1} '{0}' declares In = {2}, but its input has {3} {4} ({5})",
        ShapesCategory, DiagnosticSeverity.Error);

    // MG01xx: convolution and pooling.

    public static readonly DiagnosticDescriptor SpatialNeedsImage = Rule("MG0101",
        "Convolution or pooling needs an image-shaped input",
        "{0} '{1}' needs [channels, height, width] per sample, but gets {2}",
        ShapesCategory, DiagnosticSeverity.Error);

    public static readonly DiagnosticDescriptor WindowOutputEmpty = Rule("MG0102",
        "Convolution or pooling output would be empty",
        "{0} '{1}': {2}; the output would be empty",
        ShapesCategory, DiagnosticSeverity.Error);

    public static readonly DiagnosticDescriptor StrideDropsRows = Rule("MG0103",
        "Windows never read the last rows or columns",
        "{0} '{1}' never reads the last {2} of its input: {3}; pad the input, or choose a kernel and stride that fit it",
        ShapesCategory, DiagnosticSeverity.Warning);

    public static readonly DiagnosticDescriptor SamePaddingInvalid = Rule("MG0104",
        "'Same' padding is not possible here",
        "Conv2d '{0}': 'same' padding {1}",
        ShapesCategory, DiagnosticSeverity.Error);

    public static readonly DiagnosticDescriptor ChannelGroups = Rule("MG0105",
        "Channels are not divisible by the groups",
        "Conv2d '{0}': input channels {1} and output channels {2} must both be divisible by Groups = {3}, but {4}",
        ShapesCategory, DiagnosticSeverity.Error);

    public static readonly DiagnosticDescriptor PoolPaddingTooLarge = Rule("MG0106",
        "Pooling padding is more than half the window",
        "{0} '{1}': Padding = {2} is more than half the kernel size {3}; a window could then hold only padding",
        ShapesCategory, DiagnosticSeverity.Error);

    public static readonly DiagnosticDescriptor ConvInChannelsMismatch = Rule("MG0107",
        "Conv2d input channels differ from the declared ones",
        "Conv2d '{0}' declares In = {1}, but its input has {2} channels ({3})",
        ShapesCategory, DiagnosticSeverity.Error);

    // MG03xx: sequence and 1-D layers (LSTM, GRU, Conv1d, GroupNorm, Reshape).

    public static readonly DiagnosticDescriptor NeedsTwoDimensionalSample = Rule("MG0301",
        "Recurrent or 1-D layer needs a two-dimensional sample",
        "{0} '{1}' needs {2} per sample, but gets {3}",
        ShapesCategory, DiagnosticSeverity.Error);

    public static readonly DiagnosticDescriptor Conv1dOutputEmpty = Rule("MG0302",
        "Conv1d output would be empty",
        "Conv1d '{0}': {1}; the output would be empty",
        ShapesCategory, DiagnosticSeverity.Error);

    public static readonly DiagnosticDescriptor Conv1dStrideDropsPositions = Rule("MG0303",
        "Conv1d windows never read the last positions",
        "Conv1d '{0}' never reads the last {1} of its input: {2}; pad the input, or choose a kernel and stride that fit it",
        ShapesCategory, DiagnosticSeverity.Warning);

    public static readonly DiagnosticDescriptor GroupsDoNotDivideChannels = Rule("MG0304",
        "Groups do not divide the channels",
        "{0} '{1}': {2}",
        ShapesCategory, DiagnosticSeverity.Error);

    public static readonly DiagnosticDescriptor ReshapeElementCount = Rule("MG0305",
        "Reshape changes the number of elements",
        "Reshape '{0}': {1}, but its input {2}",
        ShapesCategory, DiagnosticSeverity.Error);

    public static readonly DiagnosticDescriptor DeclaredInputMismatch = Rule("MG0306",
        "Recurrent or Conv1d input size differs from the declared one",
        "{1} '{0}' declares In = {2}, but its input has {3} {4} ({5})",
        ShapesCategory, DiagnosticSeverity.Error);

    public static readonly DiagnosticDescriptor Conv1dSamePaddingStride = Rule("MG0307",
        "Conv1d 'same' padding needs stride 1",
        "Conv1d '{0}': 'same' padding keeps the length only with Stride = 1, but Stride = {1} would give ⌈{3}/{1}⌉ = {2} positions; set Padding instead",
        ShapesCategory, DiagnosticSeverity.Error);

    // MG02xx: sequence layers (embeddings, attention).

    public static readonly DiagnosticDescriptor AttentionHeadsNotDivisor = Rule("MG0201",
        "Attention width is not divisible by the heads",
        "MultiHeadAttention '{0}': the width {1} is not divisible by {2} heads ({1} % {2} = {3}); each head takes width / heads columns, so use a divisor of {1}, e.g. {4}",
        ShapesCategory, DiagnosticSeverity.Error);

    public static readonly DiagnosticDescriptor PaddingIndexOutOfRange = Rule("MG0202",
        "Embedding padding index is outside the vocabulary",
        "Embedding '{0}': PaddingIndex = {1} is not an id of the vocabulary [0, {2}); use an id 0…{3}, or -1 for no padding",
        DeclarationCategory, DiagnosticSeverity.Error);

    public static readonly DiagnosticDescriptor EmbeddingNeedsIds = Rule("MG0203",
        "Embedding needs a sequence of ids",
        "Embedding '{0}' looks up integer ids, one per position, so it takes the model input of shape [sequence]; but {1}",
        ShapesCategory, DiagnosticSeverity.Error);

    public static readonly DiagnosticDescriptor SequenceLayerNeedsSequence = Rule("MG0204",
        "Sequence layer needs a [sequence, features] input",
        "{0} '{1}' needs [sequence, features] per sample, but gets {2}{3}",
        ShapesCategory, DiagnosticSeverity.Error);

    public static readonly DiagnosticDescriptor PositionsTooShort = Rule("MG0205",
        "Positional embedding is shorter than the sequence",
        "PositionalEmbedding '{0}': maxLength = {1}, but its input has {2} positions ({3}); the table needs a row per position, so maxLength must be at least {2}",
        ShapesCategory, DiagnosticSeverity.Error);

    public static readonly DiagnosticDescriptor MaskNeedsPaddingIndex = Rule("MG0206",
        "MaskPadding needs a padding id",
        "Embedding '{0}': MaskPadding = true masks the positions after a sample's last non-padding id, so it needs PaddingIndex; set PaddingIndex to the id your sequences are padded with",
        DeclarationCategory, DiagnosticSeverity.Error);

    public static readonly DiagnosticDescriptor MaskNeedsModelInput = Rule("MG0207",
        "One masking embedding per model",
        "Embedding '{0}' with MaskPadding = true: {1}; each sample's length is read from the ids of one input by one masking Embedding, so declare MaskPadding on one Embedding only",
        ShapesCategory, DiagnosticSeverity.Error);

    public static readonly DiagnosticDescriptor NeedsFixedLength = Rule("MG0208",
        "Layer needs a fixed sequence length",
        "{0} gets {1}, whose length varies per sample (MaskPadding): {2}",
        ShapesCategory, DiagnosticSeverity.Error);

    public static readonly DiagnosticDescriptor MaskedOutputLoss = Rule("MG0209",
        "Loss cannot skip padded positions",
        "{0}: the output {1} has a variable length (MaskPadding), and only Loss.SoftmaxCrossEntropy of a single output skips padded positions; {2}",
        ShapesCategory, DiagnosticSeverity.Error);

    public static readonly DiagnosticDescriptor CrossAttentionWidths = Rule("MG0210",
        "Cross-attention queries and memory differ in width",
        "CrossAttention '{0}': the queries {1} are {2}, {3} wide, but the memory {4} is {5}, {6} wide ({3} ≠ {6}); one d × 3d projection serves both, so the widths must be equal; project the memory to {3} first (e.g. [Dense({3})])",
        ShapesCategory, DiagnosticSeverity.Error);

    public static readonly DiagnosticDescriptor CrossAttentionHeadsNotDivisor = Rule("MG0211",
        "Cross-attention width is not divisible by the heads",
        "CrossAttention '{0}': the width {1} is not divisible by {2} heads ({1} % {2} = {3}); each head takes width / heads columns, so use a divisor of {1}, e.g. {4}",
        ShapesCategory, DiagnosticSeverity.Error);

    public static readonly DiagnosticDescriptor MaskedInputReachesOutput = Rule("MG0213",
        "Padding mask of one of several inputs reaches the output",
        "Embedding '{0}' with MaskPadding = true masks the input '{1}', one of several [Input]s, but its variable length reaches the output: {2} is {3}; with several inputs the padded positions may end in a CrossAttention's memory (its output has the queries' length) or an LSTM or GRU's last state, because labels and metrics are judged on the output's own positions",
        ShapesCategory, DiagnosticSeverity.Error);

    public static readonly DiagnosticDescriptor CrossAttentionNeedsForward = Rule("MG0212",
        "Cross-attention needs a [Forward] method",
        "CrossAttention '{0}' reads two sequences, the queries and the memory, but a model without [Forward] chains its layers with one input each; call it in a [Forward] method as {0}(query, memory)",
        DeclarationCategory, DiagnosticSeverity.Error);

    // MG04xx: graphs of several inputs and outputs, concat, heads and contrastive pairs.

    public static readonly DiagnosticDescriptor ConcatShapeMismatch = Rule("MG0401",
        "Concatenated tensors disagree off the concat axis",
        "Tensor.Concat along axis {0}: {1}",
        ShapesCategory, DiagnosticSeverity.Error);

    public static readonly DiagnosticDescriptor ConcatAxisOutOfRange = Rule("MG0402",
        "Concat axis is out of range",
        "Tensor.Concat axis {0} does not exist for {1}: per-sample axes are {2}",
        ShapesCategory, DiagnosticSeverity.Error);

    public static readonly DiagnosticDescriptor InputDoesNotMatchForward = Rule("MG0403",
        "[Input] does not match a [Forward] parameter",
        "{0} {1}",
        DeclarationCategory, DiagnosticSeverity.Error);

    public static readonly DiagnosticDescriptor ParameterWithoutInput = Rule("MG0404",
        "[Forward] parameter has no [Input]",
        "[Forward] parameter '{0}' of '{1}' has no declared shape; add [Input(\"{0}\", …)] with its per-sample shape to the model",
        DeclarationCategory, DiagnosticSeverity.Error);

    public static readonly DiagnosticDescriptor InputNotUsed = Rule("MG0405",
        "Input is not used",
        "Input '{0}' is never used by the values [Forward] returns, yet every sample must carry its {1} values; use it, or remove the parameter and its [Input]",
        DeclarationCategory, DiagnosticSeverity.Warning);

    public static readonly DiagnosticDescriptor HeadDoesNotMatchOutput = Rule("MG0406",
        "[Head] does not match an output",
        "{0} {1}",
        DeclarationCategory, DiagnosticSeverity.Error);

    public static readonly DiagnosticDescriptor OutputWithoutLoss = Rule("MG0407",
        "Output has no loss",
        "Output '{0}' of [Forward] '{1}' has no loss; {2}",
        DeclarationCategory, DiagnosticSeverity.Error);

    public static readonly DiagnosticDescriptor ContrastivePairMismatch = Rule("MG0408",
        "Contrastive loss needs a pair of equal embeddings",
        "Loss.Contrastive compares two embeddings of equal shape, but {0}",
        ShapesCategory, DiagnosticSeverity.Error);

    public static readonly DiagnosticDescriptor LossOnModelAndHeads = Rule("MG0409",
        "Loss is declared on [Model] and on [Head]",
        "{0}; declare the losses in one place: [Model] Loss for one output or a contrastive pair, [Head] attributes for several heads",
        DeclarationCategory, DiagnosticSeverity.Error);

    public static readonly DiagnosticDescriptor InvalidLossTerm = Rule("MG0037",
        "Invalid loss term",
        "Loss term {0} {1}",
        DeclarationCategory, DiagnosticSeverity.Error);

    public static readonly DiagnosticDescriptor LossTermNotPerSample = Rule("MG0038",
        "Loss term is not one value per sample",
        "Loss term \"{0}\" needs one value per sample ([1]), but {1} is {2}; reduce each sample with Tensor.Sum(x) or Tensor.Mean(x)",
        ShapesCategory, DiagnosticSeverity.Error);

    public static readonly DiagnosticDescriptor CpuOnlyConstruct = Rule("MG0039",
        "Construct runs on the CPU only",
        "{0} has CPU kernels only for now, so '{1}' trains and predicts on the CPU: Fit with Device.Auto falls back to the CPU (and says why), Fit with Device.Cuda throws NotSupportedException",
        CudaCategory, DiagnosticSeverity.Info);

    // ConvTranspose2d (declared before All: static fields initialise in text order).
    public static readonly DiagnosticDescriptor OutputPaddingTooLarge = Rule("MG0108",
        "Transposed convolution output padding is too large",
        "ConvTranspose2d '{0}': OutputPadding = {1} must be smaller than Stride = {2} or Dilation = {3}",
        ShapesCategory, DiagnosticSeverity.Error);

    public static readonly DiagnosticDescriptor TransposedOutputEmpty = Rule("MG0109",
        "Transposed convolution output would be empty",
        "ConvTranspose2d '{0}': {1}; the output would be empty",
        ShapesCategory, DiagnosticSeverity.Error);

    public static readonly DiagnosticDescriptor TransposedChannelGroups = Rule("MG0110",
        "Transposed convolution channels are not divisible by the groups",
        "ConvTranspose2d '{0}': input channels {1} and output channels {2} must both be divisible by Groups = {3}, but {4}",
        ShapesCategory, DiagnosticSeverity.Error);

    public static readonly DiagnosticDescriptor TransposedInChannelsMismatch = Rule("MG0111",
        "Transposed convolution input channels differ from the declared ones",
        "ConvTranspose2d '{0}' declares In = {1}, but its input has {2} channels ({3})",
        ShapesCategory, DiagnosticSeverity.Error);

    // Composition: [Submodel(typeof(M))].
    public static readonly DiagnosticDescriptor SubmodelNotAModel = Rule("MG0410",
        "[Submodel] names a type that is not a ModelGen model",
        "{0} names '{1}', which is not a ModelGen model: {2}",
        DeclarationCategory, DiagnosticSeverity.Error);

    public static readonly DiagnosticDescriptor SubmodelCycle = Rule("MG0411",
        "Model contains itself",
        "'{0}' would contain itself through its sub-models: {1}",
        DeclarationCategory, DiagnosticSeverity.Error);

    public static readonly DiagnosticDescriptor SubmodelInputMismatch = Rule("MG0412",
        "Sub-model input shape differs from the value it is given",
        "[Submodel] '{0}' runs {1}, whose Input = {2} takes {3} per sample, but it is given {4} of shape {5} ({6}){7}",
        ShapesCategory, DiagnosticSeverity.Error);

    public static readonly DiagnosticDescriptor SubmodelNotSupported = Rule("MG0413",
        "Sub-model uses what composition does not support",
        "{0} {1}",
        DeclarationCategory, DiagnosticSeverity.Error);

    public static readonly DiagnosticDescriptor[] All =
    {
        ModelNotPartial, InvalidLayerMethod, InvalidInputShape, InvalidLayerArgument, UnsupportedForwardConstruct,
        NoLayers, DenseInputMismatch, ElementwiseShapeMismatch, LossOutputMismatch, BaseClassConflict,
        GenericModel, InvalidForwardMethod, LayerNotUsed, DenseNeedsFlatInput, SharedLayerWidthMismatch,
        UnsafeBlocksDisabled, ReservedLayerName, ModelTooLarge, NormInputMismatch,
        SpatialNeedsImage, WindowOutputEmpty, StrideDropsRows, SamePaddingInvalid, ChannelGroups, PoolPaddingTooLarge, ConvInChannelsMismatch,
        NeedsTwoDimensionalSample, Conv1dOutputEmpty, Conv1dStrideDropsPositions, GroupsDoNotDivideChannels, ReshapeElementCount, DeclaredInputMismatch,
        Conv1dSamePaddingStride,
        AttentionHeadsNotDivisor, PaddingIndexOutOfRange, EmbeddingNeedsIds, SequenceLayerNeedsSequence, PositionsTooShort,
        MaskNeedsPaddingIndex, MaskNeedsModelInput, NeedsFixedLength, MaskedOutputLoss,
        CrossAttentionWidths, CrossAttentionHeadsNotDivisor, CrossAttentionNeedsForward, MaskedInputReachesOutput,
        ConcatShapeMismatch, ConcatAxisOutOfRange, InputDoesNotMatchForward, ParameterWithoutInput, InputNotUsed,
        HeadDoesNotMatchOutput, OutputWithoutLoss, ContrastivePairMismatch, LossOnModelAndHeads,
        InvalidLossTerm, LossTermNotPerSample, CpuOnlyConstruct,
        OutputPaddingTooLarge, TransposedOutputEmpty, TransposedChannelGroups, TransposedInChannelsMismatch,
        SubmodelNotAModel, SubmodelCycle, SubmodelInputMismatch, SubmodelNotSupported,
    };
}
