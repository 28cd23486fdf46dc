using System;
using System.Collections.Generic;
using System.Globalization;
using System.Linq;

namespace ModelGen.FrontEnd;

/// <summary>What a shape problem points at, so the analyzer can put the squiggle on the exact argument or expression.</summary>
internal enum ProblemTarget { Model, ModelInput, ModelLoss, LayerAttribute, LayerArgument, Node, Input, Head, Output, LossTerm }

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
    public int Size => IsKnown ? Sizes.Product(Shape) : 0;
}

/// <summary>
/// A layer's sizes and where its parameters sit in the flat buffer: <see cref="WeightOffset"/> is the start of its block
/// (-1 without parameters), <see cref="BiasOffset"/> that of its bias, β or attention input bias (-1 without);
/// <see cref="Parameters"/> names every slice of the block, <see cref="State"/> every slice of its state (BatchNorm's
/// running statistics).
/// </summary>
internal sealed record LayerPlan(int InFeatures, int OutFeatures, int WeightOffset, int BiasOffset, int ParameterCount, bool Used,
    EquatableArray<BufferSlice> Parameters = default, EquatableArray<BufferSlice> State = default)
{
    /// <summary>The slice of <paramref name="role"/> (and <paramref name="direction"/>); null when the layer has none.</summary>
    public BufferSlice? Slice(SliceRole role, int direction = 0)
    {
        foreach (var slice in Parameters)
            if (slice.Role == role && slice.Direction == direction) return slice;
        foreach (var slice in State)
            if (slice.Role == role && slice.Direction == direction) return slice;
        return null;
    }
}

/// <summary>
/// The result of shape inference: every value's shape, every layer's parameter and state slices, and the rules broken.
/// <see cref="TotalState"/> is the size of the state buffer (running statistics, not trained by the optimizer).
/// </summary>
internal sealed record ShapePlan(
    EquatableArray<NodePlan> Nodes,
    EquatableArray<LayerPlan> Layers,
    int TotalParameters,
    EquatableArray<ShapeProblem> Problems,
    int TotalState = 0)
{
    public bool HasErrors
    {
        get
        {
            foreach (var problem in Problems)
                if (!ShapeInference.IsWarning(problem.Id)) return true;
            return false;
        }
    }
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

        bool inputValid = Sizes.AllPositive(spec.InputShape);
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
            // A sub-model's graph starts here: its input must have the shape it declares, or its layers are not checked further.
            if (SubmodelCallAt(spec, n) is { } submodelCall && !CheckSubmodelInput(spec, submodelCall, shapes, problems))
            {
                for (int k = submodelCall.FirstNode; k <= submodelCall.LastNode; k++) shapes[k] = Dim.UnknownRank;
                n = submodelCall.LastNode;
                continue;
            }
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
                    if (Dim.HasSequence(input) && FixedLengthReason(layer.Kind) is { } needsFixed)
                    {
                        var at = spec.Graph.FromForwardMethod ? new ProblemSite(ProblemTarget.Node, n) : new ProblemSite(ProblemTarget.LayerAttribute, node.Layer);
                        Report("MG0208", at.Target, at.Index, "", $"{layer.Kind} '{layer.Name}'", $"{Describe(spec, node.A, shapes)} of shape {SampleText(input)}", needsFixed);
                        shapes[n] = Dim.UnknownRank;
                        break;
                    }
                    var call = new LayerCall(spec, n, node.Layer, input, shapes, layerIn, layerInSource, problems);
                    shapes[n] = layer.Kind switch
                    {
                        LayerKind.Dense => InferDense(call, (DenseLayer)layer),
                        LayerKind.Flatten => InferFlatten(call),
                        LayerKind.LayerNorm or LayerKind.BatchNorm or LayerKind.Dropout => InferSameShape(call, layer),
                        LayerKind.Conv2d or LayerKind.MaxPool2d or LayerKind.AvgPool2d or LayerKind.GlobalAvgPool => InferSpatial(call, layer),
                        LayerKind.LSTM or LayerKind.GRU => InferRecurrent(call, (RecurrentLayer)layer),
                        LayerKind.Conv1d => InferConv1d(call, (ConvLayer)layer),
                        LayerKind.GroupNorm => InferGroupNorm(call, (GroupNormLayer)layer),
                        LayerKind.Reshape => InferReshape(call, (ReshapeLayer)layer),
                        LayerKind.Embedding => InferEmbedding(call, (EmbeddingLayer)layer),
                        LayerKind.PositionalEmbedding or LayerKind.MultiHeadAttention => InferSequenceWidth(call, layer),
                        LayerKind.CrossAttention => InferCrossAttention(call, (CrossAttentionLayer)layer, node.B),
                        LayerKind.ConvTranspose2d => InferConvTranspose2d(call, (ConvTransposeLayer)layer),
                        LayerKind.Upsample => InferUpsample(call, (UpsampleLayer)layer),
                    };
                    break;
                }
                case NodeKind.Map:
                case NodeKind.RandomNormal:
                    shapes[n] = shapes[node.A];   // element-wise, or noise shaped like its argument
                    break;
                case NodeKind.Sum:
                case NodeKind.Mean:
                    // One value per sample; a variable-length input would mix padding into it.
                    if (Dim.HasSequence(shapes[node.A]))
                    {
                        Report("MG0208", ProblemTarget.Node, n, "", $"Tensor.{node.Kind}", $"{Describe(spec, node.A, shapes)} of shape {SampleText(shapes[node.A])}",
                            "the padded positions would count; summarise the sequence with an LSTM or GRU (its last state) first");
                        shapes[n] = Dim.UnknownRank;
                        break;
                    }
                    shapes[n] = shapes[node.A].Length == 0 ? Dim.UnknownRank : new[] { Dim.Batch, Dim.Known(1) };
                    break;
                case NodeKind.Add:
                case NodeKind.Multiply:
                case NodeKind.Subtract:
                {
                    var a = shapes[node.A];
                    var b = shapes[node.B];
                    var unified = Dim.Unify(a, b);
                    if (unified is null)
                    {
                        Report("MG0008", ProblemTarget.Node, n, "", node.Text.Length > 0 ? node.Text : node.Kind == NodeKind.Add ? "+" : node.Kind == NodeKind.Subtract ? "-" : "*",
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
        foreach (var term in spec.Graph.LossTerms) MarkLive(nodes, term.Node, live);
        CheckLossTerms(spec, shapes, problems);
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
                NodeKind.Concat => AnyRequiresGradient(node.Parts, requiresGradient),
                NodeKind.Layer => HasParameters(spec.Layers[node.Layer].Kind) || requiresGradient[node.A] || (node.B >= 0 && requiresGradient[node.B]),
                NodeKind.Map or NodeKind.Sum or NodeKind.Mean => requiresGradient[node.A],
                NodeKind.RandomNormal => false,   // its argument gives only the shape
                _ => requiresGradient[node.A] || requiresGradient[node.B],
            };
        }

        // Parameter layout: layer by layer, each layer's slices in ParameterLayout's order; BatchNorm's running statistics in the state buffer.
        var layerPlans = new List<LayerPlan>();
        long offset = 0;
        int stateOffset = 0;
        for (int l = 0; l < spec.Layers.Count; l++)
        {
            var layer = spec.Layers[l];
            int inFeatures = layerInSource[l] >= 0 ? layerIn[l] : DeclaredIn(layer);
            var layout = ParameterLayout.Of(layer, inFeatures);
            var parts = layout.Parameters;
            long count = ParameterLayout.Total(parts);
            var state = ParameterLayout.Place(layout.State, stateOffset);
            stateOffset += (int)ParameterLayout.Total(layout.State);
            if (parts.Length > 0 && parts[0].Role == SliceRole.Gamma)
            {
                // γ then β, one per normalised feature or channel.
                var affine = ParameterLayout.Place(parts, offset);
                layerPlans.Add(new LayerPlan(inFeatures, inFeatures, (int)offset, BiasOffset(affine), (int)count, used[l], affine, state));
                offset += count;
                continue;
            }
            if (parts.Length == 0)
            {
                layerPlans.Add(new LayerPlan(inFeatures, inFeatures, -1, -1, 0, used[l], EquatableArray<BufferSlice>.Empty, state));
                continue;
            }
            int outFeatures = layout.OutFeatures;
            if (offset + count <= int.MaxValue)
            {
                var slices = ParameterLayout.Place(parts, offset);
                layerPlans.Add(new LayerPlan(inFeatures, outFeatures, (int)offset, BiasOffset(slices), (int)count, used[l], slices, state));
            }
            else
                layerPlans.Add(new LayerPlan(inFeatures, outFeatures, 0, -1, 0, used[l], EquatableArray<BufferSlice>.Empty, state));
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
        CheckMaskedOutputOfSeveralInputs(spec, shapes, problems);
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
            nodePlans.Add(new NodePlan(new EquatableArray<int>(Dim.KnownSample(shapes[n])), live[n], requiresGradient[n], Dim.HasSequence(shapes[n])));
        return new ShapePlan(nodePlans.ToEquatableArray(), layerPlans.ToEquatableArray(), (int)Math.Min(offset, int.MaxValue), problems.ToEquatableArray(), stateOffset);
    }

    private static bool AnyRequiresGradient(EquatableArray<int> parts, bool[] requiresGradient)
    {
        foreach (int part in parts)
            if (requiresGradient[part]) return true;
        return false;
    }

    /// <summary>Where the first bias-like slice starts (bias, β or the attention's input bias); -1 when there is none.</summary>
    private static int BiasOffset(EquatableArray<BufferSlice> slices)
    {
        foreach (var slice in slices)
            if (slice.Role is SliceRole.Bias or SliceRole.Beta or SliceRole.QkvBias) return slice.Offset;
        return -1;
    }

    /// <summary>Whether a layer of <paramref name="kind"/> learns parameters (its output then needs a gradient).</summary>
    private static bool HasParameters(LayerKind kind) => kind switch
    {
        LayerKind.Dense or LayerKind.Conv2d or LayerKind.Conv1d or LayerKind.LSTM or LayerKind.GRU => true,
        LayerKind.LayerNorm or LayerKind.BatchNorm or LayerKind.GroupNorm => true,
        LayerKind.Embedding or LayerKind.PositionalEmbedding or LayerKind.MultiHeadAttention or LayerKind.CrossAttention or LayerKind.ConvTranspose2d => true,
        LayerKind.Upsample => false,
        LayerKind.Flatten or LayerKind.Reshape or LayerKind.MaxPool2d or LayerKind.AvgPool2d or LayerKind.GlobalAvgPool or LayerKind.Dropout => false,
    };

    /// <summary>The input size a layer states (In; an Embedding's vocabulary, the rows of its table); 0 when it states none.</summary>
    private static int DeclaredIn(LayerSpec layer) => layer switch
    {
        DenseLayer dense => dense.DeclaredIn,
        ConvLayer conv => conv.DeclaredIn,
        ConvTransposeLayer transposed => transposed.DeclaredIn,
        RecurrentLayer recurrent => recurrent.DeclaredIn,
        EmbeddingLayer embedding => Math.Max(embedding.Vocabulary, 0),
        _ => 0,
    };

    /// <summary>Dense acts on the last axis: [features] → [units], and [sequence, features] → [sequence, units] position by position.</summary>
    private static Dim[] InferDense(LayerCall call, DenseLayer layer)
    {
        // Units < 1 is MG0004; an unknown width keeps it from turning into width errors further on.
        var input = call.Input;
        var units = layer.Units > 0 ? Dim.Known(layer.Units) : Dim.Unknown;
        var result = input.Length == 3 ? new[] { Dim.Batch, input[1], units } : new[] { Dim.Batch, units };
        if (input.Length == 0) return result;
        if (input.Length > 3)
        {
            var flat = Dim.Product(input, from: 1);
            call.Problems.Add(new ShapeProblem("MG0014", call.Where.Target, call.Where.Index, "", new[] { layer.Name, SampleText(input),
                I(input.Length - 1), flat.ToString() }.ToEquatableArray(), flat.ToString()));
            return result;
        }
        if (!input[input.Length - 1].IsKnown) return result;
        int width = input[input.Length - 1].Value;
        if (layer.DeclaredIn > 0 && layer.DeclaredIn != width)
        {
            call.Problems.Add(new ShapeProblem("MG0007", ProblemTarget.LayerArgument, call.Layer, "In", new[] { layer.Name,
                I(layer.DeclaredIn), I(width), Describe(call.Spec, call.Source, call.Shapes) }.ToEquatableArray(), I(width)));
            return result;
        }
        call.Learn(width, layer.Name);
        return result;
    }

    /// <summary>[batch, d1, …, dk] → [batch, d1·…·dk]; one unknown factor makes the product unknown.</summary>
    private static Dim[] InferFlatten(LayerCall call)
    {
        var flat = call.Input.Length == 0 ? Dim.Unknown : Dim.Product(call.Input, from: 1);
        if (flat.IsKnown) call.Remember(flat.Value);
        return new[] { Dim.Batch, flat };
    }

    /// <summary>Same shape out; LayerNorm learns γ and β over the last dimension, BatchNorm per channel (the first); Dropout learns nothing.</summary>
    private static Dim[] InferSameShape(LayerCall call, LayerSpec layer)
    {
        var input = call.Input;
        int axis = layer.Kind == LayerKind.BatchNorm ? 1 : input.Length - 1;
        if (layer is NormLayer norm && input.Length > 1 && input[axis].IsKnown
            && DeclaredNormInput(call, layer, norm.DeclaredIn, input[axis].Value, layer.Kind == LayerKind.BatchNorm && input.Length > 2 ? "channels" : "features"))
            call.Learn(input[axis].Value, layer.Name);
        return input;
    }

    /// <summary>A norm's stated feature or channel count (In) against its input's (MG0036); true when they agree or none is stated.</summary>
    private static bool DeclaredNormInput(LayerCall call, LayerSpec layer, int declaredIn, int size, string unit)
    {
        if (declaredIn <= 0 || declaredIn == size) return true;
        call.Problems.Add(new ShapeProblem("MG0036", ProblemTarget.LayerArgument, call.Layer, "In",
            new[] { layer.Name, layer.Kind.ToString(), I(declaredIn), I(size), unit, Describe(call.Spec, call.Source, null) }.ToEquatableArray(), I(size)));
        return false;
    }

    /// <summary>Conv2d, MaxPool2d, AvgPool2d and GlobalAvgPool on [batch, C, H, W]: the arithmetic of PRODUCT.md's shape rules.</summary>
    private static Dim[] InferSpatial(LayerCall call, LayerSpec layer)
    {
        var input = call.Input;
        var where = call.Where;
        int layerIndex = call.Layer;
        var conv = layer as ConvLayer;
        bool global = layer.Kind == LayerKind.GlobalAvgPool;
        var outChannels = conv is not null ? (conv.Filters > 0 ? Dim.Known(conv.Filters) : Dim.Unknown) : Dim.Unknown;
        if (input.Length == 0)
            return global ? new[] { Dim.Batch, Dim.Unknown } : new[] { Dim.Batch, outChannels, Dim.Unknown, Dim.Unknown };
        if (input.Length != 4)
        {
            call.Report("MG0101", where.Target, where.Index, "", layer.Kind.ToString(), layer.Name, SampleText(input));
            return global ? new[] { Dim.Batch, Dim.Unknown } : new[] { Dim.Batch, outChannels, Dim.Unknown, Dim.Unknown };
        }
        var channels = input[1];
        if (global) return new[] { Dim.Batch, channels };
        if (conv is null) outChannels = channels;

        var s = conv?.Window ?? ((PoolLayer)layer).Window;
        if (conv is not null && channels.IsKnown)
        {
            if (conv.DeclaredIn > 0 && conv.DeclaredIn != channels.Value)
            {
                call.Problems.Add(new ShapeProblem("MG0107", ProblemTarget.LayerArgument, layerIndex, "In", new[] { layer.Name, I(conv.DeclaredIn), I(channels.Value), Describe(call.Spec, call.Source, null) }.ToEquatableArray(), I(channels.Value)));
                return new[] { Dim.Batch, outChannels, Dim.Unknown, Dim.Unknown };
            }
            if (channels.Value % s.Groups != 0 || (conv.Filters > 0 && conv.Filters % s.Groups != 0))
            {
                var remainders = new List<string>();
                if (channels.Value % s.Groups != 0) remainders.Add($"{I(channels.Value)} % {I(s.Groups)} = {I(channels.Value % s.Groups)}");
                if (conv.Filters > 0 && conv.Filters % s.Groups != 0) remainders.Add($"{I(conv.Filters)} % {I(s.Groups)} = {I(conv.Filters % s.Groups)}");
                call.Report("MG0105", ProblemTarget.LayerArgument, layerIndex, "Groups", layer.Name, I(channels.Value), I(conv.Filters), I(s.Groups), string.Join(" and ", remainders));
                return new[] { Dim.Batch, outChannels, Dim.Unknown, Dim.Unknown };
            }
            if (!call.Learn(channels.Value, layer.Name)) return new[] { Dim.Batch, outChannels, Dim.Unknown, Dim.Unknown };
        }
        if (s.Kernel < 1) return new[] { Dim.Batch, outChannels, Dim.Unknown, Dim.Unknown };

        int span = s.Dilation * (s.Kernel - 1);
        int padding = s.Padding;
        if (conv is not null && s.Same)
        {
            if (s.Stride != 1 || span % 2 != 0)
            {
                call.Report("MG0104", ProblemTarget.LayerArgument, layerIndex, "SamePadding", layer.Name,
                    s.Stride != 1 ? $"needs Stride = 1, but Stride = {I(s.Stride)}" : $"needs an odd effective kernel, but dilation·(kernel − 1) + 1 = {I(span + 1)}");
                return new[] { Dim.Batch, outChannels, Dim.Unknown, Dim.Unknown };
            }
            padding = span / 2;
        }
        if (conv is null && 2 * s.Padding > s.Kernel)
        {
            call.Report("MG0106", ProblemTarget.LayerArgument, layerIndex, "Padding", layer.Kind.ToString(), layer.Name, I(s.Padding), I(s.Kernel));
            return new[] { Dim.Batch, outChannels, Dim.Unknown, Dim.Unknown };
        }

        var result = new[] { Dim.Batch, outChannels, Dim.Unknown, Dim.Unknown };
        string[] axis = { "H", "W" };
        string[] unreadParts = { "", "" };
        string[] unreadArithmetic = { "", "" };
        for (int a = 0; a < 2; a++)
        {
            var size = input[2 + a];
            if (!size.IsKnown) continue;
            int reach = size.Value + 2 * padding - span - 1;
            int output = reach < 0 ? 0 : reach / s.Stride + 1;
            string formula = $"{axis[a]} = ⌊({I(size.Value)} + 2·{I(padding)} − {I(s.Dilation)}·({I(s.Kernel)} − 1) − 1)/{I(s.Stride)}⌋ + 1 = {(reach < 0 ? "⌊" + I(reach) + "/" + I(s.Stride) + "⌋ + 1 ≤ 0" : I(output))}";
            if (reach < 0)
            {
                call.Report("MG0102", where.Target, where.Index, "", layer.Kind.ToString(), layer.Name, formula);
                return new[] { Dim.Batch, outChannels, Dim.Unknown, Dim.Unknown };
            }
            int unread = UnreadRows(size.Value, padding, span, s.Stride);
            if (unread > 0)
            {
                unreadParts[a] = unread == 1 ? (a == 0 ? "row" : "column") : I(unread) + (a == 0 ? " rows" : " columns");
                unreadArithmetic[a] = $"{formula}, and the windows reach {I(size.Value - unread)} of the {I(size.Value)} {(a == 0 ? "rows" : "columns")}";
            }
            result[2 + a] = Dim.Known(output);
        }
        // One warning for both axes.
        if (unreadParts[0].Length > 0 || unreadParts[1].Length > 0)
            call.Report("MG0103", where.Target, where.Index, "", layer.Kind.ToString(), layer.Name,
                string.Join(" and the last ", unreadParts.Where(p => p.Length > 0)), string.Join("; ", unreadArithmetic.Where(p => p.Length > 0)));
        return result;
    }

    /// <summary>
    /// Real (non-padding) rows at the end of an axis that no window reads, when that is a mistake: the last window ends
    /// <c>(L + 2p − span − 1) % stride</c> padded rows before the end, and the first <c>p</c> of those are padding. With an
    /// effective kernel smaller than the stride, rows between windows go unread by design (a 1×1 stride-2 shortcut), so
    /// the rows at the end are no surprise either: 0.
    /// </summary>
    internal static int UnreadRows(int length, int padding, int span, int stride)
    {
        int reach = length + 2 * padding - span - 1;
        if (reach < 0 || span + 1 < stride) return 0;
        return Math.Max(0, reach % stride - padding);
    }

    /// <summary>Where a problem is reported: a <see cref="ProblemTarget"/> and the index of the node, layer or input it names.</summary>
    private readonly struct ProblemSite
    {
        public ProblemSite(ProblemTarget target, int index)
        {
            Target = target;
            Index = index;
        }

        public ProblemTarget Target { get; }
        public int Index { get; }
    }

    /// <summary>
    /// One call of a layer while shapes are inferred: where it is, its input, where to report, and the input size the
    /// layer learns its parameters for (every call of a shared layer must agree on it).
    /// </summary>
    private sealed class LayerCall
    {
        private readonly int[] _layerIn;
        private readonly int[] _layerInSource;

        public LayerCall(ModelSpec spec, int node, int layer, Dim[] input, Dim[][] shapes, int[] layerIn, int[] layerInSource, List<ShapeProblem> problems)
        {
            Spec = spec;
            Node = node;
            Layer = layer;
            Input = input;
            Shapes = shapes;
            _layerIn = layerIn;
            _layerInSource = layerInSource;
            Problems = problems;
        }

        public ModelSpec Spec { get; }
        public int Node { get; }
        public int Layer { get; }
        public Dim[] Input { get; }
        public Dim[][] Shapes { get; }
        public List<ShapeProblem> Problems { get; }

        /// <summary>The node the layer is applied to.</summary>
        public int Source => Spec.Graph.Nodes[Node].A;

        /// <summary>A problem of the call itself: on the call in [Forward], on the attribute in a sequential model.</summary>
        public ProblemSite Where => Spec.Graph.FromForwardMethod ? new ProblemSite(ProblemTarget.Node, Node) : new ProblemSite(ProblemTarget.LayerAttribute, Layer);

        public void Report(string id, ProblemTarget target, int index, string argument, params string[] args) =>
            Problems.Add(new ShapeProblem(id, target, index, argument, args.ToEquatableArray()));

        /// <summary>Records <paramref name="size"/> as the size the layer learns for, or reports MG0015 when an earlier call of it saw another; false then.</summary>
        public bool Learn(int size, string layerName)
        {
            if (_layerInSource[Layer] >= 0 && _layerIn[Layer] != size)
            {
                Report("MG0015", ProblemTarget.Node, Node, "", layerName, I(_layerIn[Layer]), I(size));
                return false;
            }
            Remember(size);
            return true;
        }

        /// <summary>Records <paramref name="size"/> without a check (layers without parameters).</summary>
        public void Remember(int size)
        {
            _layerIn[Layer] = size;
            _layerInSource[Layer] = Node;
        }
    }

    private static void MarkLive(EquatableArray<GraphNode> nodes, int n, bool[] live)
    {
        if (n < 0 || live[n]) return;
        live[n] = true;
        MarkLive(nodes, nodes[n].A, live);
        MarkLive(nodes, nodes[n].B, live);
        foreach (int part in nodes[n].Parts) MarkLive(nodes, part, live);
    }

    /// <summary>Why a layer of <paramref name="kind"/> cannot take a variable-length sequence (MG0208); null for the kinds that can.</summary>
    private static string? FixedLengthReason(LayerKind kind) => kind switch
    {
        LayerKind.Flatten or LayerKind.Reshape => "its output size would depend on each sample's length; summarise the sequence with an LSTM or GRU (its last state) instead",
        LayerKind.Conv1d => "a convolution over padded positions would mix padding into real ones; Conv1d needs a fixed length (no MaskPadding)",
        LayerKind.GroupNorm or LayerKind.BatchNorm => "its statistics would include padded positions; LayerNorm normalises each position on its own",
        LayerKind.Conv2d or LayerKind.MaxPool2d or LayerKind.AvgPool2d or LayerKind.GlobalAvgPool => "it takes images [channels, height, width]",
        LayerKind.ConvTranspose2d or LayerKind.Upsample => "it takes images [channels, height, width]",
        LayerKind.Dense or LayerKind.LayerNorm or LayerKind.Dropout or LayerKind.LSTM or LayerKind.GRU => null,
        LayerKind.Embedding or LayerKind.PositionalEmbedding or LayerKind.MultiHeadAttention or LayerKind.CrossAttention => null,
    };

    /// <summary>
    /// Names a value for a message as the user wrote it: "the input 'x'", "'Up' (Dense 128)", "'h + g'",
    /// "'Tensor.Concat(a, b)' (32 + 16 = 48)", and a Flatten with where its size comes from.
    /// </summary>
    internal static string Describe(ModelSpec spec, int node, Dim[][]? shapes)
    {
        var n = spec.Graph.Nodes[node];
        if (n.Kind == NodeKind.Layer && spec.Layers[n.Layer].Kind == LayerKind.Flatten && shapes?[n.A] is { Length: > 2 } flattened)
            return $"'{n.Label}' (Flatten of {SampleText(flattened)}: {FlatProduct(flattened)} = {Dim.Product(flattened, from: 1)}{SizeOrigin(spec, n.A, shapes)})";
        if (n.Kind == NodeKind.Layer && DescribeRecurrent(spec.Layers[n.Layer], n.Label) is { } recurrent) return recurrent;
        return n.Kind switch
        {
            // A model without [Forward] has no name for its input.
            NodeKind.Input when !spec.Graph.FromForwardMethod => "the model input",
            NodeKind.Input or NodeKind.NamedInput => $"the input '{n.Label}'",
            NodeKind.Layer when spec.Layers[n.Layer] is DenseLayer dense => $"'{n.Label}' (Dense {dense.Units})",
            NodeKind.Layer => $"'{n.Label}' ({spec.Layers[n.Layer].Kind})",
            NodeKind.Concat when shapes is not null && ConcatSum(n, shapes) is { } sum => $"'{Named(n)}' ({sum})",
            _ => $"'{Named(n)}'",
        };
    }

    /// <summary>"16 channels × 5 × 5" for an image sample, "16 × 5" otherwise.</summary>
    private static string FlatProduct(Dim[] shape) =>
        (shape.Length == 4 ? shape[1] + " channels × " + string.Join(" × ", shape.Skip(2).Select(d => d.ToString())) : string.Join(" × ", shape.Skip(1).Select(d => d.ToString())));

    /// <summary>
    /// ", where 5 = (10 − 2)/2 + 1 from MaxPool2d 'P2'": how the convolution or pooling before a Flatten arrived at its
    /// spatial sizes (one step back, the step that decides them); empty for other layers.
    /// </summary>
    private static string SizeOrigin(ModelSpec spec, int node, Dim[][] shapes)
    {
        var n = spec.Graph.Nodes[node];
        if (n.Kind != NodeKind.Layer || n.A < 0) return "";
        var layer = spec.Layers[n.Layer];
        SpatialSpec? window = layer switch
        {
            ConvLayer conv => conv.Window,
            PoolLayer pool => pool.Window,
            _ => null,
        };
        var input = shapes[n.A];
        var output = shapes[node];
        if (window is null || input.Length != output.Length || input.Length < 3) return "";
        int span = window.Dilation * (window.Kernel - 1);
        int padding = window.Same && layer is ConvLayer ? span / 2 : window.Padding;
        var sizes = new List<string>();
        for (int a = 2; a < input.Length; a++)
        {
            if (!input[a].IsKnown || !output[a].IsKnown) return "";
            string text = $"{output[a]} = {WindowArithmetic(input[a].Value, padding, span + 1, window.Stride)}";
            if (!sizes.Contains(text)) sizes.Add(text);
        }
        return $", where {string.Join(" and ", sizes)} from {layer.Kind} '{layer.Name}'";
    }

    /// <summary>"(10 − 2)/2 + 1", "⌊(7 + 2·1 − 3)/2⌋ + 1", "12 − 3 + 1": a window count, the floor shown only where it cuts.</summary>
    private static string WindowArithmetic(int size, int padding, int extent, int stride)
    {
        string inner = padding > 0 ? $"{I(size)} + 2·{I(padding)} − {I(extent)}" : $"{I(size)} − {I(extent)}";
        if (stride == 1) return inner + " + 1";
        return (size + 2 * padding - extent) % stride == 0 ? $"({inner})/{I(stride)} + 1" : $"⌊({inner})/{I(stride)}⌋ + 1";
    }

    /// <summary>What the user wrote for an operation ('h + g', 'Tensor.Concat(a, b)'); the generated-code label only when no text is known.</summary>
    private static string Named(GraphNode node) => node.Text.Length > 0 ? node.Text : node.Label;

    /// <summary>"32 + 16 = 48 along axis 0": a concat's size on its joined axis as the sum of its parts'; null when a part is unknown.</summary>
    private static string? ConcatSum(GraphNode node, Dim[][] shapes)
    {
        var parts = new List<Dim[]>(node.Parts.Count);
        foreach (int p in node.Parts)
        {
            if (shapes[p] is not { Length: > 1 } shape) return null;
            parts.Add(shape);
        }
        int rank = parts[0].Length - 1;
        int axis = node.Axis < 0 ? rank + node.Axis : node.Axis;
        if (axis < 0 || axis >= rank || parts.Any(p => p.Length != parts[0].Length)) return null;
        string sum = $"{string.Join(" + ", parts.Select(p => p[axis + 1].ToString()))} = {Dim.Sum(parts, axis + 1)}";
        return rank == 1 ? sum : $"{sum} along axis {I(axis)}";
    }

    /// <summary>A per-sample shape as message text, e.g. "[1, 28, 28]".</summary>
    public static string Text(EquatableArray<int> shape)
    {
        var text = new System.Text.StringBuilder("[");
        for (int i = 0; i < shape.Count; i++) text.Append(i == 0 ? "" : ", ").Append(I(shape[i]));
        return text.Append(']').ToString();
    }

    public static string Text(IEnumerable<int> shape) => Text(shape.ToEquatableArray());

    /// <summary>The per-sample part of a shape as text, e.g. "[1, 8, 8]" (the batch is implied in messages).</summary>
    internal static string SampleText(Dim[] shape) => "[" + string.Join(", ", shape.Skip(1).Select(d => d.ToString())) + "]";
}
