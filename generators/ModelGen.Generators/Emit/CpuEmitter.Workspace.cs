using System;
using System.Collections.Generic;
using System.Linq;
using ModelGen.FrontEnd;
using static ModelGen.FrontEnd.TargetLayout;

namespace ModelGen.Generators.Emit;

// The fused Graph<T>: its constants (parameter and state offsets, slopes, epsilons), the geometry of each call site,
// its workspace (fields and the constructor that allocates them) and the ModelGraph overrides. RunForward and
// RunBackward are written by CpuEmitter.Forward.cs and CpuEmitter.Backward.cs.
internal static partial class CpuEmitter
{
    private static void WriteGraph(IndentedWriter w, ValueNames names)
    {
        w.Lines($$"""
            /// <summary>
            /// The fused computation of {{names.Spec.TypeName}} for element type <typeparamref name="T"/>: float for training,
            /// double for gradient checks. Sizes are compile-time constants; buffers are allocated once per graph.
            /// </summary>
            public sealed unsafe class Graph<T> : ModelGraph<T>
                where T : unmanaged, IFloatingPointIeee754<T>
            {
            """);
        w.Indent();
        WriteParameterOffsets(w, names);
        WriteConstants(w, names);
        w.Line();
        WriteGeometry(w, names);
        WriteFields(w, names);
        w.Line();
        WriteConstructor(w, names);
        w.Line();
        WriteOverrides(w, names);
        WriteForward(w, names);
        w.Line();
        WriteInference(w, names);
        w.Line();
        WriteBackward(w, names);
        WriteGeneration(w, names);
        w.CloseBrace();
    }

    private static void WriteParameterOffsets(IndentedWriter w, ValueNames names)
    {
        w.Line("// Offsets into the flat parameter (and gradient) buffer.");
        for (int l = 0; l < names.Spec.Layers.Count; l++)
        {
            var layer = names.Spec.Layers[l];
            Action<IndentedWriter, LayerSpec, LayerPlan> write = layer.Kind switch
            {
                LayerKind.Dense or LayerKind.Conv2d => WriteWeightOffsets,
                // A Conv1d without parameters is never called (its input width is unknown): no constants.
                LayerKind.Conv1d => (w, layer, lp) => { if (lp.ParameterCount > 0) WriteWeightOffsets(w, layer, lp); },
                LayerKind.LayerNorm or LayerKind.BatchNorm or LayerKind.GroupNorm => WriteGammaBetaOffsets,
                LayerKind.LSTM or LayerKind.GRU => WriteRecurrentOffsets,
                LayerKind.Embedding or LayerKind.PositionalEmbedding or LayerKind.MultiHeadAttention => WriteSequenceOffsets,
                LayerKind.CrossAttention => WriteCrossAttentionOffsets,
                LayerKind.Flatten or LayerKind.Reshape or LayerKind.MaxPool2d or LayerKind.AvgPool2d or LayerKind.GlobalAvgPool or LayerKind.Dropout => (_, _, _) => { },
                // Like Conv1d: without parameters it is never called.
                LayerKind.ConvTranspose2d => (w, layer, lp) => { if (lp.ParameterCount > 0) WriteWeightOffsets(w, layer, lp); },
                LayerKind.Upsample => (_, _, _) => { },
            };
            write(w, layer, names.Shapes.Layers[l]);
        }
    }

    /// <summary>Dense and convolutions: weights (as stored), then the bias.</summary>
    private static void WriteWeightOffsets(IndentedWriter w, LayerSpec layer, LayerPlan lp)
    {
        w.Line($"private const int {layer.Name}Weights = {Literals.Int(lp.WeightOffset)};   // {FlatShape(lp.Slice(SliceRole.Weight)!.Shape)}");
        if (lp.Slice(SliceRole.Bias) is { } bias) w.Line($"private const int {layer.Name}Bias = {Literals.Int(bias.Offset)};   // {FlatShape(bias.Shape)}");
    }

    private static void WriteGammaBetaOffsets(IndentedWriter w, LayerSpec layer, LayerPlan lp)
    {
        w.Line($"private const int {layer.Name}Gamma = {Literals.Int(lp.WeightOffset)};   // [{Literals.Int(lp.InFeatures)}]");
        w.Line($"private const int {layer.Name}Beta = {Literals.Int(lp.BiasOffset)};   // [{Literals.Int(lp.InFeatures)}]");
    }

    /// <summary>State offsets, LeakyReLU slopes, norm epsilons and momenta, loss weights.</summary>
    private static void WriteConstants(IndentedWriter w, ValueNames names)
    {
        var spec = names.Spec;
        if (names.Shapes.TotalState > 0)
        {
            w.Line();
            w.Line("// Offsets into the state buffer: running statistics, learned in training mode, not by the optimizer.");
            for (int l = 0; l < spec.Layers.Count; l++)
                foreach (var slice in names.Shapes.Layers[l].State)
                    w.Line($"private const int {spec.Layers[l].Name}{slice.Role} = {Literals.Int(slice.Offset)};   // {FlatShape(slice.Shape)}");
        }
        var slopes = spec.Layers.Where(l => ActivationOf(l) == ActivationKind.LeakyReLU).ToList();
        var epsilons = spec.Layers.Select(l => (l.Name, Epsilon: l switch { NormLayer norm => norm.Epsilon, GroupNormLayer group => group.Epsilon, _ => double.NaN }))
            .Where(l => !double.IsNaN(l.Epsilon)).ToList();
        if (slopes.Count + epsilons.Count > 0)
        {
            w.Line();
            foreach (var layer in slopes)
                w.Line($"private static readonly T {layer.Name}Slope = T.CreateTruncating({Literals.FromFloat(layer switch { ConvLayer conv => conv.NegativeSlope, ConvTransposeLayer transposed => transposed.NegativeSlope, _ => ((DenseLayer)layer).NegativeSlope })});");
            foreach (var (name, epsilon) in epsilons)
                w.Line($"private static readonly T {name}Epsilon = T.CreateTruncating({Literals.FromFloat(epsilon)});");
            foreach (var layer in spec.Layers.OfType<NormLayer>().Where(l => l.Kind == LayerKind.BatchNorm))
                w.Line($"private static readonly T {layer.Name}Momentum = T.CreateTruncating({Literals.FromFloat(layer.Momentum)});");
        }
        WriteLossConstants(w, spec);
        WriteLossTermConstants(w, spec);
    }

    /// <summary>One static geometry function per convolution, pooling and recurrent call site.</summary>
    private static void WriteGeometry(IndentedWriter w, ValueNames names)
    {
        var nodes = names.Plan.Nodes;
        WriteShapeFunctions(w, "// Convolution geometry of each call site; the batch is the only size known at run time.", "Conv2dShape",
            names.Plan.CallSites(l => l.Kind == LayerKind.Conv2d),
            n => ConvGeometry((ConvLayer)names.Plan.LayerAt(n)!, names.Shapes.Nodes[nodes[n].A].Shape, "batch", "\n"), names);
        WriteShapeFunctions(w, "// Pooling geometry of each call site.", "Pool2dShape",
            names.Plan.CallSites(l => l is PoolLayer),
            n => PoolGeometry((PoolLayer)names.Plan.LayerAt(n)!, names.Shapes.Nodes[nodes[n].A].Shape, "batch", "\n"), names);
        WriteRecurrentFamilyShapeFunctions(w, names);
        WriteUpsamplingShapeFunctions(w, names);
    }

    /// <summary>Call sites of the convolutions, which share one workspace of unfolded patches.</summary>
    private static List<int> ConvolutionSites(ValueNames names) =>
        names.Plan.CallSites(l => l.Kind == LayerKind.Conv2d).Concat(names.Plan.CallSites(l => l.Kind == LayerKind.Conv1d))
            .Concat(names.Plan.CallSites(l => l.Kind == LayerKind.ConvTranspose2d)).ToList();

    private static void WriteFields(IndentedWriter w, ValueNames names)
    {
        var plan = names.Plan;
        w.Line("// Workspace, MaxBatch rows each: values, pre-activations and gradients.");
        for (int n = 1; n < plan.Nodes.Count; n++)
        {
            if (!plan.OwnsBuffers(n)) continue;
            w.Line($"private readonly T* {names.Value(n)};   // {names.Shape(n)}");
            if (names.HasPre(n)) w.Line($"private readonly T* {names.Pre(n)};");
            if (names.NeedsGradient(n)) w.Line($"private readonly T* {names.Grad(n)};");
        }
        if (ConvolutionSites(names).Count > 0) w.Line("private readonly T* _convWorkspace;   // unfolded patches, shared by every convolution");
        foreach (int n in plan.CallSites(l => l.Kind == LayerKind.LayerNorm)) w.Line($"private readonly T* _{names.Label(n)}Mean, _{names.Label(n)}InvStd;   // per row, for backward");
        foreach (int n in plan.CallSites(l => l.Kind == LayerKind.BatchNorm)) w.Line($"private readonly T* _{names.Label(n)}Mean, _{names.Label(n)}InvStd;   // per channel, for backward");
        if (names.Shapes.TotalState > 0) w.Line("private readonly T* _state;   // running statistics (Model.State)");
        foreach (int n in plan.CallSites(l => l.Kind == LayerKind.Dropout)) w.Line($"private readonly T* _{names.Label(n)}Mask;   // scaled keep mask of the last training pass");
        foreach (int n in plan.CallSites(l => l.Kind == LayerKind.MaxPool2d)) w.Line($"private readonly int* _{names.Label(n)}Winners;   // which input won each window, for backward");
        WriteRecurrentFamilyFields(w, names);
        WriteSequenceFields(w, names);
        WriteCrossAttentionFields(w, names);
        if (plan.MaskingLayer is not null) w.Line("private readonly int* _lengths;   // each sample's length: one past its last non-padding id");
        WriteOutputFields(w, names.Spec, names.Shapes, names);
    }

    private static void WriteConstructor(IndentedWriter w, ValueNames names)
    {
        var plan = names.Plan;
        var spec = names.Spec;
        w.Line("/// <summary>Allocates the workspace for batches of up to <paramref name=\"maxBatch\"/> samples.</summary>");
        using (w.Block("public Graph(int maxBatch) : base(maxBatch)"))
        {
            for (int n = 1; n < plan.Nodes.Count; n++)
            {
                if (!plan.OwnsBuffers(n)) continue;
                string size = $"maxBatch * {Literals.Int(names.Shapes.Nodes[n].Size)}";
                w.Line($"{names.Value(n)} = Allocate({size});");
                if (names.HasPre(n)) w.Line($"{names.Pre(n)} = Allocate({size});");
                if (names.NeedsGradient(n)) w.Line($"{names.Grad(n)} = Allocate({size});");
            }
            WriteSavedAllocations(w, names, plan.CallSites(l => l.Kind == LayerKind.MaxPool2d));
            WriteSavedAllocations(w, names, plan.CallSites(l => l.Kind == LayerKind.LayerNorm));
            WriteSavedAllocations(w, names, plan.CallSites(l => l.Kind == LayerKind.Dropout));
            WriteSavedAllocations(w, names, plan.CallSites(l => l.Kind == LayerKind.BatchNorm));
            if (names.Shapes.TotalState > 0)
            {
                w.Line($"_state = AllocateState({Literals.Int(names.Shapes.TotalState)});");
                for (int l = 0; l < spec.Layers.Count; l++)
                    if (names.Shapes.Layers[l].Slice(SliceRole.RunningVar) is { } variance)
                        w.Line($"new Span<T>(_state + {spec.Layers[l].Name}RunningVar, {Literals.Int(variance.Count)}).Fill(T.One);   // running variance starts at 1, the mean at 0");
            }
            WriteRecurrentFamilyAllocations(w, names);
            WriteSequenceAllocations(w, names);
            WriteCrossAttentionAllocations(w, names);
            if (plan.MaskingLayer is not null) w.Line("_lengths = AllocateIndices(maxBatch);");
            var convolutions = ConvolutionSites(names);
            if (convolutions.Count > 0)
            {
                string largest = convolutions.Select(n => ConvolutionWorkspace(names, n))
                    .Aggregate((a, b) => $"Math.Max({a}, {b})");
                w.Line($"_convWorkspace = Allocate(checked((int){largest}));");
            }
            WriteOutputAllocations(w, spec, names.Shapes, names);
        }
    }

    /// <summary>The buffers each of the call sites <paramref name="callSites"/> saves for backward (statistics, masks, winners), for MaxBatch samples.</summary>
    private static void WriteSavedAllocations(IndentedWriter w, ValueNames names, List<int> callSites)
    {
        foreach (int n in callSites)
            foreach (var saved in names.Plan.Saved(n))
            {
                string size = saved.PerSample > 0 ? $"maxBatch * {Literals.Int(saved.PerSample)}" : Literals.Int(saved.Fixed);
                w.Line($"_{names.Label(n)}{saved.Suffix} = {(saved.IsInt ? "AllocateIndices" : "Allocate")}({size});");
            }
    }

    /// <summary>Sizes, the output buffer, and the entry points ModelGraph calls: ForwardCore, LossCore, TrainingLossCore, TrainStepCore.</summary>
    private static void WriteOverrides(IndentedWriter w, ValueNames names)
    {
        var spec = names.Spec;
        var plan = names.Shapes;
        string output = OutputValue(spec, names);
        w.Lines($"""
            /// <inheritdoc/>
            public override int InputSize => {Literals.Int(plan.Nodes[0].Size)};
            /// <inheritdoc/>
            public override int OutputSize => {Literals.Int(OutputWidth(spec, plan))};
            /// <inheritdoc/>
            public override int TargetSize => {Literals.Int(TargetWidth(spec, plan))};
            /// <inheritdoc/>
            public override int ParameterCount => TotalParameters;
            /// <inheritdoc/>
            public override int ParameterLayerCount => {Literals.Int(ParameterLayerCount(names))};
            /// <inheritdoc/>
            protected override T* OutputBuffer => {output};

            /// <inheritdoc/>
            """);
        bool modes = names.Plan.HasTrainingMode;
        string eval = modes ? ", training: false" : "";
        string train = modes ? ", training: true" : "";
        using (w.Block("protected override T* ForwardCore(T* parameters, T* input, int batch)"))
        {
            w.Line("RunInference(parameters, input, batch);");
            w.Line($"return {output};");
        }
        w.Line();
        w.Line("/// <inheritdoc/>");
        using (w.Block("protected override T LossCore(T* parameters, T* input, T* targets, int batch)"))
        {
            w.Line($"RunForward(parameters, input, batch{eval});");
            WriteLoss(w, spec, plan, names, gradients: false, "return");
        }
        w.Line();
        if (modes)
        {
            w.Line("/// <inheritdoc/>");
            using (w.Block("protected override T TrainingLossCore(T* parameters, T* input, T* targets, int batch)"))
            {
                w.Line("RunForward(parameters, input, batch, training: true);");
                WriteLoss(w, spec, plan, names, gradients: false, "return");
            }
            w.Line();
        }
        w.Line("/// <inheritdoc/>");
        using (w.Block("protected override T TrainStepCore(T* parameters, T* gradients, T* input, T* targets, int batch)"))
        {
            w.Line($"RunForward(parameters, input, batch{train});");
            WriteLoss(w, spec, plan, names, gradients: true, "T loss =");
            w.Line("RunBackward(parameters, gradients, input, null, batch);");
            w.Line("return loss;");
        }
        w.Line();
        WriteStepOverrides(w, names, train);
    }

    /// <summary>
    /// The entry points of the step API (Model.ForwardTraining, OutputLoss, Backward): a training pass cut into its forward,
    /// its loss on the last outputs, and its backward from the loss's or a given output gradient.
    /// </summary>
    private static void WriteStepOverrides(IndentedWriter w, ValueNames names, string train)
    {
        var spec = names.Spec;
        var plan = names.Shapes;
        if (names.InputGradientBlocker is { } blocker)
        {
            w.Line("/// <inheritdoc/>");
            w.Line($"public override string? InputGradientBlocker => {Literals.String(blocker)};");
            w.Line();
        }
        w.Line("/// <inheritdoc/>");
        using (w.Block("protected override T* TrainingForwardCore(T* parameters, T* input, int batch)"))
        {
            w.Line($"RunForward(parameters, input, batch{train});");
            w.Line($"return {OutputValue(spec, names)};");
        }
        w.Line();
        w.Line("/// <inheritdoc/>");
        using (w.Block("protected override T OutputLossCore(T* targets, int batch)"))
            WriteLoss(w, spec, plan, names, gradients: true, "return");
        w.Line();
        w.Line("/// <inheritdoc/>");
        using (w.Block("protected override void BackwardCore(T* parameters, T* gradients, T* input, T* inputGrad, T* outputGrad, int batch)"))
        {
            var outputs = spec.Graph.Outputs;
            using (w.Block("if (outputGrad != null)"))
            {
                if (outputs.Count == 0)
                {
                    int output = spec.Graph.Output;
                    if (names.NeedsGradient(output))
                        w.Line($"new ReadOnlySpan<T>(outputGrad, batch * {Literals.Int(plan.Nodes[output].Size)}).CopyTo(new Span<T>({names.Grad(output)}, batch * {Literals.Int(plan.Nodes[output].Size)}));");
                }
                else
                {
                    int width = OutputWidth(spec, plan), at = 0;
                    foreach (int o in outputs)
                    {
                        if (names.NeedsGradient(o))
                            w.Line($"ConcatKernels.Take(outputGrad, {Literals.Int(width)}, offset: {Literals.Int(at)}, {names.Grad(o)}, {Literals.Int(plan.Nodes[o].Size)}, batch);");
                        at += plan.Nodes[o].Size;
                    }
                }
            }
            w.Line(names.InputGradientBlocker is null ? "RunBackward(parameters, gradients, input, inputGrad, batch);" : "RunBackward(parameters, gradients, input, null, batch);");
        }
        w.Line();
    }

    /// <summary>The Pool2dShape arguments, named (square window, symmetric padding).</summary>
    private static string PoolGeometry(PoolLayer layer, EquatableArray<int> input, string batch, string separator)
    {
        var s = layer.Window;
        string I(int v) => Literals.Int(v);
        return $"{batch},{separator}channels: {I(input[0])}, inHeight: {I(input[1])}, inWidth: {I(input[2])},{separator}"
             + $"kernelHeight: {I(s.Kernel)}, kernelWidth: {I(s.Kernel)}, strideHeight: {I(s.Stride)}, strideWidth: {I(s.Stride)},{separator}"
             + $"padTop: {I(s.Padding)}, padBottom: {I(s.Padding)}, padLeft: {I(s.Padding)}, padRight: {I(s.Padding)}";
    }

    /// <summary>The Conv2dShape arguments, named (square kernel, symmetric padding); <paramref name="separator"/> splits them into lines.</summary>
    private static string ConvGeometry(ConvLayer layer, EquatableArray<int> input, string batch, string separator = " ")
    {
        var s = layer.Window;
        int padding = s.PaddingSides.Before;   // 'same' is symmetric here: MG0104 requires an odd span
        string I(int v) => Literals.Int(v);
        return $"{batch},{separator}inChannels: {I(input[0])}, inHeight: {I(input[1])}, inWidth: {I(input[2])}, outChannels: {I(layer.Filters)},{separator}"
             + $"kernelHeight: {I(s.Kernel)}, kernelWidth: {I(s.Kernel)}, strideHeight: {I(s.Stride)}, strideWidth: {I(s.Stride)},{separator}"
             + $"padTop: {I(padding)}, padBottom: {I(padding)}, padLeft: {I(padding)}, padRight: {I(padding)},{separator}"
             + $"dilationHeight: {I(s.Dilation)}, dilationWidth: {I(s.Dilation)}, groups: {I(s.Groups)}";
    }
}
