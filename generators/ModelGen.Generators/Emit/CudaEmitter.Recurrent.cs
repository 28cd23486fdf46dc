using ModelGen.FrontEnd;

namespace ModelGen.Generators.Emit;

// Conv1d and GroupNorm (kernels/conv1d.cuh, norm.cuh), LSTM and GRU (kernels/recurrent.cuh).
internal sealed partial class CudaEmitter
{
    /// <summary>Which steps a recurrent call site runs: all of them, or each sample's own.</summary>
    private string StepsText(int input) => _plan.Nodes[input].Masked ? "each sample's own steps" : "the steps";

    private static string Conv1dTitle(ConvLayer layer) => $"Conv1d({Literals.Int(layer.Filters)}@{Literals.Int(layer.Window.Kernel)}{ActText(layer.Activation)})";

    private void AddConv1dForward(int n)
    {
        var node = _spec.Graph.Nodes[n];
        var layer = (ConvLayer)_spec.Layers[node.Layer];
        var input = _plan.Nodes[node.A].Shape;
        var s = layer.Window;
        var (left, right) = s.PaddingSides;
        string name = Ascii(layer.Name);
        _shapes.Add($"using {ShapeType(n)} = mg::Conv1dShape<{I(input[0])}, {I(input[1])}, {I(layer.Filters)}, {I(s.Kernel)}, {I(s.Stride)}, {I(left)}, {I(right)}, {I(s.Dilation)}, {I(s.Groups)}>;   // {Label(n)}: {Shape(node.A)} → {Shape(n)}");
        string b = layer.Bias ? $"parameters(offset::{name}Bias)" : "nullptr";
        string pre = _values.HasPre(n) ? Own(n, "Pre") : "nullptr";
        AddBoth(new Kernel(KernelName(n, "forward"), $"{Label(n)} = {Conv1dTitle(layer)}({Label(node.A)}): {Shape(node.A)} → {Shape(n)}",
            new[] { $"mg::conv1d_forward<{ShapeType(n)}, {Act(layer.Activation)}>({Value(node.A)}, parameters(offset::{name}Weights), {b}, {pre}, {Value(n)}, batch, {Slope(layer.Activation, layer.NegativeSlope)});" },
            Size(n), 0, Elements));
    }

    private void AddConv1dBackward(int n)
    {
        var node = _spec.Graph.Nodes[n];
        var layer = (ConvLayer)_spec.Layers[node.Layer];
        var lp = _plan.Layers[node.Layer];
        string dy = Grad(n), name = Ascii(layer.Name), to = Label(node.A);
        AddActivationBackward(n, layer.Activation, layer.NegativeSlope);
        string db = layer.Bias ? $"gradients(offset::{name}Bias)" : "nullptr";
        Add(Backward, new Kernel(KernelName(n, "backward_parameters"), $"{Label(n)}: Conv1d weight{(layer.Bias ? " and bias" : "")} gradients",
            new[] { $"mg::conv1d_backward_parameters<{ShapeType(n)}>({Value(node.A)}, {dy}, gradients(offset::{name}Weights), {db}, batch);" },
            0, lp.ParameterCount, Elements));
        if (GradOf(node.A) is { } dx)
            Add(Backward, new Kernel(KernelName(n, "backward_data"), $"{Label(n)}: back through Conv1d to {to}",
                new[] { $"mg::conv1d_backward_data<{ShapeType(n)}>(parameters(offset::{name}Weights), {dy}, {dx}, batch);" }, Size(node.A), 0, Elements));
    }

    /// <summary>The template arguments of a GroupNorm call site: channels, values per channel (1, a length or H·W), groups.</summary>
    private string GroupNormSizes(int n)
    {
        var layer = (GroupNormLayer)_values.LayerAt(n)!;
        int channels = _plan.Layers[_spec.Graph.Nodes[n].Layer].InFeatures;
        return $"{I(channels)}, {I(Size(n) / channels)}, {I(layer.Groups)}";
    }

    private void AddGroupNormForward(int n)
    {
        var node = _spec.Graph.Nodes[n];
        var layer = (GroupNormLayer)_spec.Layers[node.Layer];
        string name = Ascii(layer.Name);
        AddBoth(new Kernel(KernelName(n, "forward"), $"{Label(n)} = GroupNorm({Literals.Int(layer.Groups)} groups)({Label(node.A)}) over {I(_plan.Layers[node.Layer].InFeatures)} channels: {Shape(n)}",
            new[]
            {
                $"mg::group_norm_forward<{GroupNormSizes(n)}>({Value(node.A)}, parameters(offset::{name}Gamma), parameters(offset::{name}Beta), {Value(n)},",
                $"    {Own(n, "Mean")}, {Own(n, "InvStd")}, batch, {Float(layer.Epsilon)});",
            }, layer.Groups, 0, WarpRows));
    }

    private void AddGroupNormBackward(int n)
    {
        var node = _spec.Graph.Nodes[n];
        var layer = (GroupNormLayer)_spec.Layers[node.Layer];
        string name = Ascii(layer.Name), dy = Grad(n);
        string saved = $"{Own(n, "Mean")}, {Own(n, "InvStd")}";
        Add(Backward, new Kernel(KernelName(n, "backward_parameters"), $"{Label(n)}: GroupNorm γ and β gradients",
            new[] { $"mg::group_norm_backward_parameters<{GroupNormSizes(n)}>({Value(node.A)}, {saved}, {dy}, gradients(offset::{name}Gamma), gradients(offset::{name}Beta), batch);" },
            0, _plan.Layers[node.Layer].InFeatures, Elements));
        if (GradOf(node.A) is { } dx)
            Add(Backward, new Kernel(KernelName(n, "backward_data"), $"{Label(n)}: back through GroupNorm to {Label(node.A)}",
                new[] { $"mg::group_norm_backward_data<{GroupNormSizes(n)}>({Value(node.A)}, parameters(offset::{name}Gamma), {saved}, {dy}, {dx}, batch);" },
                layer.Groups, 0, WarpRows));
    }

    private string RecurrentType(int n) => Pascal(Label(n)) + "Recurrence";

    /// <summary>Steps, input features, hidden size, directions and gate width (gates·hidden) of call site <paramref name="n"/>.</summary>
    private (int Steps, int Inputs, int Hidden, int Directions, int GateWidth) RecurrentSizes(int n)
    {
        var layer = (RecurrentLayer)_values.LayerAt(n)!;
        var input = _plan.Nodes[_spec.Graph.Nodes[n].A].Shape;
        return (input[0], input[1], layer.HiddenSize, layer.Directions, layer.Gates * layer.HiddenSize);
    }

    /// <summary>
    /// What forward saves for back-propagation through time and backward's scratch, each
    /// [directions, batch, steps, width] (see kernels/recurrent.cuh).
    /// </summary>
    private void AddRecurrentBuffers(int n, string label)
    {
        var (steps, _, hidden, directions, gateWidth) = RecurrentSizes(n);
        bool lstm = _values.LayerAt(n)!.Kind == LayerKind.LSTM;
        AddBuffer(label + "Gates", directions * steps * gateWidth, 0);
        AddBuffer(label + (lstm ? "Cells" : "Candidates"), directions * steps * hidden, 0);
        AddBuffer(label + "Previous", directions * steps * hidden, 0);
        if (!_plan.Nodes[n].RequiresGradient) return;
        AddBuffer(label + "GateGrads", directions * steps * gateWidth, 0);
        if (!lstm) AddBuffer(label + "HiddenGateGrads", directions * steps * gateWidth, 0);
        AddBuffer(label + "StateGrads", directions * (lstm ? 2 : 1) * hidden, 0);
    }

    private void AddRecurrentForward(int n)
    {
        var node = _spec.Graph.Nodes[n];
        var layer = (RecurrentLayer)_spec.Layers[node.Layer];
        var (steps, inputs, hidden, directions, gateWidth) = RecurrentSizes(n);
        bool lstm = layer.Kind == LayerKind.LSTM, sequences = layer.ReturnSequences;
        string label = Label(n), type = RecurrentType(n), parameters = $"parameters(offset::{Ascii(layer.Name)}Parameters)";
        string what = sequences ? "every step" : directions == 2 ? "the last states of both directions" : "the last state";
        _recurrentShapes.Add($"using {type} = mg::{(lstm ? "Lstm" : "Gru")}Shape<{I(inputs)}, {I(steps)}, {I(hidden)}, {I(directions)}, {(sequences ? "true" : "false")}>;   // {label}: {Shape(node.A)} → {Shape(n)}, {what}");
        string title = $"{label} = {LayerText.Recurrent(layer)}({Label(node.A)})";
        AddBoth(new Kernel(KernelName(n, "forward_inputs"), $"{title}, 1 of 2: every step's input projection, {Label(node.A)}·W_ih + b_ih{(directions == 2 ? " for each direction" : "")}",
            new[] { $"mg::recurrent_input_projection<{type}>({Value(node.A)}, {parameters}, {Own(n, "Gates")}, batch);" }, (long)directions * steps * gateWidth, 0, Tile));
        string saved = lstm ? Own(n, "Cells") : Own(n, "Candidates");
        AddBoth(new Kernel(KernelName(n, "forward"), $"{label}, 2 of 2: {StepsText(node.A)} in order, one block per sample{(directions == 2 ? " and direction" : "")}: {Shape(node.A)} → {Shape(n)}, {what}",
            new[]
            {
                $"mg::{(lstm ? "lstm" : "gru")}_forward_steps<{type}>({parameters},",
                $"    {Own(n, "Gates")}, {saved}, {Own(n, "Previous")}, {Value(n)}, batch{LengthsArgument(node.A)});",
            }, directions, 0, Blocks));
    }

    private void AddRecurrentBackward(int n)
    {
        var node = _spec.Graph.Nodes[n];
        var layer = (RecurrentLayer)_spec.Layers[node.Layer];
        var (steps, inputs, hidden, directions, gateWidth) = RecurrentSizes(n);
        bool lstm = layer.Kind == LayerKind.LSTM;
        string label = Label(n), type = RecurrentType(n), name = Ascii(layer.Name), to = Label(node.A);
        string parameters = $"parameters(offset::{name}Parameters)", gradients = $"gradients(offset::{name}Parameters)";
        string gates = Own(n, "Gates"), dgi = Own(n, "GateGrads"), dgh = lstm ? dgi : Own(n, "HiddenGateGrads");
        string each = directions == 2 ? " and direction" : "";
        Add(Backward, new Kernel(KernelName(n, "backward_steps"), lstm
                ? $"{label}: back through time in {LayerText.Recurrent(layer)}, {StepsText(node.A)} in reverse, one block per sample{each}: every step's gate gradients"
                : $"{label}: back through time in {LayerText.Recurrent(layer)}, {StepsText(node.A)} in reverse, one block per sample{each}: every step's gate gradients, input and recurrent side",
            lstm
                ? new[]
                {
                    $"mg::lstm_backward_steps<{type}>({parameters}, {gates}, {Own(n, "Cells")},",
                    $"    {Grad(n)}, {dgi}, {Own(n, "StateGrads")}, batch{LengthsArgument(node.A)});",
                }
                : new[]
                {
                    $"mg::gru_backward_steps<{type}>({parameters}, {gates}, {Own(n, "Candidates")}, {Own(n, "Previous")},",
                    $"    {Grad(n)}, {dgi}, {dgh}, {Own(n, "StateGrads")}, batch{LengthsArgument(node.A)});",
                }, directions, 0, Blocks));
        string dG = lstm ? "dG" : "dG_i";
        Add(Backward, new Kernel(KernelName(n, "backward_weights"), $"{label}: W_ih and W_hh gradients over every step, dW_ih += {to}ᵀ·{dG}, dW_hh += h_prevᵀ·{(lstm ? "dG" : "dG_h")}",
            new[]
            {
                $"mg::recurrent_backward_weights<{type}>({Value(node.A)}, {Own(n, "Previous")},",
                $"    {dgi}, {dgh}, {gradients}, batch);",
            },
            0, (long)directions * (inputs + hidden) * gateWidth, Tile));
        Add(Backward, new Kernel(KernelName(n, "backward_bias"), $"{label}: b_ih and b_hh gradients, the column sums of the gate gradients",
            new[] { $"mg::recurrent_backward_bias<{type}>({dgi}, {dgh}, {gradients}, batch);" }, 0, gateWidth, Elements));
        if (GradOf(node.A) is not { } dx) return;
        for (int d = 0; d < directions; d++)
            Add(Backward, new Kernel(KernelName(n, d == 0 ? "backward_data" : "backward_data_reverse"),
                $"{label}: back through {LayerText.Recurrent(layer)} to {to}{(directions == 2 ? d == 0 ? ", forward direction" : ", reverse direction" : "")}, d{to} += {dG}·W_ihᵀ",
                new[] { $"mg::recurrent_backward_data<{type}, {I(d)}>({dgi}, {parameters}, {dx}, batch);" }, (long)steps * inputs, 0, Tile));
    }
}
