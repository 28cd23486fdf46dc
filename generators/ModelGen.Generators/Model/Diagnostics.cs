using Microsoft.CodeAnalysis;

namespace ModelGen.Generators.Model;

/// <summary>Every ModelGen diagnostic, in one place. Reported by the analyzers; the generator never reports.</summary>
internal static class Diagnostics
{
    public const string DeclarationCategory = "ModelGen.Declaration";
    public const string ShapesCategory = "ModelGen.Shapes";

    private static DiagnosticDescriptor Rule(string id, string title, string message, string category, DiagnosticSeverity severity) =>
        new(id, title, message, category, severity, isEnabledByDefault: true,
            helpLinkUri: "docs/diagnostics/" + id + ".md");

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
        "[Forward] of '{0}' cannot use {1}; it supports calls of layer methods, '+', '*', locals and one final 'return'",
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
        "Dense '{0}' gets an input of shape {1} (rank {2}); Dense takes a flat [features] input: put a [Flatten] layer before it (→ [{3}])",
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
        "Stride skips the last rows or columns",
        "{0} '{1}': {2}, but {3} is not a multiple of the stride {4}, so the last {5} of the padded input never reach the output",
        ShapesCategory, DiagnosticSeverity.Warning);

    public static readonly DiagnosticDescriptor SamePaddingInvalid = Rule("MG0104",
        "'Same' padding is not possible here",
        "Conv2d '{0}': 'same' padding {1}",
        ShapesCategory, DiagnosticSeverity.Error);

    public static readonly DiagnosticDescriptor ChannelGroups = Rule("MG0105",
        "Channels are not divisible by the groups",
        "Conv2d '{0}': input channels {1} and output channels {2} must both be divisible by Groups = {3}",
        ShapesCategory, DiagnosticSeverity.Error);

    public static readonly DiagnosticDescriptor PoolPaddingTooLarge = Rule("MG0106",
        "Pooling padding is more than half the window",
        "{0} '{1}': Padding = {2} is more than half the kernel size {3}; a window could then hold only padding",
        ShapesCategory, DiagnosticSeverity.Error);

    public static readonly DiagnosticDescriptor ConvInChannelsMismatch = Rule("MG0107",
        "Conv2d input channels differ from the declared ones",
        "Conv2d '{0}' declares In = {1}, but its input has {2} channels ({3})",
        ShapesCategory, DiagnosticSeverity.Error);

    public static readonly DiagnosticDescriptor[] All =
    {
        ModelNotPartial, InvalidLayerMethod, InvalidInputShape, InvalidLayerArgument, UnsupportedForwardConstruct,
        NoLayers, DenseInputMismatch, ElementwiseShapeMismatch, LossOutputMismatch, BaseClassConflict,
        GenericModel, InvalidForwardMethod, LayerNotUsed, DenseNeedsFlatInput, SharedLayerWidthMismatch,
        UnsafeBlocksDisabled, ReservedLayerName, ModelTooLarge,
        SpatialNeedsImage, WindowOutputEmpty, StrideDropsRows, SamePaddingInvalid, ChannelGroups, PoolPaddingTooLarge, ConvInChannelsMismatch,
    };
}
