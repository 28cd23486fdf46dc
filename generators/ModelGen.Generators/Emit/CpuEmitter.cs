using System;
using System.Collections.Generic;
using System.Linq;
using ModelGen.FrontEnd;
using ModelGen.Generators.Plan;
using static ModelGen.FrontEnd.TargetLayout;

namespace ModelGen.Generators.Emit;

/// <summary>
/// Emits the C# half of a model from its <see cref="ValuePlan"/>: parameters, initialisation, eager layer methods,
/// Summary() (CpuEmitter.Layers.cs), the model file's tensor table (CpuEmitter.Tensors.cs) and the fused Graph&lt;T&gt;
/// (CpuEmitter.Workspace.cs, .Forward.cs, .Backward.cs).
/// The layer families with several kernels each have a file of their own: .Recurrent.cs, .Sequence.cs, and .Graph.cs
/// for several inputs, concatenation, several outputs and the losses.
/// </summary>
internal static partial class CpuEmitter
{
    public static string Emit(ValuePlan plan)
    {
        var spec = plan.Spec;
        var names = new ValueNames(plan);
        var w = new IndentedWriter();
        WriteHeader(w, spec);
        OpenTypes(w, spec, baseClass: " : global::ModelGen.Model");
        WriteMembers(w, names);
        WriteInitialize(w, names);
        WriteLayerMethods(w, names);
        WriteSummary(w, names);
        WriteFileLayout(w, names);
        WriteInferenceGraph(w, names);
        WriteGraph(w, names);
        CloseTypes(w, spec);
        return w.ToString();
    }

    /// <summary>
    /// For a model with build errors: its public surface without its code. The class still derives from ModelGen.Model
    /// and keeps the seeded constructor, <c>TotalParameters</c>, <c>Initialize</c> and every member the base class leaves
    /// abstract, so the user's calls (new M(seed: 1), Fit, Evaluate, Save, …) bind and the build shows only the MG
    /// diagnostics; each member throws, naming the model and the diagnostics, should the code run anyway. Layer methods
    /// get their missing partial part, so no CS8795 or CS0759 buries the MG0002 that explains them. A class that cannot
    /// derive from Model (MG0010, or MG0017 on an abstract property's name) declares Model's public members itself
    /// (<see cref="ModelSpec.CopiedSurface"/>) and converts to Model; a generic one (MG0011) repeats its type parameters.
    /// </summary>
    /// <param name="spec">The model.</param>
    /// <param name="errorIds">The IDs of the errors, e.g. "MG0002, MG0007"; empty when unknown.</param>
    public static string EmitInvalid(ModelSpec spec, string errorIds)
    {
        var w = new IndentedWriter();
        WriteHeader(w, spec);
        // A member named like a layer would be a second error (MG0017 reports the layer). With the name of one of Model's
        // abstract properties taken, deriving from Model would leave it unimplemented (CS0534); a class with another base
        // class (MG0010) cannot derive from Model either. Both get Model's public members copied instead (CopiedSurface).
        var taken = new HashSet<string>(spec.Layers.Select(l => l.Name), StringComparer.Ordinal);
        bool derives = spec.CanAddBaseClass && !spec.HasCopiedSurface && !AbstractModelProperties.Any(taken.Contains);
        OpenTypes(w, spec, baseClass: derives ? " : global::ModelGen.Model" : "");
        string errors = errorIds.Length == 0 ? "" : $" ({errorIds})";
        string message = Literals.String($"The model '{spec.TypeName}' has build errors{errors}; fix them to generate its code.");
        string thrown = $"throw new global::System.InvalidOperationException({message})";
        string summary = $"/// <summary>Not generated: '{spec.TypeName}' has build errors{errors}. Throws <see cref=\"global::System.InvalidOperationException\"/>.</summary>";
        void Member(string name, string declaration)
        {
            if (taken.Contains(name)) return;
            w.Line(summary);
            w.Line(declaration);
            w.Indent().Line($"=> {thrown};").Outdent();
            w.Line();
        }
        void Constructor(string? baseArguments)
        {
            if (baseArguments is null) return;
            w.Line(summary);
            w.Line("/// <param name=\"seed\">Seed of the initialisation.</param>");
            w.Line($"public {spec.TypeName}(int seed = 0){(baseArguments.Length == 0 ? "" : $" : base({baseArguments})")}");
            w.Indent().Line($"=> {thrown};").Outdent();
            w.Line();
        }
        // A composite keeps its constructor taking the sub-model instances, so the user's call binds too.
        void SubmodelConstructor(string? baseArguments)
        {
            if (baseArguments is null || spec.Submodels.Count == 0) return;
            w.Line(summary);
            foreach (var sub in spec.Submodels) w.Line($"/// <param name=\"{Local(sub.Name)}\">The model that [Submodel] '{sub.Name}' runs.</param>");
            w.Line("/// <param name=\"seed\">Seed of the initialisation.</param>");
            string parameters = string.Join(", ", spec.Submodels.Select(s => $"{s.TypeName} {Identifier(Local(s.Name))}"));
            w.Line($"public {spec.TypeName}({parameters}, int seed = 0){(baseArguments.Length == 0 ? "" : $" : base({baseArguments})")}");
            w.Indent().Line($"=> {thrown};").Outdent();
            w.Line();
            foreach (var sub in spec.Submodels) Member(SubmodelProperty(sub), $"public {sub.TypeName} {SubmodelProperty(sub)}");
        }
        w.Line("// Only the public surface: the model's code is generated once its ModelGen diagnostics are fixed.");
        Member("TotalParameters", "public static int TotalParameters");
        if (derives)
        {
            Constructor("0");
            SubmodelConstructor("0");
            Member("InputSize", "public override int InputSize");
            Member("OutputSize", "public override int OutputSize");
            Member("Loss", "public override Loss Loss");
            // Methods overload a layer method of the same name (which takes a Tensor) rather than clash with it.
            taken.Remove("Summary");
            taken.Remove("CreateGraph");
            Member("Summary", "public override string Summary()");
            Member("FileLayout", "public override ModelFileLayout FileLayout");
            Member("InferenceGraph", "public override InferenceGraph InferenceGraph");
            Member("CreateGraph", "protected override ModelGraph<float> CreateGraph(int maxBatch)");
        }
        else if (spec.HasCopiedSurface)
        {
            // Model's public members as the class's own, so the user's code binds as it would to a model.
            Constructor(spec.BaseConstructorArguments);
            SubmodelConstructor(spec.BaseConstructorArguments);
            foreach (string member in spec.CopiedSurface)
            {
                w.Line(summary);
                if (member.StartsWith("P ", StringComparison.Ordinal))
                    w.Line($"{member.Substring(2)} {{ get => {thrown}; set => {thrown}; }}");
                else
                    w.Line(member.Substring(2)).Indent().Line($"=> {thrown};").Outdent();
                w.Line();
            }
            if (spec.ConvertsToModel)
            {
                w.Line(summary);
                w.Line($"public static implicit operator global::ModelGen.Model({spec.TypeName}{spec.TypeParameters} model)");
                w.Indent().Line($"=> {thrown};").Outdent();
                w.Line();
            }
        }
        if (!taken.Contains("Initialize"))
        {
            w.Line(summary);
            w.Line("public static void Initialize<T>(Span<T> parameters, int seed)");
            w.Indent().Line("where T : unmanaged, IFloatingPointIeee754<T>").Line($"=> {thrown};").Outdent();
            w.Line();
        }
        foreach (var layer in spec.Layers.Where(l => !l.IsInlined).Concat(spec.Submodels.Select(SubmodelLayerStub)))
        {
            if (layer.IsEmittable)
                w.Line(Signature(layer)).Indent().Line($"=> {thrown};").Outdent();
            else if (layer.Method.MissingPart == MissingPartialPart.Definition)
                w.Line(layer.Method.PartSignature + ";");
            else if (layer.Method.MissingPart == MissingPartialPart.Implementation)
                w.Line(layer.Method.PartSignature).Indent().Line($"=> {thrown};").Outdent();
            else
                continue;
            w.Line();
        }
        w.TrimTrailingBlankLine();
        CloseTypes(w, spec);
        return w.ToString();
    }

    private static readonly string[] AbstractModelProperties = { "InputSize", "OutputSize", "Loss", "FileLayout", "InferenceGraph" };

    private static void WriteHeader(IndentedWriter w, ModelSpec spec)
    {
        w.Lines($"""
            // <auto-generated/>
            // ModelGen: code for the model '{spec.FullName}', generated from its attributes at build time.
            #nullable enable

            using System;
            using System.Numerics;
            using ModelGen;
            using ModelGen.Compute;
            using ModelGen.Cpu;
            using ModelGen.Export;
            using ModelGen.Serialization;

            """);
        if (spec.Namespace is not null)
        {
            w.Line($"namespace {spec.Namespace};");
            w.Line();
        }
    }

    private static void OpenTypes(IndentedWriter w, ModelSpec spec, string baseClass)
    {
        foreach (var outer in spec.ContainingTypes)
        {
            w.Line($"partial {outer.Keyword} {outer.Name}{outer.TypeParameters}");
            w.OpenBrace();
        }
        w.Line($"partial class {spec.TypeName}{spec.TypeParameters}{(spec.CanAddBaseClass ? baseClass : "")}");
        w.OpenBrace();
    }

    private static void CloseTypes(IndentedWriter w, ModelSpec spec)
    {
        w.CloseBrace();
        foreach (var _ in spec.ContainingTypes) w.CloseBrace();
    }

    /// <summary>", lengths: _lengths" for a kernel whose input at node <paramref name="input"/> has a variable length.</summary>
    private static string LengthsArgument(ValueNames names, int input) => names.Shapes.Nodes[input].Masked ? ", lengths: _lengths" : "";

    private static string FlatShape(IEnumerable<int> dims) => ShapeInference.Text(dims);

    private static void WriteMembers(IndentedWriter w, ValueNames names)
    {
        var spec = names.Spec;
        var plan = names.Shapes;
        int inputSize = plan.Nodes[0].Size;
        int outputSize = OutputWidth(spec, plan);
        w.Line($"/// <summary>Number of trainable parameters: {Literals.Grouped(plan.TotalParameters)}.</summary>");
        w.Line($"public const int TotalParameters = {Literals.Int(plan.TotalParameters)};");
        w.Line();
        w.Line($"/// <summary>Creates a {spec.TypeName} whose parameters are initialised from <paramref name=\"seed\"/> (the same seed gives the same model).</summary>");
        w.Line("/// <param name=\"seed\">Seed of the initialisation.</param>");
        if (spec.Submodels.Count == 0)
        {
            using (w.Block($"public {spec.TypeName}(int seed = 0) : base(TotalParameters)"))
                w.Line("Initialize<float>(Parameters, seed);");
            w.Line();
        }
        else WriteCompositeMembers(w, names);
        w.Line($"/// <summary>Per-sample input: {InputText(spec, plan)}.</summary>");
        w.Line($"public override int InputSize => {Literals.Int(inputSize)};");
        w.Line();
        w.Line($"/// <summary>Per-sample output: {OutputText(spec, plan)}.</summary>");
        w.Line($"public override int OutputSize => {Literals.Int(outputSize)};");
        w.Line();
        w.Line(spec.Heads.Count > 0 ? "/// <summary>The first head's loss; <see cref=\"Heads\"/> lists every head's.</summary>" : "/// <inheritdoc/>");
        w.Line($"public override Loss Loss => Loss.{(spec.Heads.Count > 0 ? spec.Heads[0].Loss : spec.Loss)};");
        w.Line();
        WriteLabelsPerSample(w, names);
        w.Line("/// <inheritdoc/>");
        w.Line("protected override ModelGraph<float> CreateGraph(int maxBatch) => new Graph<float>(maxBatch);");
        w.Line();
        WriteParameterLayers(w, names);
        if (spec.Layers.FirstOrDefault(l => l.Kind == LayerKind.BatchNorm) is { } batchNorm)
        {
            w.Line("/// <inheritdoc/>");
            w.Line($"protected override string? BatchStatisticsLayer => {Literals.String(batchNorm.Name)};");
            w.Line();
        }
        WriteInputsAndHeads(w, spec, plan);
        WriteLossTermNames(w, spec);
        WriteGenerateMembers(w, names);
    }

    /// <summary>The layers with parameters, in buffer order: what Model.Freeze names, and where each one's parameters lie.</summary>
    private static void WriteParameterLayers(IndentedWriter w, ValueNames names)
    {
        var spec = names.Spec;
        var plan = names.Shapes;
        w.Line("/// <inheritdoc/>");
        w.Line("public override global::System.Collections.Generic.IReadOnlyList<ParameterLayer> ParameterLayers => ParameterLayerTable;");
        w.Line();
        var rows = Enumerable.Range(0, spec.Layers.Count).Where(l => plan.Layers[l].ParameterCount > 0).ToList();
        if (rows.Count == 0)
        {
            w.Line("private static readonly ParameterLayer[] ParameterLayerTable = Array.Empty<ParameterLayer>();");
            w.Line();
            return;
        }
        w.Line("// Each layer with parameters: name, offset and count in the flat buffer; Trainable = false starts it frozen.");
        w.Line("private static readonly ParameterLayer[] ParameterLayerTable =");
        w.OpenBrace();
        foreach (int l in rows)
        {
            var lp = plan.Layers[l];
            string frozen = spec.Layers[l].Trainable ? "" : ", DeclaredTrainable: false";
            w.Line($"new({Literals.String(spec.Layers[l].DisplayName)}, {Literals.Int(lp.WeightOffset)}, {Literals.Int(lp.ParameterCount)}{frozen}),");
        }
        w.CloseBrace(";");
        w.Line();
    }

    /// <summary>Layers with parameters: the entries of ParameterLayerTable and the graph's frozen flags.</summary>
    private static int ParameterLayerCount(ValueNames names) => names.Shapes.Layers.Count(l => l.ParameterCount > 0);

    private static string SampleShape(EquatableArray<int> shape) => "[batch" + string.Concat(shape.Select(d => ", " + Literals.Int(d))) + "]";

    private static string ShapeName(ValueNames names, int n)
    {
        string label = names.Label(n);
        return char.ToUpperInvariant(label[0]) + label.Substring(1) + "Shape";
    }

    /// <summary>One static geometry function per call site: <c>private static Conv2dShape C1Shape(int batch) => new(batch, …);</c></summary>
    private static void WriteShapeFunctions(IndentedWriter w, string comment, string type, List<int> callSites, Func<int, string> geometry, ValueNames names, string factory = "new")
    {
        if (callSites.Count == 0) return;
        w.Line(comment);
        foreach (int n in callSites)
        {
            var lines = geometry(n).Split('\n');
            w.Line($"private static {type} {ShapeName(names, n)}(int batch) => {factory}({lines[0]}");
            w.Indent();
            for (int i = 1; i < lines.Length; i++) w.Line(lines[i] + (i == lines.Length - 1 ? ");" : ""));
            w.Outdent();
        }
        w.Line();
    }

    /// <summary>The activation after a Dense or convolution layer's affine part; None for the other layers.</summary>
    private static ActivationKind ActivationOf(LayerSpec layer) => layer switch
    {
        DenseLayer dense => dense.Activation,
        ConvLayer conv => conv.Activation,
        ConvTransposeLayer transposed => transposed.Activation,
        _ => ActivationKind.None,
    };

    /// <summary>", ReLU" after a layer's title when it has an activation.</summary>
    private static string ActivationText(ActivationKind activation) => activation == ActivationKind.None ? "" : ", " + activation;

    /// <summary>The slope constant of a LeakyReLU layer, T.Zero for the other activations.</summary>
    private static string Slope(string layerName, ActivationKind activation) => activation == ActivationKind.LeakyReLU ? layerName + "Slope" : "T.Zero";

    /// <summary>The eager method's declaration: <c>private partial global::ModelGen.Tensor Name(global::ModelGen.Tensor x)</c>.</summary>
    private static string Signature(LayerSpec layer) =>
        $"{layer.MethodModifiers} partial global::ModelGen.Tensor {Identifier(layer.Name)}(global::ModelGen.Tensor {Identifier(layer.ParameterName)}"
        + (layer.Method.MemoryParameterName.Length > 0 ? $", global::ModelGen.Tensor {Identifier(layer.Method.MemoryParameterName)})" : ")");

    /// <summary>The per-sample shapes around a layer's first call: its input and output.</summary>
    private static (EquatableArray<int> Input, EquatableArray<int> Output) FirstCallShapes(ValueNames names, int layer)
    {
        int node = names.Plan.FirstCall(layer);
        return (names.Shapes.Nodes[names.Plan.Nodes[node].A].Shape, names.Shapes.Nodes[node].Shape);
    }

    private static string LossCall(ModelSpec spec, ShapePlan plan, string output, string gradient, int width)
    {
        int labels = LabelsPerSample(spec, plan);
        // A variable-length output: the mean over each sample's real positions (the shape engine allows only softmax cross-entropy there).
        if (spec.Loss == LossKind.SoftmaxCrossEntropy && plan.Nodes[spec.Graph.Output].Masked)
            return $"LossKernels.SoftmaxCrossEntropy({output}, targets, {gradient}, batch, sequence: {Literals.Int(labels)}, classes: {Literals.Int(width / labels)}, lengths: _lengths)";
        return LossCall(spec.Loss, spec.PosWeight, spec.HuberDelta, output, "targets", gradient, width, labels);
    }

    private static string LossCall(LossKind loss, double posWeight, double huberDelta, string output, string targets, string gradient, int width, int labels = 1) => loss switch
    {
        // One softmax row per position: a [sequence, classes] output has batch·sequence rows, and the loss is their mean.
        LossKind.SoftmaxCrossEntropy => $"LossKernels.SoftmaxCrossEntropy({output}, {targets}, {gradient}, {Rows(labels)}, {Literals.Int(width / labels)})",
        LossKind.MeanSquaredError => $"LossKernels.MeanSquaredError({output}, {targets}, {gradient}, batch * {Literals.Int(width)}L)",
        LossKind.MeanAbsoluteError => $"LossKernels.MeanAbsoluteError({output}, {targets}, {gradient}, batch * {Literals.Int(width)}L)",
        LossKind.Huber => $"LossKernels.Huber({output}, {targets}, {gradient}, batch * {Literals.Int(width)}L, T.CreateTruncating({Literals.FromFloat(huberDelta)}))",
        _ => $"LossKernels.BinaryCrossEntropyWithLogits({output}, {targets}, {gradient}, batch * {Literals.Int(width)}L, T.CreateTruncating({Literals.FromFloat(posWeight)}))",
    };

    /// <summary>A name as a C# identifier: keywords get '@'.</summary>
    private static string Identifier(string name) =>
        Microsoft.CodeAnalysis.CSharp.SyntaxFacts.GetKeywordKind(name) != Microsoft.CodeAnalysis.CSharp.SyntaxKind.None ? "@" + name : name;

    private static string Local(string name) => name.Length == 0 ? name : char.ToLowerInvariant(name[0]) + name.Substring(1);

    /// <summary>The C# names of the plan's values: fields _hidden, _hiddenPre, _hiddenGrad, _add1 …; the model input is 'input'.</summary>
    internal sealed class ValueNames
    {
        private readonly bool[] _fromInput;

        public ValueNames(ValuePlan plan)
        {
            Plan = plan;
            var nodes = plan.Nodes;
            _fromInput = new bool[nodes.Count];
            InputGradientBlocker = plan.Spec.Layers.OfType<EmbeddingLayer>().FirstOrDefault()?.Name;
            if (InputGradientBlocker is not null) return;
            for (int n = 0; n < nodes.Count; n++)
            {
                var node = nodes[n];
                _fromInput[n] = node.Kind switch
                {
                    NodeKind.Input or NodeKind.NamedInput => true,
                    NodeKind.Concat => node.Parts.Any(part => _fromInput[part]),
                    NodeKind.Add or NodeKind.Multiply or NodeKind.Subtract => _fromInput[node.A] || _fromInput[node.B],
                    NodeKind.Layer => _fromInput[node.A] || (node.B >= 0 && _fromInput[node.B]),   // B: a cross-attention's memory
                    NodeKind.RandomNormal => false,   // its argument gives only the shape
                    _ => _fromInput[node.A],
                };
            }
        }

        public ValuePlan Plan { get; }

        public ModelSpec Spec => Plan.Spec;

        public ShapePlan Shapes => Plan.Shapes;

        public string Label(int n) => Plan.Label(n);

        public bool IsView(int n) => Plan.IsView(n);

        public int Storage(int n) => Plan.Storage(n);

        public bool HasPre(int n) => Plan.HasPre(n);

        public string Shape(int n) => Plan.ShapeText(n);

        public string Value(int n) => Storage(n) == 0 ? "input" : "_" + Label(Storage(n));

        public string Pre(int n) => "_" + Label(n) + "Pre";

        /// <summary>The gradient buffer of node <paramref name="n"/>; the model input's is <c>inputGrad</c>, given to RunBackward (null unless asked for).</summary>
        public string Grad(int n) => Storage(n) == 0 ? "inputGrad" : "_" + Label(Storage(n)) + "Grad";

        /// <summary>
        /// The first Embedding layer when there is one: its inputs are token ids, so the model has no input gradient. Null
        /// when every value computed from the input can carry a gradient back to it (Model.InputGradient).
        /// </summary>
        public string? InputGradientBlocker { get; }

        /// <summary>
        /// Whether node <paramref name="n"/> has a gradient buffer: a layer with parameters lies before it, or it is computed
        /// from the model input, whose gradient RunBackward computes on request.
        /// </summary>
        public bool NeedsGradient(int n) => Shapes.Nodes[n].RequiresGradient || _fromInput[n];

        /// <summary>Whether node <paramref name="n"/> has a gradient only for the input's sake: no layer before it learns.</summary>
        public bool GradientOnlyForInput(int n) => _fromInput[n] && !Shapes.Nodes[n].RequiresGradient;

        /// <summary>The gradient of node <paramref name="n"/>, or null when nothing needs it.</summary>
        public string? GradOf(int n) => NeedsGradient(n) ? Grad(n) : null;

        /// <summary>"batch * 64L": the elements of node <paramref name="n"/> over the batch.</summary>
        public string Count(int n) => $"batch * {Literals.Int(Shapes.Nodes[n].Size)}L";
    }
}
