using System;
using System.Collections.Generic;
using System.Linq;
using System.Text;
using ModelGen.FrontEnd;

namespace ModelGen.Generators.Emit;

// The members of the model class that go layer by layer: Initialize, the eager layer methods and Summary().
// Each switch over LayerKind has no default arm: a new kind does not compile until it has a rule in each.
internal static partial class CpuEmitter
{
    private static void WriteInitialize(IndentedWriter w, ValueNames names)
    {
        var spec = names.Spec;
        w.Line("/// <summary>");
        w.Line("/// Initialises a parameter buffer by each layer's rule: Kaiming-normal weights after ReLU-family");
        w.Line("/// activations, Xavier-uniform otherwise, zero biases. Each layer draws from its own stream of the seed.");
        if (spec.Layers.Any(l => l.Kind is LayerKind.LSTM or LayerKind.GRU or LayerKind.Conv1d))
            w.Line("/// LSTM, GRU and Conv1d layers follow PyTorch's defaults: uniform within ±1/√(hidden size or fan-in).");
        if (spec.Layers.Any(l => l.Kind is LayerKind.Embedding or LayerKind.PositionalEmbedding or LayerKind.MultiHeadAttention))
            w.Line("/// Embedding tables start N(0, 1) (a padding row at zero), position tables at zero.");
        w.Lines($$"""
            /// </summary>
            public static void Initialize<T>(Span<T> parameters, int seed)
                where T : unmanaged, IFloatingPointIeee754<T>
            {
                if (parameters.Length != TotalParameters)
                    throw new ArgumentException($"The buffer has {parameters.Length} elements; {{spec.TypeName}} has {TotalParameters} parameters.", nameof(parameters));
            """);
        w.Indent();
        for (int l = 0; l < spec.Layers.Count; l++)
        {
            var layer = spec.Layers[l];
            var lp = names.Shapes.Layers[l];
            if (lp.ParameterCount == 0) continue;
            w.Line();
            Action<IndentedWriter, LayerSpec, LayerPlan, int> initialize = layer.Kind switch
            {
                LayerKind.Dense or LayerKind.Conv2d => WriteAffineInitialize,
                LayerKind.LayerNorm or LayerKind.BatchNorm or LayerKind.GroupNorm => WriteGammaBetaInitialize,
                LayerKind.Conv1d => WriteConv1dInitialize,
                LayerKind.LSTM or LayerKind.GRU => WriteRecurrentInitialize,
                LayerKind.Embedding => WriteEmbeddingInitialize,
                LayerKind.PositionalEmbedding => WritePositionalEmbeddingInitialize,
                LayerKind.MultiHeadAttention => WriteAttentionInitialize,
                LayerKind.CrossAttention => WriteCrossAttentionInitialize,
                LayerKind.ConvTranspose2d => WriteConvTransposeInitialize,
                LayerKind.Flatten or LayerKind.Reshape or LayerKind.MaxPool2d or LayerKind.AvgPool2d or LayerKind.GlobalAvgPool or LayerKind.Dropout => NoParameters,
                LayerKind.Upsample => NoParameters,
            };
            initialize(w, layer, lp, l);
        }
        w.CloseBrace();
        w.Line();
    }

    /// <summary>A layer without parameters has nothing to initialise (and never gets here: its count is 0).</summary>
    private static void NoParameters(IndentedWriter w, LayerSpec layer, LayerPlan lp, int index)
    {
    }

    /// <summary>Dense and Conv2d: Kaiming-normal weights after ReLU-family activations, Xavier-uniform otherwise; zero bias.</summary>
    private static void WriteAffineInitialize(IndentedWriter w, LayerSpec layer, LayerPlan lp, int index)
    {
        var (activation, negativeSlope, bias, window) = layer is ConvLayer conv
            ? (conv.Activation, conv.NegativeSlope, conv.Bias, conv.Window)
            : (((DenseLayer)layer).Activation, ((DenseLayer)layer).NegativeSlope, ((DenseLayer)layer).Bias, null);
        string rng = "rng" + layer.Name;
        bool kaiming = activation switch   // no default arm: a new activation is a build error here until it gets a rule
        {
            ActivationKind.ReLU or ActivationKind.LeakyReLU or ActivationKind.GELU or ActivationKind.GELUExact or ActivationKind.SiLU => true,
            ActivationKind.None or ActivationKind.Sigmoid or ActivationKind.Tanh => false,
        };
        string slope = activation == ActivationKind.LeakyReLU ? Literals.FromFloat(negativeSlope) : "0.0";
        // Fan-in and fan-out count the inputs and outputs one weight touches: a conv filter sees (C/groups)·k·k inputs.
        int receptive = window is null ? 1 : window.Kernel * window.Kernel;
        int fanIn = window is null ? lp.InFeatures : lp.InFeatures / window.Groups * receptive;
        int fanOut = lp.OutFeatures * receptive;
        var weights = lp.Slice(SliceRole.Weight)!;
        w.Line($"// {layer.Name}: weights {FlatShape(weights.Shape)} {(kaiming ? "Kaiming-normal" : "Xavier-uniform")}{(bias ? ", bias zeros" : "")}");
        w.Line($"var {rng} = new Rng(seed, stream: {Literals.Int(index)});");
        string slice = $"parameters.Slice({Literals.Int(weights.Offset)}, {Literals.Int(weights.Count)})";
        w.Line(kaiming
            ? $"Initializers.KaimingNormal({slice}, fanIn: {Literals.Int(fanIn)}, negativeSlope: {slope}, ref {rng});"
            : $"Initializers.XavierUniform({slice}, fanIn: {Literals.Int(fanIn)}, fanOut: {Literals.Int(fanOut)}, ref {rng});");
        if (bias) w.Line($"parameters.Slice({Literals.Int(lp.BiasOffset)}, {Literals.Int(lp.OutFeatures)}).Clear();");
    }

    /// <summary>LayerNorm, BatchNorm and GroupNorm: γ ones, β zeros.</summary>
    private static void WriteGammaBetaInitialize(IndentedWriter w, LayerSpec layer, LayerPlan lp, int index)
    {
        w.Line($"// {layer.Name}: γ [{Literals.Int(lp.InFeatures)}] ones, β [{Literals.Int(lp.InFeatures)}] zeros");
        w.Line($"parameters.Slice({Literals.Int(lp.WeightOffset)}, {Literals.Int(lp.InFeatures)}).Fill(T.One);");
        w.Line($"parameters.Slice({Literals.Int(lp.BiasOffset)}, {Literals.Int(lp.InFeatures)}).Clear();");
    }

    private static void WriteLayerMethods(IndentedWriter w, ValueNames names)
    {
        for (int l = 0; l < names.Spec.Layers.Count; l++)
        {
            if (names.Spec.Layers[l].IsInlined) continue;   // a sub-model's layer: its [Submodel] method runs it
            Action<IndentedWriter, ValueNames, int> write = names.Spec.Layers[l].Kind switch
            {
                LayerKind.Dense => WriteDenseMethod,
                LayerKind.Conv2d => WriteConv2dMethod,
                LayerKind.Flatten => WriteFlattenMethod,
                LayerKind.MaxPool2d or LayerKind.AvgPool2d or LayerKind.GlobalAvgPool => WritePoolMethod,
                LayerKind.LayerNorm => WriteLayerNormMethod,
                LayerKind.BatchNorm => WriteBatchNormMethod,
                LayerKind.Dropout => WriteDropoutMethod,
                LayerKind.Conv1d or LayerKind.GroupNorm or LayerKind.Reshape or LayerKind.LSTM or LayerKind.GRU => WriteRecurrentFamilyMethod,
                LayerKind.Embedding or LayerKind.PositionalEmbedding or LayerKind.MultiHeadAttention => WriteSequenceMethod,
                LayerKind.CrossAttention => WriteCrossAttentionMethod,
                LayerKind.ConvTranspose2d or LayerKind.Upsample => WriteUpsamplingMethod,
            };
            write(w, names, l);
            w.Line();
        }
        WriteSubmodelMethods(w, names);
    }

    private const string RunsEagerly = "Runs eagerly on a tensor (for debugging); training and inference use the fused <see cref=\"Graph{T}\"/>.";

    private static void WriteDenseMethod(IndentedWriter w, ValueNames names, int l)
    {
        var layer = (DenseLayer)names.Spec.Layers[l];
        var lp = names.Shapes.Layers[l];
        string x = Identifier(layer.ParameterName);
        w.Lines($"""
            /// <summary>
            /// Dense layer '{layer.Name}' ({Literals.Int(layer.Units)} units{ActivationText(layer.Activation)}): {DenseShapes(names, l)}.
            /// {Literals.Grouped(lp.ParameterCount)} parameters: weights [{Literals.Int(lp.InFeatures)}, {Literals.Int(lp.OutFeatures)}] at offset {Literals.Grouped(lp.WeightOffset)}{(layer.Bias ? $", bias [{Literals.Int(lp.OutFeatures)}] at {Literals.Grouped(lp.BiasOffset)}" : "")}.
            /// {RunsEagerly}
            /// </summary>
            {Signature(layer)}
            """);
        w.Indent().Line($"=> EagerLayers.Dense({x}, Parameters, weightOffset: {Literals.Int(lp.WeightOffset)}, biasOffset: {Literals.Int(lp.BiasOffset)}, inFeatures: {Literals.Int(lp.InFeatures)}, outFeatures: {Literals.Int(lp.OutFeatures)}, Activation.{layer.Activation}, {Literals.Float(layer.NegativeSlope)}, {Literals.String(layer.Name)});").Outdent();
    }

    /// <summary>"[batch, 64, 128] → [batch, 64, 512]" for a Dense layer's first call (its declared widths when it is never called).</summary>
    private static string DenseShapes(ValueNames names, int layer)
    {
        var plan = names.Shapes;
        int node = names.Plan.FirstCall(layer);
        var lp = plan.Layers[layer];
        if (node < 0 || !plan.Nodes[node].IsKnown || !plan.Nodes[names.Plan.Nodes[node].A].IsKnown)
            return $"[batch, {Literals.Int(lp.InFeatures)}] → [batch, {Literals.Int(lp.OutFeatures)}]";
        return $"{SampleShape(plan.Nodes[names.Plan.Nodes[node].A].Shape)} → {SampleShape(plan.Nodes[node].Shape)}";
    }

    private static void WriteConv2dMethod(IndentedWriter w, ValueNames names, int l)
    {
        var layer = (ConvLayer)names.Spec.Layers[l];
        var lp = names.Shapes.Layers[l];
        var (input, output) = FirstCallShapes(names, l);
        var s = layer.Window;
        string x = Identifier(layer.ParameterName);
        w.Lines($"""
            /// <summary>
            /// Conv2d layer '{layer.Name}' ({Literals.Int(layer.Filters)} filters of {Literals.Int(s.Kernel)}×{Literals.Int(s.Kernel)}{ActivationText(layer.Activation)}): {SampleShape(input)} → {SampleShape(output)}.
            /// {Literals.Grouped(lp.ParameterCount)} parameters: weights {FlatShape(lp.Slice(SliceRole.Weight)!.Shape)} at offset {Literals.Grouped(lp.WeightOffset)}{(layer.Bias ? $", bias [{Literals.Int(lp.OutFeatures)}] at {Literals.Grouped(lp.BiasOffset)}" : "")}.
            /// {RunsEagerly}
            /// </summary>
            {Signature(layer)}
            """);
        w.Indent().Line($"=> EagerLayers.Conv2d({x}, Parameters, weightOffset: {Literals.Int(lp.WeightOffset)}, biasOffset: {Literals.Int(lp.BiasOffset)}, {ConvGeometry(layer, input, "batch: " + x + ".Batch")}, Activation.{layer.Activation}, {Literals.Float(layer.NegativeSlope)}, {Literals.String(layer.Name)});").Outdent();
    }

    private static void WriteFlattenMethod(IndentedWriter w, ValueNames names, int l)
    {
        var layer = names.Spec.Layers[l];
        w.Line($"/// <summary>Flatten layer '{layer.Name}': each sample becomes [{Literals.Int(names.Shapes.Layers[l].OutFeatures)}]. Runs eagerly on a tensor; the fused code uses a view.</summary>");
        w.Line(Signature(layer));
        w.Indent().Line($"=> EagerLayers.Flatten({Identifier(layer.ParameterName)});").Outdent();
    }

    /// <summary>MaxPool2d, AvgPool2d and GlobalAvgPool.</summary>
    private static void WritePoolMethod(IndentedWriter w, ValueNames names, int l)
    {
        var layer = names.Spec.Layers[l];
        var (input, output) = FirstCallShapes(names, l);
        string x = Identifier(layer.ParameterName);
        w.Line($"/// <summary>{layer.Kind} layer '{layer.Name}': {SampleShape(input)} → {SampleShape(output)}. Runs eagerly on a tensor; training and inference use the fused <see cref=\"Graph{{T}}\"/>.</summary>");
        w.Line(Signature(layer));
        w.Indent().Line(layer is PoolLayer pool
            ? $"=> EagerLayers.{layer.Kind}({x}, {PoolGeometry(pool, input, "batch: " + x + ".Batch", " ")}, {Literals.String(layer.Name)});"
            : $"=> EagerLayers.GlobalAvgPool({x}, {Literals.String(layer.Name)});").Outdent();
    }

    private static void WriteLayerNormMethod(IndentedWriter w, ValueNames names, int l)
    {
        var layer = (NormLayer)names.Spec.Layers[l];
        var lp = names.Shapes.Layers[l];
        string x = Identifier(layer.ParameterName);
        w.Line($"/// <summary>LayerNorm '{layer.Name}' over the last dimension ({Literals.Int(lp.InFeatures)}): γ at offset {Literals.Grouped(lp.WeightOffset)}, β at {Literals.Grouped(lp.BiasOffset)}. Runs eagerly on a tensor.</summary>");
        w.Line(Signature(layer));
        w.Indent().Line($"=> EagerLayers.LayerNorm({x}, Parameters, gammaOffset: {Literals.Int(lp.WeightOffset)}, betaOffset: {Literals.Int(lp.BiasOffset)}, features: {Literals.Int(lp.InFeatures)}, {Literals.Float(layer.Epsilon)}, {Literals.String(layer.Name)});").Outdent();
    }

    private static void WriteBatchNormMethod(IndentedWriter w, ValueNames names, int l)
    {
        var layer = (NormLayer)names.Spec.Layers[l];
        var lp = names.Shapes.Layers[l];
        string x = Identifier(layer.ParameterName);
        int meanOffset = lp.Slice(SliceRole.RunningMean)!.Offset, varianceOffset = lp.Slice(SliceRole.RunningVar)!.Offset;
        w.Line($"/// <summary>BatchNorm '{layer.Name}' over {Literals.Int(lp.InFeatures)} channels, with the running statistics (inference mode). Runs eagerly on a tensor.</summary>");
        w.Line(Signature(layer));
        w.Indent().Line($"=> EagerLayers.BatchNorm({x}, Parameters, gammaOffset: {Literals.Int(lp.WeightOffset)}, betaOffset: {Literals.Int(lp.BiasOffset)}, State, meanOffset: {Literals.Int(meanOffset)}, varianceOffset: {Literals.Int(varianceOffset)}, channels: {Literals.Int(lp.InFeatures)}, {Literals.Float(layer.Epsilon)}, {Literals.String(layer.Name)});").Outdent();
    }

    private static void WriteDropoutMethod(IndentedWriter w, ValueNames names, int l)
    {
        var layer = (DropoutLayer)names.Spec.Layers[l];
        w.Line($"/// <summary>Dropout '{layer.Name}' (rate {Literals.FromFloat(layer.Rate)}): eagerly, outside training, it passes the tensor through.</summary>");
        w.Line(Signature(layer));
        w.Indent().Line($"=> EagerLayers.Dropout({Identifier(layer.ParameterName)});").Outdent();
    }

    /// <summary>The Summary's type column: the kind and its defining sizes, e.g. "Conv2d 16@5×5, ReLU" or "LSTM 2×16 bidirectional, sequences".</summary>
    private static string SummaryType(LayerSpec layer) => layer.Kind switch
    {
        LayerKind.Dense => "Dense" + ActivationText(((DenseLayer)layer).Activation),
        LayerKind.Conv2d => $"Conv2d {Literals.Int(((ConvLayer)layer).Filters)}@{Literals.Int(((ConvLayer)layer).Window.Kernel)}×{Literals.Int(((ConvLayer)layer).Window.Kernel)}" + ActivationText(((ConvLayer)layer).Activation),
        LayerKind.Conv1d => $"Conv1d {Literals.Int(((ConvLayer)layer).Filters)}@{Literals.Int(((ConvLayer)layer).Window.Kernel)}" + ActivationText(((ConvLayer)layer).Activation),
        LayerKind.MaxPool2d or LayerKind.AvgPool2d => $"{layer.Kind} {Literals.Int(((PoolLayer)layer).Window.Kernel)}×{Literals.Int(((PoolLayer)layer).Window.Kernel)}",
        LayerKind.Flatten or LayerKind.Reshape or LayerKind.GlobalAvgPool or LayerKind.LayerNorm or LayerKind.BatchNorm => layer.Kind.ToString(),
        LayerKind.Dropout => "Dropout " + Literals.FromFloat(((DropoutLayer)layer).Rate),
        LayerKind.GroupNorm => $"GroupNorm {Literals.Int(((GroupNormLayer)layer).Groups)} groups",
        LayerKind.LSTM or LayerKind.GRU => RecurrentSummaryType((RecurrentLayer)layer),
        LayerKind.Embedding or LayerKind.PositionalEmbedding or LayerKind.MultiHeadAttention => SequenceSummaryType(layer),
        LayerKind.CrossAttention => CrossAttentionSummaryType((CrossAttentionLayer)layer),
        LayerKind.ConvTranspose2d or LayerKind.Upsample => UpsamplingSummaryType(layer),
    };

    private static void WriteSummary(IndentedWriter w, ValueNames names)
    {
        var spec = names.Spec;
        var plan = names.Shapes;
        var rows = new List<string[]>();
        bool graph = spec.Graph.FromForwardMethod;
        for (int n = 0; n < spec.Graph.Nodes.Count; n++)
        {
            var node = spec.Graph.Nodes[n];
            if (!plan.Nodes[n].Live) continue;
            string shape = names.Shape(n);
            string connected = node.Kind switch
            {
                NodeKind.Input => "",
                NodeKind.Layer when node.B >= 0 => spec.Graph.Nodes[node.A].Label + ", " + spec.Graph.Nodes[node.B].Label,
                NodeKind.Layer => spec.Graph.Nodes[node.A].Label,
                NodeKind.NamedInput => "",
                NodeKind.Concat => string.Join(", ", node.Parts.Select(p => spec.Graph.Nodes[p].Label)),
                NodeKind.Map or NodeKind.RandomNormal or NodeKind.Sum or NodeKind.Mean => spec.Graph.Nodes[node.A].Label,
                _ => spec.Graph.Nodes[node.A].Label + ", " + spec.Graph.Nodes[node.B].Label,
            };
            switch (node.Kind)
            {
                case NodeKind.Input when spec.Inputs.Count > 0:
                    break;   // the packed row of several inputs; each has its own row
                case NodeKind.Input:
                case NodeKind.NamedInput:
                    rows.Add(new[] { $"{node.Label} (Input)", shape, "0", connected });
                    break;
                case NodeKind.Layer:
                {
                    var layer = spec.Layers[node.Layer];
                    bool firstUse = Enumerable.Range(0, n).All(m => !(spec.Graph.Nodes[m].Kind == NodeKind.Layer && spec.Graph.Nodes[m].Layer == node.Layer && plan.Nodes[m].Live));
                    rows.Add(new[] { $"{layer.DisplayName} ({SummaryType(layer)})", shape, firstUse ? Literals.Grouped(plan.Layers[node.Layer].ParameterCount) : "(shared)", connected });
                    break;
                }
                case NodeKind.Map:
                    rows.Add(new[] { $"{node.Label} ({node.Function})", shape, "0", connected });
                    break;
                case NodeKind.RandomNormal:
                    rows.Add(new[] { $"{node.Label} (RandomNormal)", shape, "0", connected });
                    break;
                default:
                    rows.Add(new[] { $"{node.Label} ({node.Kind})", shape, "0", connected });
                    break;
            }
        }
        for (int l = 0; l < spec.Layers.Count; l++)
            if (!plan.Layers[l].Used)
                rows.Add(new[] { $"{spec.Layers[l].DisplayName} ({spec.Layers[l].Kind}, unused)", "-", Literals.Grouped(plan.Layers[l].ParameterCount), "" });

        string[] header = graph ? new[] { "Layer (type)", "Output shape", "Params", "Connected to" } : new[] { "Layer (type)", "Output shape", "Params" };
        int columns = header.Length;
        var width = new int[columns];
        foreach (var row in rows.Prepend(header))
            for (int c = 0; c < columns; c++) width[c] = Math.Max(width[c], row[c].Length);
        int total = width.Sum() + 3 * (columns - 1);

        var text = new StringBuilder();
        string Row(string[] cells)
        {
            var sb = new StringBuilder();
            for (int c = 0; c < columns; c++)
            {
                if (c > 0) sb.Append("   ");
                sb.Append(c == 2 ? cells[c].PadLeft(width[c]) : cells[c].PadRight(width[c]));
            }
            return sb.ToString().TrimEnd();
        }
        text.Append($"Model: {spec.TypeName}\n");
        text.Append(new string('─', total)).Append('\n');
        text.Append(Row(header)).Append('\n');
        text.Append(new string('═', total)).Append('\n');
        foreach (var row in rows) text.Append(Row(row)).Append('\n');
        text.Append(new string('─', total)).Append('\n');
        double kib = plan.TotalParameters * 4 / 1024.0;
        text.Append($"Total params: {Literals.Grouped(plan.TotalParameters)} ({kib.ToString("0.##", System.Globalization.CultureInfo.InvariantCulture)} KiB as float32)\n");
        string loss = $"Loss: {LossText(spec)}" + (spec.Graph.LossTerms.Count == 0 ? "" : " + " + LossTermsText(spec));
        int frozen = Enumerable.Range(0, spec.Layers.Count).Where(l => !spec.Layers[l].Trainable).Sum(l => plan.Layers[l].ParameterCount);
        string declaredCounts = $"Trainable params: {Literals.Grouped(plan.TotalParameters - frozen)}\nNon-trainable params: {Literals.Grouped(frozen)}\n";

        w.Lines("""
            /// <summary>
            /// The layer table (computed at build time; the trainable counts follow Freeze and Unfreeze, here as declared):
            /// <code>
            """);
        foreach (var line in (text + declaredCounts + loss).Split('\n')) w.Line("/// " + line.Replace("&", "&amp;").Replace("<", "&lt;").Replace(">", "&gt;"));
        w.Lines("""
            /// </code>
            /// </summary>
            public override string Summary() => SummaryTable + TrainableParameterLines() + SummaryLoss;

            private const string SummaryTable =
            """);
        w.Indent();
        var lines = text.ToString().TrimEnd('\n').Split('\n');
        for (int i = 0; i < lines.Length; i++)
            w.Line(Literals.String(lines[i] + "\n") + (i == lines.Length - 1 ? ";" : " +"));
        w.Outdent();
        w.Line();
        w.Line($"private const string SummaryLoss = {Literals.String(loss)};");
        w.Line();
    }
}
