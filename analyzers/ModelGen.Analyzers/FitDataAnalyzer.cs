using System.Collections.Concurrent;
using System.Collections.Immutable;
using System.Globalization;
using System.Linq;
using Microsoft.CodeAnalysis;
using Microsoft.CodeAnalysis.CSharp;
using Microsoft.CodeAnalysis.CSharp.Syntax;
using Microsoft.CodeAnalysis.Diagnostics;
using Microsoft.CodeAnalysis.Operations;
using ModelGen.FrontEnd;

namespace ModelGen.Analyzers;

/// <summary>
/// Checks the data handed to a generated model's <c>Fit</c>, <c>Evaluate</c>, <c>Predict</c> and
/// <c>PredictClasses</c> against the model's declared shapes and loss, where the method body shows the
/// data's sizes (a <c>Dataset.ForClassification</c>/<c>ForRegression</c> call with constant sizes, followed
/// through locals, <c>Slice</c>, <c>MapFeatures</c> and <c>Split</c>). Data whose sizes are only known at run
/// time (read from a file) is left to the run-time checks, which say the same thing. Where the features or labels are
/// constants written in the body (an array initializer, directly or through a local used only by Dataset factories), it
/// also checks token ids against an input embedding's vocabulary and labels against the class range.
/// </summary>
[DiagnosticAnalyzer(LanguageNames.CSharp)]
public sealed class FitDataAnalyzer : DiagnosticAnalyzer
{
    private const int MaxDepth = 16;

    /// <inheritdoc/>
    public override ImmutableArray<DiagnosticDescriptor> SupportedDiagnostics { get; } = ImmutableArray.Create(Diagnostics.DataFit);

    /// <inheritdoc/>
    public override void Initialize(AnalysisContext context)
    {
        context.ConfigureGeneratedCodeAnalysis(GeneratedCodeAnalysisFlags.None);
        context.EnableConcurrentExecution();
        context.RegisterCompilationStartAction(start =>
        {
            var modelAttribute = start.Compilation.GetTypeByMetadataName(ModelParser.ModelAttributeName);
            var modelBase = start.Compilation.GetTypeByMetadataName("ModelGen.Model");
            var dataset = start.Compilation.GetTypeByMetadataName("ModelGen.Dataset");
            if (modelAttribute is null || modelBase is null || dataset is null) return;
            var models = new ConcurrentDictionary<INamedTypeSymbol, ModelFacts?>(SymbolEqualityComparer.Default);
            var symbols = new Symbols(modelAttribute, modelBase, dataset, ModelAnalyses.Of(start.Compilation));
            // A syntax filter first: only calls named like a model method get an operation tree, which keeps
            // the analyzer from paying for every other invocation of the compilation.
            start.RegisterSyntaxNodeAction(node =>
            {
                var invocation = (InvocationExpressionSyntax)node.Node;
                string? name = invocation.Expression switch
                {
                    MemberAccessExpressionSyntax member => member.Name.Identifier.ValueText,
                    IdentifierNameSyntax identifier => identifier.Identifier.ValueText,
                    _ => null,
                };
                if (name is "ForClassification" or "ForSequenceClassification")
                {
                    if (node.SemanticModel.GetOperation(invocation, node.CancellationToken) is IInvocationOperation factory
                        && SymbolEqualityComparer.Default.Equals(factory.TargetMethod.ContainingType, symbols.Dataset))
                        CheckLabels(factory, node.ReportDiagnostic);
                    return;
                }
                if (name is not ("Fit" or "Evaluate" or "Predict" or "PredictClasses")) return;
                if (node.SemanticModel.GetOperation(invocation, node.CancellationToken) is IInvocationOperation call)
                    AnalyzeCall(call, node.ReportDiagnostic, symbols, models, node.CancellationToken);
            }, SyntaxKind.InvocationExpression);
        });
    }

    private sealed record Symbols(INamedTypeSymbol ModelAttribute, INamedTypeSymbol ModelBase, INamedTypeSymbol Dataset, ModelAnalyses Models);

    /// <summary>What the data checks need to know of a model, from the generator's parser and shape engine.</summary>
    /// <remarks><see cref="Embedding"/> is the embedding that reads the model input, whose values are then token ids.</remarks>
    private sealed record ModelFacts(string Name, int InputSize, string InputShape, int OutputSize, LossKind Loss, int? TargetWidth, string? BatchNormLayer,
        EmbeddingLayer? Embedding);

    /// <summary>What the method body shows about a Dataset value; null members are unknown.</summary>
    /// <remarks><see cref="FeatureValues"/> is the features' array initializer when the body writes the values as constants.</remarks>
    private sealed record DataFacts(Location Origin, string Factory, int? Features, string FeaturesText, int? TargetWidth, string TargetText,
        bool Classification, int? MaxLabel, string LabelText, int? Rows, IArrayInitializerOperation? FeatureValues = null)
    {
        public static readonly DataFacts Unknown = new(Location.None, "", null, "", null, "", false, null, "", null);
    }

    private static void AnalyzeCall(IInvocationOperation call, System.Action<Diagnostic> report, Symbols symbols,
        ConcurrentDictionary<INamedTypeSymbol, ModelFacts?> models, System.Threading.CancellationToken cancellationToken)
    {
        var method = call.TargetMethod;
        if (method.Name is not ("Fit" or "Evaluate" or "Predict" or "PredictClasses")) return;
        if (!SymbolEqualityComparer.Default.Equals(method.ContainingType?.OriginalDefinition, symbols.ModelBase)) return;
        if (call.Instance?.Type is not INamedTypeSymbol modelType) return;
        var model = models.GetOrAdd(modelType, t => Describe(t, symbols, cancellationToken));
        if (model is null) return;

        foreach (var argument in call.Arguments)
        {
            if (argument.Parameter is null || !SymbolEqualityComparer.Default.Equals(argument.Parameter.Type, symbols.Dataset)) continue;
            if (argument.ArgumentKind != ArgumentKind.Explicit) continue;
            var data = Resolve(argument.Value, symbols, 0);
            if (data.Origin == Location.None) continue;
            string name = "'" + argument.Value.Syntax.ToString() + "'";
            var at = argument.Value.Syntax.GetLocation();
            var origin = new[] { data.Origin };

            if (data.Features is int features && features != model.InputSize)
            {
                report(Diagnostic.Create(Diagnostics.DataFeatureMismatch, at, origin, model.Name,
                    Int(model.InputSize), model.InputShape, name, Int(features), data.FeaturesText));
                continue;
            }
            if (model.Embedding is { } embedding && data.FeatureValues is { } ids && CheckTokenIds(report, at, model, embedding, name, ids))
                continue;
            // Predict only reads features; the targets matter for the methods that compute a loss.
            if (method.Name is "Predict" or "PredictClasses") continue;
            if (data.TargetWidth is int width && model.TargetWidth is int expected && width != expected)
            {
                string needs = model.Loss == LossKind.SoftmaxCrossEntropy
                    ? (expected == 1 ? "one class index" : Int(expected) + " class indices")
                    : (expected == 1 ? "1 target (its output width)" : Int(expected) + " targets (its output width)");
                report(Diagnostic.Create(Diagnostics.DataTargetMismatch, at, origin, model.Name,
                    model.Loss.ToString(), needs, name, Int(width), data.TargetText));
                continue;
            }
            if (model.Loss == LossKind.SoftmaxCrossEntropy && model.TargetWidth is not null && data.MaxLabel is int maxLabel && maxLabel >= model.OutputSize)
            {
                report(Diagnostic.Create(Diagnostics.DataClassCountMismatch, at, origin, name,
                    Int(maxLabel), data.LabelText, model.Name, Int(model.OutputSize), Int(model.OutputSize - 1)));
                continue;
            }
            if (method.Name == "Fit" && argument.Parameter.Name == "train" && model.BatchNormLayer is { } layer)
                CheckBatchStatistics(report, call, model, layer, data);
        }
    }

    /// <summary>
    /// The first constant id that an input embedding cannot look up (negative, fractional, or at or beyond its vocabulary),
    /// reported on the model call's argument with the id itself as second location. Returns whether one was reported.
    /// </summary>
    private static bool CheckTokenIds(System.Action<Diagnostic> report, Location at, ModelFacts model, EmbeddingLayer embedding, string name,
        IArrayInitializerOperation ids)
    {
        var values = ids.ElementValues;
        for (int i = 0; i < values.Length; i++)
        {
            if (Number(values[i]) is not double id) continue;
            if (id >= 0 && id < embedding.Vocabulary && id == System.Math.Floor(id)) continue;
            var element = values[i].Syntax;
            string where = $"element {Int(i)} of the features, row {Int(i / model.InputSize)}, at line {Int(element.GetLocation().GetLineSpan().StartLinePosition.Line + 1)}";
            report(Diagnostic.Create(Diagnostics.TokenIdOutsideVocabulary, at, new[] { element.GetLocation() }, model.Name, embedding.Method.Name,
                Int(embedding.Vocabulary), Int(embedding.Vocabulary - 1), name, id.ToString("R", CultureInfo.InvariantCulture), where));
            return true;
        }
        return false;
    }

    /// <summary>A constant element's value as a number (ids are written as ints or floats), or null.</summary>
    private static double? Number(IOperation element) => element.ConstantValue is { HasValue: true, Value: { } value } ? value switch
    {
        int i => i,
        float f => f,
        double d => d,
        long l => l,
        _ => null,
    } : null;

    /// <summary>
    /// A constant label that Dataset.ForClassification or ForSequenceClassification refuses at run time: negative, or not
    /// below a constant classCount. Reported on the label itself, whichever model the data goes to.
    /// </summary>
    private static void CheckLabels(IInvocationOperation factory, System.Action<Diagnostic> report)
    {
        IArgumentOperation? Argument(string name) => factory.Arguments.FirstOrDefault(a => a.Parameter?.Name == name);
        if (ConstantArray(Argument("labels")?.Value) is not { } labels) return;
        int? classCount = Argument("classCount")?.Value.ConstantValue is { HasValue: true, Value: int c } && c > 0 ? c : null;
        int perRow = factory.TargetMethod.Name == "ForSequenceClassification"
            ? (Argument("labelsPerRow")?.Value.ConstantValue is { HasValue: true, Value: int p } && p > 0 ? p : 0)
            : 1;
        var values = labels.ElementValues;
        for (int i = 0; i < values.Length; i++)
        {
            if (values[i].ConstantValue is not { HasValue: true, Value: int label }) continue;
            string? why = label < 0
                ? (classCount is int known
                    ? $"classCount: {Int(known)} gives the indices 0…{Int(known - 1)}, never negative"
                    : "class labels are indices 0…classes − 1, never negative; map them to 0, 1, 2, … (e.g. −1/1 to 0/1) first")
                : classCount is int count && label >= count ? $"classCount: {Int(count)} gives the indices 0…{Int(count - 1)}" : null;
            if (why is null) continue;
            string where = perRow == 1 ? $"row {Int(i)}" : perRow > 1 ? $"label {Int(i % perRow)} of row {Int(i / perRow)}" : $"element {Int(i)}";
            report(Diagnostic.Create(Diagnostics.LabelOutsideClassRange, values[i].Syntax.GetLocation(),
                Int(label), $"{where} of the labels in Dataset.{factory.TargetMethod.Name}", why));
            return;
        }
    }

    /// <summary>
    /// The initializer of an array written as constants: an array creation, or a local initialised with one and otherwise
    /// only handed to Dataset factories (anything else might change its elements).
    /// </summary>
    private static IArrayInitializerOperation? ConstantArray(IOperation? value, int depth = 0)
    {
        while (value is IConversionOperation conversion) value = conversion.Operand;
        if (value is IArrayCreationOperation { Initializer: { } initializer }) return initializer;
        if (value is not ILocalReferenceOperation reference || depth > 0) return null;
        var root = value;
        while (root.Parent is not null) root = root.Parent;
        IOperation? initial = null;
        foreach (var node in root.Descendants())
        {
            if (node is IVariableDeclaratorOperation declarator && SymbolEqualityComparer.Default.Equals(declarator.Symbol, reference.Local))
                initial = declarator.GetVariableInitializer()?.Value;
            else if (node is ILocalReferenceOperation use && SymbolEqualityComparer.Default.Equals(use.Local, reference.Local)
                     && use.Parent is not IArgumentOperation { Parent: IInvocationOperation { TargetMethod.ContainingType.Name: "Dataset" } })
                return null;
        }
        return ConstantArray(initial, depth + 1);
    }

    /// <summary>The same arithmetic as Model.Fit's run-time check: which micro-batch would hold a single row.</summary>
    private static void CheckBatchStatistics(System.Action<Diagnostic> report, IInvocationOperation call, ModelFacts model, string layer, DataFacts data)
    {
        var batchArgument = call.Arguments.FirstOrDefault(a => a.Parameter?.Name == "batchSize");
        var stepsArgument = call.Arguments.FirstOrDefault(a => a.Parameter?.Name == "accumulationSteps");
        if (batchArgument?.Value.ConstantValue is not { HasValue: true, Value: int batchSize } || batchSize < 1) return;
        int steps = stepsArgument?.Value.ConstantValue is { HasValue: true, Value: int s } && s >= 1 ? s : 1;
        var at = batchArgument.ArgumentKind == ArgumentKind.Explicit ? batchArgument.Syntax.GetLocation() : call.Syntax.GetLocation();

        string? why = null;
        if (data.Rows is int rows && rows > 0)
        {
            int batch = System.Math.Min(batchSize, rows);
            int group = (int)System.Math.Min((long)batch * steps, rows);
            int lastGroup = rows % group == 0 ? group : rows % group;
            int lastBatch = lastGroup % batch == 0 ? batch : lastGroup % batch;
            if (rows == 1) why = "the training set has 1 row";
            else if (batch == 1) why = "the batch size is 1";
            else if (lastBatch == 1) why = $"the last micro-batch of every epoch has 1 row ({Int(rows)} rows = {Int((rows - 1) / batch)}·{Int(batch)} + 1)";
        }
        else if (batchSize == 1) why = "the batch size is 1";
        if (why is not null)
            report(Diagnostic.Create(Diagnostics.BatchNormSingleRowBatch, at, model.Name, layer, why));
    }

    private static ModelFacts? Describe(INamedTypeSymbol type, Symbols symbols, System.Threading.CancellationToken cancellationToken)
    {
        var attribute = type.GetAttributes().FirstOrDefault(a => SymbolEqualityComparer.Default.Equals(a.AttributeClass, symbols.ModelAttribute));
        if (attribute is null) return null;
        // The declaration checks parse the same model: the parse and the shapes are made once (ModelAnalyses).
        var analysis = symbols.Models.Get(type, attribute, cancellationToken);
        var parsed = analysis.Parsed;
        // A model with declaration or shape errors has those reported first; its data cannot be judged.
        if (parsed.Spec.HasDeclarationErrors || analysis.Plan is not { } plan) return null;
        if (plan.HasErrors || !plan.Nodes[0].IsKnown || !plan.Nodes[parsed.Spec.Graph.Output].IsKnown) return null;

        // Several heads or a contrastive pair pack their targets differently; the run-time check judges those.
        bool plainTargets = parsed.Spec.Heads.Count == 0 && parsed.Spec.Loss != LossKind.Contrastive;
        int? targetWidth = plainTargets ? TargetLayout.TargetWidth(parsed.Spec, plan) : null;
        // Under softmax cross-entropy a label indexes the outputs of one position (the class count).
        int outputSize = TargetLayout.OutputWidth(parsed.Spec, plan) / TargetLayout.LabelsPerSample(parsed.Spec, plan);
        string? batchNorm = parsed.Spec.Layers.FirstOrDefault(l => l.Kind == LayerKind.BatchNorm)?.Name;
        // An embedding applied to the model input itself (not to a named input or a later value) reads every input value as an id.
        var embedding = parsed.Spec.Inputs.Count > 0 ? null : parsed.Spec.Graph.Nodes
            .Where(n => n.Kind == NodeKind.Layer && n.A == 0 && n.Layer >= 0 && n.Layer < parsed.Spec.Layers.Count)
            .Select(n => parsed.Spec.Layers[n.Layer]).OfType<EmbeddingLayer>().FirstOrDefault();
        return new ModelFacts(type.Name, plan.Nodes[0].Size, ShapeInference.Text(plan.Nodes[0].Shape), outputSize, parsed.Spec.Loss, targetWidth, batchNorm,
            embedding is { Vocabulary: > 0 } ? embedding : null);
    }

    /// <summary>Follows a Dataset-valued expression back to the factory call that made it, inside one method body.</summary>
    private static DataFacts Resolve(IOperation? operation, Symbols symbols, int depth)
    {
        if (operation is null || depth > MaxDepth) return DataFacts.Unknown;
        switch (operation)
        {
            case IConversionOperation conversion:
                return Resolve(conversion.Operand, symbols, depth + 1);
            case IParenthesizedOperation parenthesized:
                return Resolve(parenthesized.Operand, symbols, depth + 1);
            case IInvocationOperation call when SymbolEqualityComparer.Default.Equals(call.TargetMethod.ContainingType, symbols.Dataset):
                return call.TargetMethod.Name switch
                {
                    "ForClassification" or "ForSequenceClassification" => FromFactory(call, classification: true),
                    "ForRegression" => FromFactory(call, classification: false),
                    // Same columns, other rows: the widths carry over, the row count does not.
                    "Slice" or "MapFeatures" => Resolve(call.Instance, symbols, depth + 1) with { Rows = null },
                    _ => DataFacts.Unknown,
                };
            case ILocalReferenceOperation local:
                return ResolveLocal(local, symbols, depth);
            default:
                return DataFacts.Unknown;
        }
    }

    /// <summary>A local's value when it is written exactly once in the method body (declaration, assignment or deconstruction of Split).</summary>
    private static DataFacts ResolveLocal(ILocalReferenceOperation reference, Symbols symbols, int depth)
    {
        var root = reference as IOperation;
        while (root.Parent is not null) root = root.Parent;
        IOperation? value = null;
        int writes = 0;
        foreach (var node in root.Descendants())
        {
            switch (node)
            {
                case IVariableDeclaratorOperation declarator when SymbolEqualityComparer.Default.Equals(declarator.Symbol, reference.Local):
                    if (declarator.GetVariableInitializer() is { } initializer) { writes++; value = initializer.Value; }
                    break;
                case ISimpleAssignmentOperation assignment when assignment.Target is ILocalReferenceOperation target
                                                                && SymbolEqualityComparer.Default.Equals(target.Local, reference.Local):
                    writes++;
                    value = assignment.Value;
                    break;
                case IDeconstructionAssignmentOperation deconstruction when Writes(deconstruction.Target, reference.Local):
                    writes++;
                    value = deconstruction.Value is IInvocationOperation { TargetMethod.Name: "Split" } split
                            && SymbolEqualityComparer.Default.Equals(split.TargetMethod.ContainingType, symbols.Dataset)
                        ? split.Instance
                        : null;
                    break;
            }
        }
        if (writes != 1 || value is null) return DataFacts.Unknown;
        var facts = Resolve(value, symbols, depth + 1);
        // Split's parts keep the widths; their row counts depend on where it cuts.
        return value.Parent is IInvocationOperation { TargetMethod.Name: "Split" } ? facts with { Rows = null } : facts;
    }

    private static bool Writes(IOperation target, ILocalSymbol local) => target switch
    {
        IDeclarationExpressionOperation declaration => Writes(declaration.Expression, local),
        ITupleOperation tuple => tuple.Elements.Any(e => Writes(e, local)),
        ILocalReferenceOperation reference => SymbolEqualityComparer.Default.Equals(reference.Local, local),
        _ => false,
    };

    private static DataFacts FromFactory(IInvocationOperation call, bool classification)
    {
        IArgumentOperation? Argument(string name) => call.Arguments.FirstOrDefault(a => a.Parameter?.Name == name);
        static int? Constant(IArgumentOperation? argument) => argument?.Value.ConstantValue is { HasValue: true, Value: int v } ? v : null;
        string Describe(string parameter, int value) =>
            (Argument(parameter)?.ArgumentKind == ArgumentKind.DefaultValue ? $"{parameter} is {Int(value)} by default" : $"{parameter}: {Int(value)}")
            + $" in Dataset.{call.TargetMethod.Name} at line {Int(call.Syntax.GetLocation().GetLineSpan().StartLinePosition.Line + 1)}";

        int? features = Constant(Argument("featureCount"));
        bool perPosition = call.TargetMethod.Name == "ForSequenceClassification";
        int? width = !classification ? Constant(Argument("targetWidth")) : perPosition ? Constant(Argument("labelsPerRow")) : 1;
        int? rows = RowCount(Argument(classification ? "labels" : "targets")?.Value, width);
        if (rows is null && features is int f && f > 0 && ArrayLength(Argument("features")?.Value) is int length && length % f == 0) rows = length / f;

        int? maxLabel = null;
        string labelText = "";
        if (classification)
        {
            if (Constant(Argument("classCount")) is int classCount && classCount > 0)
            {
                maxLabel = classCount - 1;
                labelText = Describe("classCount", classCount);
            }
            else if (Argument("labels")?.Value is IArrayCreationOperation { Initializer: { } labels }
                     && labels.ElementValues.Length > 0
                     && labels.ElementValues.All(e => e.ConstantValue is { HasValue: true, Value: int }))
            {
                maxLabel = labels.ElementValues.Max(e => (int)e.ConstantValue.Value!);
                labelText = $"the label array in Dataset.{call.TargetMethod.Name} at line {Int(call.Syntax.GetLocation().GetLineSpan().StartLinePosition.Line + 1)}";
            }
        }
        return new DataFacts(call.Syntax.GetLocation(), call.TargetMethod.Name,
            features, features is int fc ? Describe("featureCount", fc) : "",
            width, width is int w ? (classification && !perPosition ? $"Dataset.{call.TargetMethod.Name} gives one label per row" : Describe(perPosition ? "labelsPerRow" : "targetWidth", w)) : "",
            classification, maxLabel, labelText, rows, ConstantArray(Argument("features")?.Value));
    }

    /// <summary>Rows of a dataset from the length of its label or target array, where that length is a constant.</summary>
    private static int? RowCount(IOperation? targets, int? width)
    {
        if (width is not int w || w < 1 || ArrayLength(targets) is not int length || length % w != 0) return null;
        return length / w;
    }

    private static int? ArrayLength(IOperation? array)
    {
        while (array is IConversionOperation conversion) array = conversion.Operand;
        if (array is not IArrayCreationOperation creation || creation.DimensionSizes.Length != 1) return null;
        if (creation.DimensionSizes[0].ConstantValue is { HasValue: true, Value: int n }) return n;
        return creation.Initializer?.ElementValues.Length;
    }

    private static string Int(int value) => value.ToString(CultureInfo.InvariantCulture);
}
