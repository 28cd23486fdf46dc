using System;
using System.Collections.Generic;
using System.Globalization;
using System.Linq;

namespace ModelGen.Generators.Model;

/// <summary>What a shape problem points at, so the analyzer can put the squiggle on the exact argument or expression.</summary>
internal enum ProblemTarget { Model, ModelInput, ModelLoss, LayerAttribute, LayerArgument, Node, Input, Head, Output }

/// <summary>
/// A shape rule that a model breaks: the rule's ID, where, the message arguments, and for rules with
/// a code fix the value the fix needs (e.g. the inferred width).
/// </summary>
internal sealed record ShapeProblem(string Id, ProblemTarget Target, int Index, string Argument, EquatableArray<string> MessageArgs, string Fix = "");

/// <summary>Per-sample shape of a graph value (the batch dimension is implicit and symbolic); empty when unknown.</summary>
/// <remarks><see cref="Masked"/>: the value has a variable sequence length (sized at its bound, padding masked by the layers that mix positions).</remarks>
internal sealed record NodePlan(EquatableArray<int> Shape, bool Live, bool RequiresGradient, bool Masked = false)
{
    public bool IsKnown => Shape.Count > 0;
    public int Size => IsKnown ? Shape.Aggregate(1, (a, b) => a * b) : 0;
}

/// <summary>A layer's sizes and where its parameters sit in the flat buffer.</summary>
internal sealed record LayerPlan(int InFeatures, int OutFeatures, int WeightOffset, int BiasOffset, int ParameterCount, bool Used);

/// <summary>The result of shape inference: every value's shape, every layer's parameter slice, and the rules broken.</summary>
internal sealed record ShapePlan(
    EquatableArray<NodePlan> Nodes,
    EquatableArray<LayerPlan> Layers,
    int TotalParameters,
    EquatableArray<ShapeProblem> Problems)
{
    public bool HasErrors => Problems.Any(p => !ShapeInference.IsWarning(p.Id));
}

/// <summary>
/// The one shape engine: a pure function from a <see cref="ModelSpec"/> to a <see cref="ShapePlan"/>.
/// The generator sizes its buffers with it; the analyzer reports its problems. Messages show the arithmetic.
/// </summary>
internal static partial class ShapeInference
{
    /// <summary>A size as message text (invariant digits).</summary>
    private static string I(int v) => v.ToString(CultureInfo.InvariantCulture);

    public static bool IsWarning(string id) => id is "MG0009" or "MG0013" or "MG0103" or "MG0303" or "MG0405";

    public static ShapePlan Infer(ModelSpec spec)
    {
        var problems = new List<ShapeProblem>();
        var nodes = spec.Graph.Nodes;
        var shapes = new Dim[nodes.Count][];   // [batch, …]; empty = rank unknown
        var layerIn = new int[spec.Layers.Count];
        var layerInSource = new int[spec.Layers.Count];
        for (int i = 0; i < layerInSource.Length; i++) layerInSource[i] = -1;

        void Report(string id, ProblemTarget target, int index, string argument, params string[] args) =>
            problems.Add(new ShapeProblem(id, target, index, argument, args.ToEquatableArray()));
        void ReportWithFix(string id, ProblemTarget target, int index, string argument, string fix, params string[] args) =>
            problems.Add(new ShapeProblem(id, target, index, argument, args.ToEquatableArray(), fix));

        bool inputValid = spec.InputShape.Count > 0 && spec.InputShape.All(d => d > 0);
        if (spec.Inputs.Count > 0) CheckNamedInputs(spec, problems);
        else if (!inputValid)
        {
            string why = spec.InputShape.Count == 0
                ? "declare the per-sample input shape, e.g. Input = new[] { 64 }"
                : "every dimension must be at least 1";
            Report("MG0003", ProblemTarget.ModelInput, -1, "", spec.TypeName, Text(spec.InputShape), why);
        }

        for (int n = 0; n < nodes.Count; n++)
        {
            var node = nodes[n];
            switch (node.Kind)
            {
                case NodeKind.Input:
                    shapes[n] = spec.Inputs.Count > 0 ? PackedInputShape(spec) : inputValid ? Dim.Shape(spec.InputShape) : Dim.UnknownRank;
                    break;
                case NodeKind.NamedInput:
                case NodeKind.Concat:
                    shapes[n] = InferGraphNode(spec, n, shapes, problems);
                    break;
                case NodeKind.Layer:
                {
                    var layer = spec.Layers[node.Layer];
                    var input = shapes[node.A];
                    if (Dim.HasSequence(input) && FixedLengthReason(layer) is { } needsFixed)
                    {
                        var at = spec.Graph.FromForwardMethod ? (ProblemTarget.Node, n) : (ProblemTarget.LayerAttribute, node.Layer);
                        Report("MG0208", at.Item1, at.Item2, "", $"{layer.Kind} '{layer.Name}'", $"{Describe(spec, node.A, shapes)} of shape {SampleText(input)}", needsFixed);
                        shapes[n] = Dim.UnknownRank;
                        break;
                    }
                    if (IsRecurrentFamily(layer))
                    {
                        shapes[n] = InferRecurrentFamily(spec, n, layer, input, node.Layer, layerIn, layerInSource, problems);
                        break;
                    }
                    if (layer.Sequence is not null)
                    {
                        shapes[n] = InferSequence(spec, n, layer, input, node.Layer, layerIn, layerInSource, problems);
                        break;
                    }
                    if (layer.Kind == "Flatten")
                    {
                        // [batch, d1, …, dk] → [batch, d1·…·dk]; one unknown factor makes the product unknown.
                        var flat = input.Length == 0 ? Dim.Unknown : Dim.Product(input.Skip(1));
                        shapes[n] = new[] { Dim.Batch, flat };
                        if (flat.IsKnown)
                        {
                            layerIn[node.Layer] = flat.Value;
                            layerInSource[node.Layer] = n;
                        }
                        break;
                    }
                    if (layer.Kind is "LayerNorm" or "BatchNorm" or "Dropout")
                    {
                        // Same shape out; LayerNorm learns γ and β over the last dimension, BatchNorm per channel (the first).
                        shapes[n] = input;
                        int axis = layer.Kind == "BatchNorm" ? 1 : input.Length - 1;
                        if (layer.Kind != "Dropout" && input.Length > 1 && input[axis].IsKnown)
                        {
                            int features = input[axis].Value;
                            if (layerInSource[node.Layer] >= 0 && layerIn[node.Layer] != features)
                            {
                                Report("MG0015", ProblemTarget.Node, n, "", layer.Name, layerIn[node.Layer].ToString(CultureInfo.InvariantCulture), features.ToString(CultureInfo.InvariantCulture));
                                break;
                            }
                            layerIn[node.Layer] = features;
                            layerInSource[node.Layer] = n;
                        }
                        break;
                    }
                    if (layer.Spatial is not null || layer.Kind == "GlobalAvgPool")
                    {
                        shapes[n] = InferSpatial(spec, n, layer, input, node.Layer, layerIn, layerInSource, problems);
                        break;
                    }
                    // Dense acts on the last axis: [features] → [units], and [sequence, features] → [sequence, units] position by position.
                    // Units < 1 is MG0004; an unknown width keeps it from turning into width errors further on.
                    var units = layer.Units > 0 ? Dim.Known(layer.Units) : Dim.Unknown;
                    shapes[n] = input.Length == 3 ? new[] { Dim.Batch, input[1], units } : new[] { Dim.Batch, units };
                    if (input.Length == 0) break;
                    var where = spec.Graph.FromForwardMethod ? (ProblemTarget.Node, n) : (ProblemTarget.LayerAttribute, node.Layer);
                    if (input.Length > 3)
                    {
                        var flat = Dim.Product(input.Skip(1));
                        ReportWithFix("MG0014", where.Item1, where.Item2, "", flat.ToString(), layer.Name, SampleText(input),
                            (input.Length - 1).ToString(CultureInfo.InvariantCulture), flat.ToString());
                        break;
                    }
                    if (!input[input.Length - 1].IsKnown) break;
                    int width = input[input.Length - 1].Value;
                    if (layer.DeclaredIn > 0 && layer.DeclaredIn != width)
                    {
                        ReportWithFix("MG0007", ProblemTarget.LayerArgument, node.Layer, "In", width.ToString(CultureInfo.InvariantCulture), layer.Name,
                            layer.DeclaredIn.ToString(CultureInfo.InvariantCulture), width.ToString(CultureInfo.InvariantCulture), Describe(spec, node.A, shapes));
                        break;
                    }
                    if (layerInSource[node.Layer] >= 0 && layerIn[node.Layer] != width)
                    {
                        Report("MG0015", ProblemTarget.Node, n, "", layer.Name,
                            layerIn[node.Layer].ToString(CultureInfo.InvariantCulture), width.ToString(CultureInfo.InvariantCulture));
                        break;
                    }
                    layerIn[node.Layer] = width;
                    layerInSource[node.Layer] = n;
                    break;
                }
                case NodeKind.Add:
                case NodeKind.Multiply:
                {
                    var a = shapes[node.A];
                    var b = shapes[node.B];
                    var unified = Dim.Unify(a, b);
                    if (unified is null)
                    {
                        Report("MG0008", ProblemTarget.Node, n, "", node.Kind == NodeKind.Add ? "+" : "*",
                            Describe(spec, node.A, shapes), SampleText(a), Describe(spec, node.B, shapes), SampleText(b));
                        shapes[n] = Dim.UnknownRank;
                        break;
                    }
                    shapes[n] = unified;
                    break;
                }
            }
        }

        // Values that reach the output; the rest is dead code whose layers never train.
        var live = new bool[nodes.Count];
        foreach (int returned in spec.Graph.AllOutputs) MarkLive(nodes, returned, live);
        var used = new bool[spec.Layers.Count];
        for (int n = 0; n < nodes.Count; n++)
            if (live[n] && nodes[n].Kind == NodeKind.Layer) used[nodes[n].Layer] = true;

        var requiresGradient = new bool[nodes.Count];
        for (int n = 0; n < nodes.Count; n++)
        {
            var node = nodes[n];
            requiresGradient[n] = node.Kind switch
            {
                NodeKind.Input or NodeKind.NamedInput => false,
                NodeKind.Concat => node.Parts.Any(p => requiresGradient[p]),
                NodeKind.Layer => HasParameters(spec.Layers[node.Layer]) || requiresGradient[node.A],
                _ => requiresGradient[node.A] || requiresGradient[node.B],
            };
        }

        // Parameter layout: layer by layer, weights (in×out) then bias.
        var layerPlans = new List<LayerPlan>();
        long offset = 0;
        for (int l = 0; l < spec.Layers.Count; l++)
        {
            var layer = spec.Layers[l];
            int inFeatures = layerInSource[l] >= 0 ? layerIn[l] : layer.DeclaredIn;
            if (layer.Kind is "LayerNorm" or "BatchNorm" or "GroupNorm")
            {
                // γ then β, one per normalised feature or channel.
                long affine = 2L * inFeatures;
                layerPlans.Add(new LayerPlan(inFeatures, inFeatures, (int)offset, (int)(offset + inFeatures), (int)affine, used[l]));
                offset += affine;
                continue;
            }
            if (layer.Kind is "Flatten" or "MaxPool2d" or "AvgPool2d" or "GlobalAvgPool" or "Dropout" or "Reshape")
            {
                layerPlans.Add(new LayerPlan(inFeatures, inFeatures, -1, -1, 0, used[l]));
                continue;
            }
            // Dense: weights [in, out]; Conv2d: weights [out, in/groups, k, k] (inFeatures is the input channels).
            long weights = RecurrentFamilyWeights(layer, inFeatures) ?? (layer.Kind == "Conv2d" && layer.Spatial is { } sp
                ? (long)layer.Units * (sp.Groups > 0 && inFeatures % sp.Groups == 0 ? inFeatures / sp.Groups : 0) * sp.Kernel * sp.Kernel
                : (long)inFeatures * layer.Units);
            long bias = layer.Bias ? layer.Units : 0;
            int outFeatures = layer.Units;
            if (layer.Sequence is not null) (weights, bias, outFeatures) = SequenceParameters(layer, inFeatures);
            long count = weights + bias;
            if (offset + count <= int.MaxValue)
                layerPlans.Add(new LayerPlan(inFeatures, outFeatures, (int)offset, layer.Bias ? (int)(offset + weights) : -1, (int)count, used[l]));
            else
                layerPlans.Add(new LayerPlan(inFeatures, outFeatures, 0, -1, 0, used[l]));
            offset += count;
            if (!used[l] && spec.Graph.FromForwardMethod)
                Report("MG0013", ProblemTarget.LayerAttribute, l, "", layer.Name,
                    inFeatures > 0 ? count.ToString("N0", CultureInfo.InvariantCulture) + " parameters are" : "parameters are");
        }
        if (offset > int.MaxValue)
            Report("MG0018", ProblemTarget.Model, -1, "", spec.TypeName, offset.ToString("N0", CultureInfo.InvariantCulture));

        // The loss against the output.
        // A model without layers (MG0006) returns its input, which is no output to judge the loss by.
        CheckOutputs(spec, shapes, live, problems);
        if (spec.Graph.Outputs.Count == 0 && spec.Loss != LossKind.Contrastive
            && spec.Graph.Output >= 0 && nodes[spec.Graph.Output].Kind != NodeKind.Input && shapes[spec.Graph.Output] is { Length: > 0 } output)
        {
            // [sequence, outputs] is fine too: softmax cross-entropy then classifies every position, the other losses are element-wise.
            if (Dim.HasSequence(output) && spec.Loss != LossKind.SoftmaxCrossEntropy)
                Report("MG0209", ProblemTarget.ModelLoss, -1, "", $"Loss.{spec.Loss}", SampleText(output),
                    "classify each position with Loss.SoftmaxCrossEntropy, or end in an LSTM or GRU (its last state is one row per sample)");
            else if (output.Length is not (2 or 3))
                Report("MG0009", ProblemTarget.ModelLoss, -1, "", spec.Loss.ToString(), SampleText(output), spec.TypeName, "the losses take [outputs] or [sequence, outputs] per sample");
            else if (spec.Loss == LossKind.SoftmaxCrossEntropy && output[output.Length - 1].IsKnown && output[output.Length - 1].Value == 1)
                Report("MG0009", ProblemTarget.ModelLoss, -1, "", spec.Loss.ToString(), SampleText(output), spec.TypeName,
                    "softmax over a single output is always 1, so the loss is always 0; use Loss.BinaryCrossEntropy for a binary label, or give the last layer one unit per class");
        }

        var nodePlans = new List<NodePlan>();
        for (int n = 0; n < nodes.Count; n++)
            nodePlans.Add(new NodePlan(Dim.KnownSample(shapes[n]).ToEquatableArray(), live[n], requiresGradient[n], Dim.HasSequence(shapes[n])));
        return new ShapePlan(nodePlans.ToEquatableArray(), layerPlans.ToEquatableArray(), (int)Math.Min(offset, int.MaxValue), problems.ToEquatableArray());
    }

    private static bool HasParameters(LayerSpec layer) => layer.Kind is "Dense" or "Conv2d" or "LayerNorm" or "BatchNorm" or "Conv1d" or "GroupNorm" or "LSTM" or "GRU" || layer.Sequence is not null;

    /// <summary>Conv2d, MaxPool2d, AvgPool2d and GlobalAvgPool on [batch, C, H, W]: the arithmetic of PRODUCT.md's shape rules.</summary>
    private static Dim[] InferSpatial(ModelSpec spec, int n, LayerSpec layer, Dim[] input, int layerIndex, int[] layerIn, int[] layerInSource, List<ShapeProblem> problems)
    {
        var where = spec.Graph.FromForwardMethod ? (ProblemTarget.Node, n) : (ProblemTarget.LayerAttribute, layerIndex);
        void Report(string id, ProblemTarget target, int index, string argument, params string[] args) =>
            problems.Add(new ShapeProblem(id, target, index, argument, args.ToEquatableArray()));

        bool conv = layer.Kind == "Conv2d";
        var outChannels = conv ? (layer.Units > 0 ? Dim.Known(layer.Units) : Dim.Unknown) : Dim.Unknown;
        if (input.Length == 0)
            return layer.Kind == "GlobalAvgPool" ? new[] { Dim.Batch, Dim.Unknown } : new[] { Dim.Batch, outChannels, Dim.Unknown, Dim.Unknown };
        if (input.Length != 4)
        {
            Report("MG0101", where.Item1, where.Item2, "", layer.Kind, layer.Name, SampleText(input));
            return layer.Kind == "GlobalAvgPool" ? new[] { Dim.Batch, Dim.Unknown } : new[] { Dim.Batch, outChannels, Dim.Unknown, Dim.Unknown };
        }
        var channels = input[1];
        if (layer.Kind == "GlobalAvgPool") return new[] { Dim.Batch, channels };
        if (!conv) outChannels = channels;

        var s = layer.Spatial!;
        if (conv && channels.IsKnown)
        {
            if (layer.DeclaredIn > 0 && layer.DeclaredIn != channels.Value)
            {
                problems.Add(new ShapeProblem("MG0107", ProblemTarget.LayerArgument, layerIndex, "In", new[] { layer.Name, I(layer.DeclaredIn), I(channels.Value), Describe(spec, spec.Graph.Nodes[n].A, null) }.ToEquatableArray(), I(channels.Value)));
                return new[] { Dim.Batch, outChannels, Dim.Unknown, Dim.Unknown };
            }
            if (channels.Value % s.Groups != 0 || (layer.Units > 0 && layer.Units % s.Groups != 0))
            {
                Report("MG0105", ProblemTarget.LayerArgument, layerIndex, "Groups", layer.Name, I(channels.Value), I(layer.Units), I(s.Groups));
                return new[] { Dim.Batch, outChannels, Dim.Unknown, Dim.Unknown };
            }
            if (layerInSource[layerIndex] >= 0 && layerIn[layerIndex] != channels.Value)
            {
                Report("MG0015", ProblemTarget.Node, n, "", layer.Name, I(layerIn[layerIndex]), I(channels.Value));
                return new[] { Dim.Batch, outChannels, Dim.Unknown, Dim.Unknown };
            }
            layerIn[layerIndex] = channels.Value;
            layerInSource[layerIndex] = n;
        }
        if (s.Kernel < 1) return new[] { Dim.Batch, outChannels, Dim.Unknown, Dim.Unknown };

        int span = s.Dilation * (s.Kernel - 1);
        int padding = s.Padding;
        if (conv && s.Same)
        {
            if (s.Stride != 1 || span % 2 != 0)
            {
                Report("MG0104", ProblemTarget.LayerArgument, layerIndex, "SamePadding", layer.Name,
                    s.Stride != 1 ? $"needs Stride = 1, but Stride = {I(s.Stride)}" : $"needs an odd effective kernel, but dilation·(kernel − 1) + 1 = {I(span + 1)}");
                return new[] { Dim.Batch, outChannels, Dim.Unknown, Dim.Unknown };
            }
            padding = span / 2;
        }
        if (!conv && 2 * s.Padding > s.Kernel)
        {
            Report("MG0106", ProblemTarget.LayerArgument, layerIndex, "Padding", layer.Kind, layer.Name, I(s.Padding), I(s.Kernel));
            return new[] { Dim.Batch, outChannels, Dim.Unknown, Dim.Unknown };
        }

        var result = new[] { Dim.Batch, outChannels, Dim.Unknown, Dim.Unknown };
        string[] axis = { "H", "W" };
        for (int a = 0; a < 2; a++)
        {
            var size = input[2 + a];
            if (!size.IsKnown) continue;
            int reach = size.Value + 2 * padding - span - 1;
            int output = reach < 0 ? 0 : reach / s.Stride + 1;
            string formula = $"{axis[a]} = ⌊({I(size.Value)} + 2·{I(padding)} − {I(s.Dilation)}·({I(s.Kernel)} − 1) − 1)/{I(s.Stride)}⌋ + 1 = {(reach < 0 ? "⌊" + I(reach) + "/" + I(s.Stride) + "⌋ + 1 ≤ 0" : I(output))}";
            if (reach < 0)
            {
                Report("MG0102", where.Item1, where.Item2, "", layer.Kind, layer.Name, formula);
                return new[] { Dim.Batch, outChannels, Dim.Unknown, Dim.Unknown };
            }
            int dropped = reach % s.Stride;
            if (dropped != 0)
                Report("MG0103", where.Item1, where.Item2, "", layer.Kind, layer.Name, formula, $"{I(size.Value)} + 2·{I(padding)} − {I(span + 1)} = {I(reach)}", I(s.Stride),
                    dropped == 1 ? (a == 0 ? "row" : "column") : I(dropped) + (a == 0 ? " rows" : " columns"));
            result[2 + a] = Dim.Known(output);
        }
        return result;
    }

    private static void MarkLive(EquatableArray<GraphNode> nodes, int n, bool[] live)
    {
        if (n < 0 || live[n]) return;
        live[n] = true;
        MarkLive(nodes, nodes[n].A, live);
        MarkLive(nodes, nodes[n].B, live);
        foreach (int part in nodes[n].Parts) MarkLive(nodes, part, live);
    }

    /// <summary>Names a value for a message: "the input 'x'", "'Up' (Dense 128)", "'add_1'".</summary>
    /// <summary>Why a layer cannot take a variable-length sequence (MG0208); null for the layers that can.</summary>
    private static string? FixedLengthReason(LayerSpec layer) => layer.Kind switch
    {
        "Flatten" or "Reshape" => "its output size would depend on each sample's length; summarise the sequence with an LSTM or GRU (its last state) instead",
        "Conv1d" => "a convolution over padded positions would mix padding into real ones; Conv1d needs a fixed length (no MaskPadding)",
        "GroupNorm" or "BatchNorm" => "its statistics would include padded positions; LayerNorm normalises each position on its own",
        "Conv2d" or "MaxPool2d" or "AvgPool2d" or "GlobalAvgPool" => "it takes images [channels, height, width]",
        _ => null,
    };

    internal static string Describe(ModelSpec spec, int node, Dim[][]? shapes)
    {
        var n = spec.Graph.Nodes[node];
        if (n.Kind == NodeKind.Layer && spec.Layers[n.Layer].Kind == "Flatten" && shapes?[n.A] is { Length: > 2 } flattened)
            return $"'{n.Label}' (Flatten of {SampleText(flattened)}: {string.Join("·", flattened.Skip(1).Select(d => d.ToString()))} = {Dim.Product(flattened.Skip(1))})";
        if (n.Kind == NodeKind.Layer && DescribeRecurrent(spec.Layers[n.Layer], n.Label) is { } recurrent) return recurrent;
        return n.Kind switch
        {
            NodeKind.Input or NodeKind.NamedInput => $"the input '{n.Label}'",
            NodeKind.Layer when spec.Layers[n.Layer].Kind == "Dense" => $"'{n.Label}' (Dense {spec.Layers[n.Layer].Units})",
            NodeKind.Layer => $"'{n.Label}' ({spec.Layers[n.Layer].Kind})",
            _ => $"'{n.Label}'",
        };
    }

    public static string Text(IEnumerable<int> shape) => "[" + string.Join(", ", shape.Select(d => d.ToString(CultureInfo.InvariantCulture))) + "]";

    /// <summary>The per-sample part of a shape as text, e.g. "[1, 8, 8]" (the batch is implied in messages).</summary>
    internal static string SampleText(Dim[] shape) => "[" + string.Join(", ", shape.Skip(1).Select(d => d.ToString())) + "]";
}
