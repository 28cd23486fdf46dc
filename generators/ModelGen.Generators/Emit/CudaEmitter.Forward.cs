using System;
using ModelGen.FrontEnd;

namespace ModelGen.Generators.Emit;

// The forward kernels of every live node (inference and training variants side by side), and the loss of a model with
// one output. The dispatch over LayerKind has no default arm; the families with files of their own write their kernels there.
internal sealed partial class CudaEmitter
{
    private void AddForward(int n)
    {
        var node = _spec.Graph.Nodes[n];
        switch (node.Kind)
        {
            case NodeKind.Add:
            case NodeKind.Multiply:
            {
                string op = node.Kind == NodeKind.Add ? "add" : "multiply";
                AddBoth(new Kernel(KernelName(n, "forward"), $"{Label(n)} = {Label(node.A)} {(node.Kind == NodeKind.Add ? "+" : "*")} {Label(node.B)}: {Shape(n)}",
                    new[] { $"mg::{op}({Value(node.A)}, {Value(node.B)}, {Value(n)}, batch * {I(Size(n))}LL);" }, Size(n), 0, Elements));
                return;
            }
            case NodeKind.NamedInput:
                AddUnpackInputs(n);
                return;
            case NodeKind.Concat:
                AddConcatForward(n);
                return;
            case NodeKind.Subtract:
            case NodeKind.Map:
                AddArithmeticForward(n);
                return;
            case NodeKind.RandomNormal:
                return;   // UnsupportedReason keeps such models on the CPU
            case NodeKind.Sum:
            case NodeKind.Mean:
                AddReductionForward(n);
                return;
            case NodeKind.Layer:
                LayerForward(_spec.Layers[node.Layer].Kind)(n);
                return;
        }
    }

    /// <summary>The forward kernels of a layer call of <paramref name="kind"/>.</summary>
    private Action<int> LayerForward(LayerKind kind) => kind switch
    {
        LayerKind.Dense => AddDenseForward,
        LayerKind.Conv2d => AddConv2dForward,
        LayerKind.MaxPool2d or LayerKind.AvgPool2d => AddPoolForward,
        LayerKind.GlobalAvgPool => AddGlobalAvgPoolForward,
        LayerKind.LayerNorm => AddLayerNormForward,
        LayerKind.BatchNorm => AddBatchNormForward,
        LayerKind.Dropout => AddDropoutForward,
        LayerKind.Flatten or LayerKind.Reshape => _ => { },   // a view: its value is its input's memory
        LayerKind.Conv1d => AddConv1dForward,
        LayerKind.GroupNorm => AddGroupNormForward,
        LayerKind.LSTM or LayerKind.GRU => AddRecurrentForward,
        LayerKind.Embedding => AddEmbeddingForward,
        LayerKind.PositionalEmbedding => AddPositionalEmbeddingForward,
        LayerKind.MultiHeadAttention => AddAttentionForward,
        LayerKind.ConvTranspose2d => AddConvTransposeForward,
        LayerKind.Upsample => AddUpsampleForward,
        LayerKind.CrossAttention => throw NoKernels(kind),
    };

    /// <summary>"hidden): [batch, 64] → [batch, 128]": the end of a forward kernel's title.</summary>
    private string From(int n) => $"{Label(_spec.Graph.Nodes[n].A)}): {Shape(_spec.Graph.Nodes[n].A)} → {Shape(n)}";

    private void AddDenseForward(int n)
    {
        var node = _spec.Graph.Nodes[n];
        var layer = (DenseLayer)_spec.Layers[node.Layer];
        var lp = _plan.Layers[node.Layer];
        string b = layer.Bias ? $"parameters(offset::{Ascii(layer.Name)}Bias)" : "nullptr";
        string pre = _values.HasPre(n) ? Own(n, "Pre") : "nullptr";
        // Over [sequence, features] every position is a row of the product.
        AddBoth(new Kernel(KernelName(n, "forward"), $"{Label(n)} = Dense({Literals.Int(layer.Units)}{ActText(layer.Activation)})({From(n)}",
            new[]
            {
                $"mg::gemm<false, false>({Value(node.A)}, parameters(offset::{Ascii(layer.Name)}Weights), {Rows(Size(n) / lp.OutFeatures)}, {I(lp.OutFeatures)}, {I(lp.InFeatures)},",
                $"    mg::BiasActivationEpilogue<{Act(layer.Activation)}>{{{b}, {pre}, {Value(n)}, {I(lp.OutFeatures)}, {Slope(layer.Activation, layer.NegativeSlope)}}});",
            }, Size(n), 0, Tile));
    }

    private void AddConv2dForward(int n)
    {
        var node = _spec.Graph.Nodes[n];
        var layer = (ConvLayer)_spec.Layers[node.Layer];
        var input = _plan.Nodes[node.A].Shape;
        var s = layer.Window;
        int padding = s.PaddingSides.Before;   // 'same' is symmetric here: MG0104 requires an odd span
        string b = layer.Bias ? $"parameters(offset::{Ascii(layer.Name)}Bias)" : "nullptr";
        string pre = _values.HasPre(n) ? Own(n, "Pre") : "nullptr";
        _shapes.Add($"using {ShapeType(n)} = mg::ConvShape<{I(input[0])}, {I(input[1])}, {I(input[2])}, {I(layer.Filters)}, {I(s.Kernel)}, {I(s.Stride)}, {I(padding)}, {I(s.Dilation)}, {I(s.Groups)}>;   // {Label(n)}: {Shape(node.A)} → {Shape(n)}");
        AddBoth(new Kernel(KernelName(n, "forward"), $"{Label(n)} = Conv2d({Literals.Int(layer.Filters)}@{Literals.Int(s.Kernel)}×{Literals.Int(s.Kernel)}{ActText(layer.Activation)})({From(n)}",
            new[] { $"mg::conv2d_forward<{ShapeType(n)}, {Act(layer.Activation)}>({Value(node.A)}, parameters(offset::{Ascii(layer.Name)}Weights), {b}, {pre}, {Value(n)}, batch, {Slope(layer.Activation, layer.NegativeSlope)});" }, Size(n), 0, Elements));
    }

    private void AddPoolForward(int n)
    {
        var node = _spec.Graph.Nodes[n];
        var layer = (PoolLayer)_spec.Layers[node.Layer];
        var input = _plan.Nodes[node.A].Shape;
        var s = layer.Window;
        _shapes.Add($"using {ShapeType(n)} = mg::PoolShape<{I(input[0])}, {I(input[1])}, {I(input[2])}, {I(s.Kernel)}, {I(s.Stride)}, {I(s.Padding)}>;   // {Label(n)}: {Shape(node.A)} → {Shape(n)}");
        string call = layer.Kind == LayerKind.MaxPool2d
            ? $"mg::max_pool_forward<{ShapeType(n)}>({Value(node.A)}, {Value(n)}, reinterpret_cast<int*>({Own(n, "Winners")}), batch);"
            : $"mg::avg_pool_forward<{ShapeType(n)}>({Value(node.A)}, {Value(n)}, batch);";
        AddBoth(new Kernel(KernelName(n, "forward"), $"{Label(n)} = {layer.Kind}({Literals.Int(s.Kernel)}×{Literals.Int(s.Kernel)})({From(n)}",
            new[] { call }, Size(n), 0, Elements));
    }

    private void AddGlobalAvgPoolForward(int n)
    {
        var node = _spec.Graph.Nodes[n];
        var input = _plan.Nodes[node.A].Shape;
        AddBoth(new Kernel(KernelName(n, "forward"), $"{Label(n)} = GlobalAvgPool({From(n)}",
            new[] { $"mg::global_avg_pool_forward<{I(input[0])}, {I(input[1] * input[2])}>({Value(node.A)}, {Value(n)}, batch);" }, Size(n), 0, Elements));
    }

    private void AddLayerNormForward(int n)
    {
        var node = _spec.Graph.Nodes[n];
        var layer = (NormLayer)_spec.Layers[node.Layer];
        int features = _plan.Layers[node.Layer].InFeatures;
        int rows = Size(n) / features;
        AddBoth(new Kernel(KernelName(n, "forward"), $"{Label(n)} = LayerNorm({Label(node.A)}) over the last {I(features)}: {Shape(n)}",
            new[]
            {
                $"mg::layer_norm_forward<{I(features)}>({Value(node.A)}, parameters(offset::{Ascii(layer.Name)}Gamma), parameters(offset::{Ascii(layer.Name)}Beta), {Value(n)},",
                $"    {Own(n, "Mean")}, {Own(n, "InvStd")}, batch * {I(rows)}LL, {Float(layer.Epsilon)});",
            }, rows, 0, WarpRows));
    }

    private void AddBatchNormForward(int n)
    {
        var node = _spec.Graph.Nodes[n];
        var layer = (NormLayer)_spec.Layers[node.Layer];
        int channels = _plan.Layers[node.Layer].InFeatures;
        int spatial = Size(n) / channels;
        string name = Ascii(layer.Name), x = Value(node.A), y = Value(n);
        string gb = $"parameters(offset::{name}Gamma), parameters(offset::{name}Beta)";
        string running = $"state(offset::{name}RunningMean), state(offset::{name}RunningVar)";
        Add(Inference, new Kernel(KernelName(n, "forward"), $"{Label(n)} = BatchNorm({Label(node.A)}) over {I(channels)} channels, with the running statistics",
            new[] { $"mg::batch_norm_forward_eval<{I(channels)}, {I(spatial)}>({x}, {gb}, {running}, {y}, batch, {Float(layer.Epsilon)});" }, Size(n), 0, Elements));
        Add(Training, new Kernel(KernelName(n, "forward_train"), $"{Label(n)} = BatchNorm({Label(node.A)}) with the batch statistics, moving the running ones",
            new[]
            {
                $"mg::batch_norm_forward_train<{I(channels)}, {I(spatial)}>({x}, {gb}, {running}, {y},",
                $"    {Own(n, "Mean")}, {Own(n, "InvStd")}, batch, {Float(layer.Momentum)}, {Float(layer.Epsilon)});",
            }, 0, channels, Blocks));
    }

    private void AddDropoutForward(int n)
    {
        var node = _spec.Graph.Nodes[n];
        var layer = (DropoutLayer)_spec.Layers[node.Layer];
        string count = $"batch * {I(Size(n))}LL";
        Add(Inference, new Kernel(KernelName(n, "forward"), $"{Label(n)} = Dropout({Literals.FromFloat(layer.Rate)})({Label(node.A)}) outside training: a copy",
            new[] { $"mg::copy({Value(node.A)}, {Value(n)}, {count});" }, Size(n), 0, Elements));
        Add(Training, new Kernel(KernelName(n, "forward_train"), $"{Label(n)} = Dropout({Literals.FromFloat(layer.Rate)})({Label(node.A)}): a fresh mask per launch seed",
            new[] { $"mg::dropout_forward({Value(node.A)}, {Value(n)}, {Own(n, "Mask")}, {count}, {Float(layer.Rate)}, seed, {I(n)}ull);" }, Size(n), 0, Elements));
    }

    /// <summary>The loss of the one output, and its mean over the batch (or over the positions of a [sequence, classes] output).</summary>
    private void AddLoss()
    {
        int output = _spec.Graph.Output;
        int width = Size(output);
        string o = Value(output);
        string g = _plan.Nodes[output].RequiresGradient ? $"training ? {Grad(output)} : nullptr" : "nullptr";
        string rows = "buffer(slot::loss_rows)";
        string call;
        bool softmax = _spec.Loss == LossKind.SoftmaxCrossEntropy;
        int labels = LabelsPerSample;   // a [sequence, classes] output has one label per position: each position is a row
        string lossRows = Rows(labels);
        if (_plan.Nodes[output].Masked)
        {
            AddMaskedLoss(output, g);
            return;
        }
        if (softmax)
            call = $"mg::softmax_cross_entropy<{I(width / labels)}>({o}, buffer(slot::targets), {g}, {rows}, {lossRows});";
        else
            call = $"mg::elementwise_loss<mg::Elementwise::{ElementwiseKind(_spec.Loss)}, {I(width)}>({o}, buffer(slot::targets), {g}, {rows}, batch, {ElementwiseParameter(_spec.Loss, _spec.HuberDelta, _spec.PosWeight)});";
        string where = _lossInPlace >= 0 ? $", written over {Label(output)} itself (backward does not read the outputs)" : "";
        string per = softmax && labels > 1 ? $"per position ({I(labels)} labels per sample)" : "per sample row";
        Add(Loss, new Kernel("modelgen_loss", $"{_spec.Loss} {per} and, in training, its gradient d(mean loss)/d({Label(output)}){where}",
            new[] { call }, softmax ? labels : 1, 0, softmax ? WarpRows : Elements));
        string scale = !softmax ? "1.0f" : labels == 1 ? "1.0f / (float)batch" : $"1.0f / (float)({lossRows})";
        Add(Loss, new Kernel("modelgen_loss_mean", $"The mean loss over the {(softmax && labels > 1 ? "positions of the " : "")}batch, summed in order by one block",
            new[] { $"mg::mean_loss({rows}, buffer(slot::loss), {(softmax ? lossRows : "batch")}, {scale});" }, 0, 1, Blocks));
    }
}
