using System;
using System.Collections.Generic;
using ModelGen.FrontEnd;

namespace ModelGen.Generators.Emit;

// The backward kernels, in reverse graph order: parameter gradients accumulate (+=), so a shared layer just works.
// The dispatch over LayerKind has no default arm; views (Flatten, Reshape) share their input's gradient and never get here.
internal sealed partial class CudaEmitter
{
    private void AddBackward(int n)
    {
        var node = _spec.Graph.Nodes[n];
        string dy = Grad(n);
        string count = $"batch * {I(Size(n))}LL";
        switch (node.Kind)
        {
            case NodeKind.Add:
            case NodeKind.Multiply:
            {
                bool add = node.Kind == NodeKind.Add;
                var body = new List<string>();
                if (GradOf(node.A) is { } ga) body.Add(add ? $"mg::add_into({dy}, {ga}, {count});" : $"mg::multiply_add_into({dy}, {Value(node.B)}, {ga}, {count});");
                if (GradOf(node.B) is { } gb) body.Add(add ? $"mg::add_into({dy}, {gb}, {count});" : $"mg::multiply_add_into({dy}, {Value(node.A)}, {gb}, {count});");
                // Both sides may be one value (x + x): the two statements then run one after the other in one thread, never racing.
                Add(Backward, new Kernel(KernelName(n, "backward"), add
                    ? $"{Label(n)} = {Label(node.A)} + {Label(node.B)}: the gradient flows to both"
                    : $"{Label(n)} = {Label(node.A)} * {Label(node.B)}: each side gets the gradient times the other",
                    body.ToArray(), Size(n), 0, Elements));
                return;
            }
            case NodeKind.Concat:
                AddConcatBackward(n);
                return;
            case NodeKind.Subtract:
            case NodeKind.Map:
                AddArithmeticBackward(n);
                return;
            case NodeKind.RandomNormal:
                return;
            case NodeKind.Sum:
            case NodeKind.Mean:
                AddReductionBackward(n);
                return;
            case NodeKind.Layer:
                LayerBackward(_spec.Layers[node.Layer].Kind)(n);
                return;
        }
    }

    /// <summary>The backward kernels of a layer call of <paramref name="kind"/>.</summary>
    private Action<int> LayerBackward(LayerKind kind) => kind switch
    {
        LayerKind.Dense => AddDenseBackward,
        LayerKind.Conv2d => AddConv2dBackward,
        LayerKind.MaxPool2d or LayerKind.AvgPool2d or LayerKind.GlobalAvgPool => AddPoolBackward,
        LayerKind.LayerNorm => AddLayerNormBackward,
        LayerKind.BatchNorm => AddBatchNormBackward,
        LayerKind.Dropout => AddDropoutBackward,
        LayerKind.Flatten or LayerKind.Reshape => _ => { },
        LayerKind.Conv1d => AddConv1dBackward,
        LayerKind.GroupNorm => AddGroupNormBackward,
        LayerKind.LSTM or LayerKind.GRU => AddRecurrentBackward,
        LayerKind.Embedding => AddEmbeddingBackward,
        LayerKind.PositionalEmbedding => AddPositionalEmbeddingBackward,
        LayerKind.MultiHeadAttention => AddAttentionBackward,
        LayerKind.ConvTranspose2d => AddConvTransposeBackward,
        LayerKind.Upsample => AddUpsampleBackward,
        LayerKind.CrossAttention => throw NoKernels(kind),
    };

    /// <summary>Dense and convolutions: the activation's derivative, applied to the output gradient in place.</summary>
    private void AddActivationBackward(int n, ActivationKind activation, double negativeSlope)
    {
        if (activation == ActivationKind.None) return;
        Add(Backward, new Kernel(KernelName(n, "backward_activation"), $"{Label(n)}: back through {activation}, in place",
            new[] { $"mg::activation_backward<{Act(activation)}>({Own(n, "Pre")}, {Value(n)}, {Grad(n)}, {Grad(n)}, batch * {I(Size(n))}LL, {Slope(activation, negativeSlope)});" }, Size(n), 0, Elements));
    }

    private void AddDenseBackward(int n)
    {
        var node = _spec.Graph.Nodes[n];
        var layer = (DenseLayer)_spec.Layers[node.Layer];
        var lp = _plan.Layers[node.Layer];
        string dy = Grad(n), to = Label(node.A), name = Ascii(layer.Name);
        AddActivationBackward(n, layer.Activation, layer.NegativeSlope);
        string desc = $"Dense({Literals.Int(layer.Units)}{ActText(layer.Activation)})";
        string rows = Rows(Size(n) / lp.OutFeatures);
        Add(Backward, new Kernel(KernelName(n, "backward_weights"), $"{Label(n)}: {desc} weight gradient, dW += {to}ᵀ·d{Label(n)}",
            new[] { $"mg::gemm<true, false>({Value(node.A)}, {dy}, {I(lp.InFeatures)}, {I(lp.OutFeatures)}, {rows}, mg::StoreEpilogue<true>{{gradients(offset::{name}Weights), {I(lp.OutFeatures)}}});" },
            0, (long)lp.InFeatures * lp.OutFeatures, Tile));
        if (layer.Bias)
            Add(Backward, new Kernel(KernelName(n, "backward_bias"), $"{Label(n)}: {desc} bias gradient, the column sums of d{Label(n)}",
                new[] { $"mg::column_sums_into({dy}, gradients(offset::{name}Bias), {rows}, {I(lp.OutFeatures)});" }, 0, lp.OutFeatures, Elements));
        if (GradOf(node.A) is { } dx)
            Add(Backward, new Kernel(KernelName(n, "backward_data"), $"{Label(n)}: back through {desc} to {to}, d{to} += d{Label(n)}·Wᵀ",
                new[] { $"mg::gemm<false, true>({dy}, parameters(offset::{name}Weights), {rows}, {I(lp.InFeatures)}, {I(lp.OutFeatures)}, mg::StoreEpilogue<true>{{{dx}, {I(lp.InFeatures)}}});" },
                Size(node.A), 0, Tile));
    }

    private void AddConv2dBackward(int n)
    {
        var node = _spec.Graph.Nodes[n];
        var layer = (ConvLayer)_spec.Layers[node.Layer];
        var lp = _plan.Layers[node.Layer];
        string dy = Grad(n), name = Ascii(layer.Name);
        AddActivationBackward(n, layer.Activation, layer.NegativeSlope);
        string db = layer.Bias ? $"gradients(offset::{name}Bias)" : "nullptr";
        Add(Backward, new Kernel(KernelName(n, "backward_parameters"), $"{Label(n)}: Conv2d weight{(layer.Bias ? " and bias" : "")} gradients",
            new[] { $"mg::conv2d_backward_parameters<{ShapeType(n)}>({Value(node.A)}, {dy}, gradients(offset::{name}Weights), {db}, batch);" },
            0, lp.ParameterCount, Elements));
        if (GradOf(node.A) is { } dx)
            Add(Backward, new Kernel(KernelName(n, "backward_data"), $"{Label(n)}: back through Conv2d to {Label(node.A)}",
                new[] { $"mg::conv2d_backward_data<{ShapeType(n)}>(parameters(offset::{name}Weights), {dy}, {dx}, batch);" }, Size(node.A), 0, Elements));
    }

    /// <summary>MaxPool2d, AvgPool2d and GlobalAvgPool: only the input's gradient (nothing to learn).</summary>
    private void AddPoolBackward(int n)
    {
        var node = _spec.Graph.Nodes[n];
        var layer = _spec.Layers[node.Layer];
        if (GradOf(node.A) is not { } dx) return;
        string dy = Grad(n);
        var input = _plan.Nodes[node.A].Shape;
        string call = layer.Kind switch
        {
            LayerKind.MaxPool2d => $"mg::max_pool_backward<{ShapeType(n)}>({dy}, reinterpret_cast<const int*>({Own(n, "Winners")}), {dx}, batch);",
            LayerKind.AvgPool2d => $"mg::avg_pool_backward<{ShapeType(n)}>({dy}, {dx}, batch);",
            _ => $"mg::global_avg_pool_backward<{I(input[0])}, {I(input[1] * input[2])}>({dy}, {dx}, batch);",
        };
        Add(Backward, new Kernel(KernelName(n, "backward"), $"{Label(n)}: back through {layer.Kind} to {Label(node.A)}", new[] { call }, Size(node.A), 0, Elements));
    }

    private void AddLayerNormBackward(int n)
    {
        var node = _spec.Graph.Nodes[n];
        string name = Ascii(_spec.Layers[node.Layer].Name), x = Value(node.A), dy = Grad(n);
        int features = _plan.Layers[node.Layer].InFeatures;
        int rows = Size(n) / features;
        string saved = $"{Own(n, "Mean")}, {Own(n, "InvStd")}";
        Add(Backward, new Kernel(KernelName(n, "backward_parameters"), $"{Label(n)}: LayerNorm γ and β gradients",
            new[] { $"mg::layer_norm_backward_parameters<{I(features)}>({x}, {saved}, {dy}, gradients(offset::{name}Gamma), gradients(offset::{name}Beta), batch * {I(rows)}LL);" },
            0, features, Elements));
        if (GradOf(node.A) is { } dx)
            Add(Backward, new Kernel(KernelName(n, "backward_data"), $"{Label(n)}: back through LayerNorm to {Label(node.A)}",
                new[] { $"mg::layer_norm_backward_data<{I(features)}>({x}, parameters(offset::{name}Gamma), {saved}, {dy}, {dx}, batch * {I(rows)}LL);" },
                rows, 0, WarpRows));
    }

    private void AddBatchNormBackward(int n)
    {
        var node = _spec.Graph.Nodes[n];
        string name = Ascii(_spec.Layers[node.Layer].Name);
        int channels = _plan.Layers[node.Layer].InFeatures;
        Add(Backward, new Kernel(KernelName(n, "backward"), $"{Label(n)}: back through BatchNorm (batch statistics) to {Label(node.A)}, with the γ and β gradients",
            new[]
            {
                $"mg::batch_norm_backward<{I(channels)}, {I(Size(n) / channels)}>({Value(node.A)}, parameters(offset::{name}Gamma), {Own(n, "Mean")}, {Own(n, "InvStd")}, {Grad(n)}, {GradOf(node.A) ?? "nullptr"},",
                $"    gradients(offset::{name}Gamma), gradients(offset::{name}Beta), batch);",
            }, 0, channels, Blocks));
    }

    private void AddDropoutBackward(int n)
    {
        var node = _spec.Graph.Nodes[n];
        if (GradOf(node.A) is not { } dx) return;
        Add(Backward, new Kernel(KernelName(n, "backward"), $"{Label(n)}: back through Dropout (the kept elements, scaled) to {Label(node.A)}",
            new[] { $"mg::multiply_add_into({Grad(n)}, {Own(n, "Mask")}, {dx}, batch * {I(Size(n))}LL);" }, Size(n), 0, Elements));
    }
}
