using System.Linq;
using ModelGen.FrontEnd;

namespace ModelGen.Generators.Emit;

// A composite ([Submodel] methods): its sub-models' layers are ordinary layers of its graph; what is its own is the sub-model
// instances, which read and write their blocks of its parameter buffer, and the eager [Submodel] methods.
internal static partial class CpuEmitter
{
    /// <summary>A sub-model's block of the parameter buffer: the parameters of its inlined layers, which lie side by side.</summary>
    private static (int Offset, int Count) SubmodelBlock(ValueNames names, SubmodelSpec sub)
    {
        int offset = 0, count = 0;
        for (int l = 0; l < sub.FirstLayer + sub.LayerCount; l++)
        {
            if (l < sub.FirstLayer) offset += names.Shapes.Layers[l].ParameterCount;
            else count += names.Shapes.Layers[l].ParameterCount;
        }
        return (offset, count);
    }

    private static string SubmodelProperty(SubmodelSpec sub) => sub.Name + "Model";

    /// <summary>The constructors of a composite (the seeded one's summary is written) and its sub-model properties.</summary>
    private static void WriteCompositeMembers(IndentedWriter w, ValueNames names)
    {
        var spec = names.Spec;
        var blocks = spec.Submodels.Select(s => (Sub: s, Block: SubmodelBlock(names, s))).ToList();
        w.Line("/// <remarks>Each sub-model is a new instance (initialised here, not from its own seed) that shares this model's parameters.</remarks>");
        using (w.Block($"public {spec.TypeName}(int seed = 0) : base(TotalParameters)"))
        {
            w.Line("Initialize<float>(Parameters, seed);");
            foreach (var (sub, block) in blocks)
                w.Line($"{SubmodelProperty(sub)} = AttachSubmodel(new {sub.TypeName}(), {Literals.String(sub.Name)}, offset: {Literals.Int(block.Offset)}, count: {Literals.Int(block.Count)}, keepValues: false);");
        }
        w.Line();
        w.Line("/// <summary>");
        w.Line($"/// Creates a {spec.TypeName} made of the given models: each keeps its parameters, which from now on live in this model's");
        w.Line("/// buffer, so a step of either changes both (nothing is copied per step). A model belongs to one composite at a time.");
        w.Line("/// </summary>");
        foreach (var (sub, _) in blocks)
            w.Line($"/// <param name=\"{Local(sub.Name)}\">The {sub.ShortTypeName} that [Submodel] '{sub.Name}' runs.</param>");
        w.Line("/// <param name=\"seed\">Seed of the initialisation of this model's own layers.</param>");
        string parameters = string.Join(", ", blocks.Select(b => $"{b.Sub.TypeName} {Identifier(Local(b.Sub.Name))}"));
        using (w.Block($"public {spec.TypeName}({parameters}, int seed = 0) : base(TotalParameters)"))
        {
            w.Line("Initialize<float>(Parameters, seed);");
            foreach (var (sub, block) in blocks)
                w.Line($"{SubmodelProperty(sub)} = AttachSubmodel({Identifier(Local(sub.Name))}, {Literals.String(sub.Name)}, offset: {Literals.Int(block.Offset)}, count: {Literals.Int(block.Count)}, keepValues: true);");
        }
        w.Line();
        foreach (var (sub, block) in blocks)
        {
            w.Line($"/// <summary>The {sub.ShortTypeName} that [Submodel] '{sub.Name}' runs: its {Literals.Grouped(block.Count)} parameters are this model's from offset {Literals.Grouped(block.Offset)}.</summary>");
            w.Line($"public {sub.TypeName} {SubmodelProperty(sub)} {{ get; }}");
            w.Line();
        }
    }

    /// <summary>The eager [Submodel] methods: the sub-model instance on a tensor.</summary>
    private static void WriteSubmodelMethods(IndentedWriter w, ValueNames names)
    {
        foreach (var sub in names.Spec.Submodels)
        {
            // The output's shape is that of its call; a method never called still needs its body (the flat output then).
            int last = names.Spec.Graph.SubmodelCalls.FirstOrDefault(c => names.Spec.Submodels[c.Submodel] == sub)?.LastNode ?? -1;
            var output = last >= 0 ? names.Shapes.Nodes[last].Shape : default;
            string outputShape = output.Count > 0 ? string.Join(", ", output.Select(Literals.Int)) : SubmodelProperty(sub) + ".OutputSize";
            string outputText = output.Count > 0 ? SampleShape(output) : "its output";
            w.Line($"/// <summary>Sub-model '{sub.Name}' ({sub.ShortTypeName}): {SampleShape(sub.InputShape)} → {outputText}, in inference mode. {RunsEagerly}</summary>");
            w.Line(Signature(SubmodelLayerStub(sub)));
            w.Indent().Line($"=> EagerLayers.Submodel({SubmodelProperty(sub)}, {Identifier(sub.Method.ParameterName)}, new[] {{ {outputShape} }}, {Literals.String(sub.Name)});").Outdent();
            w.Line();
        }
    }

    /// <summary>A [Submodel] method seen as a layer method, for the signature writers (its form is checked as every layer's).</summary>
    private static LayerSpec SubmodelLayerStub(SubmodelSpec sub) => new FlattenLayer(sub.Method);
}
